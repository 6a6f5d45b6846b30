package main

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"smtplab/sandbox"
	"smtplab/sandbox/smtp"
	"smtplab/sandbox/tcp"
)

// app is a running smtplab: the default world and the services around it.
type app struct {
	cfg   config
	log   *slog.Logger
	world *sandbox.World
	tcp   []*tcp.Server
}

func newApp(cfg config, log *slog.Logger) *app {
	w := sandbox.NewWorld(sandbox.Config{
		Name:   "default",
		Domain: cfg.Domain,
		Limits: sandbox.Limits{CommandTimeout: cfg.SMTPTimeout, Autologout: cfg.POP3Timeout},
	})
	return &app{cfg: cfg, log: log, world: w}
}

// service is one TCP protocol the app may offer.
type service struct {
	name string
	addr string
	new  func(*sandbox.World, sandbox.Peer) sandbox.Session
}

func (a *app) services() []service {
	return []service{
		{"smtp", a.cfg.SMTP, func(w *sandbox.World, p sandbox.Peer) sandbox.Session { return smtp.NewSession(w, p) }},
	}
}

// start binds every enabled service; if one cannot bind, none stays open.
func (a *app) start() error {
	for _, svc := range a.services() {
		if !enabled(svc.addr) {
			a.log.Info("service off", "service", svc.name)
			continue
		}
		newSession := svc.new
		s := &tcp.Server{
			Name:        svc.name,
			MaxSessions: a.cfg.MaxSessions,
			Logger:      a.log,
			NewSession:  func(p sandbox.Peer) sandbox.Session { return newSession(a.world, p) },
		}
		if err := s.Listen(svc.addr); err != nil {
			a.stop(context.Background())
			return err
		}
		a.tcp = append(a.tcp, s)
		a.log.Info("listening", "service", svc.name, "addr", s.Addr().String(), "try", tryCommand(svc.name, s.Addr()))
	}
	for _, s := range a.tcp {
		go func() {
			if err := s.Serve(); err != nil {
				a.log.Error("service stopped", "service", s.Name, "err", err)
			}
		}()
	}
	return nil
}

func tryCommand(name string, addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	return "telnet " + host + " " + port
}

// stop closes every service, telling open sessions goodbye.
func (a *app) stop(ctx context.Context) error {
	var errs []error
	for _, s := range a.tcp {
		errs = append(errs, s.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"smtplab/classroom"
	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/tcp"
	"smtplab/server"
	"smtplab/storage"
)

// HTTP connection limits: a client gets this long to send its request
// headers, and a kept-alive connection with no request is closed after
// httpIdleTimeout, so idle browsers cannot hold descriptors for good.
const (
	httpHeaderTimeout = 10 * time.Second
	httpIdleTimeout   = 2 * time.Minute
)

// app is a running smtplab: the default world and the services around it.
type app struct {
	cfg      config
	log      *slog.Logger
	data     storage.Storage
	classes  *classroom.Manager
	world    *sandbox.World
	tcp      []*tcp.Server
	web      *server.Server
	http     *http.Server
	ports    map[string]int // bound TCP ports by service name
	httpAddr string         // bound web address, once started
	key      string         // the teacher's key

}

func newApp(cfg config, log *slog.Logger) *app {
	return &app{cfg: cfg, log: log, ports: map[string]int{}}
}

// open makes the storage, the classroom and the shared world. With a data
// folder, the shared world's mail and every class survive a restart;
// visitors' private practice worlds stay in memory.
func (a *app) open() error {
	var err error
	if enabled(a.cfg.Data) {
		if a.data, err = storage.Open(a.cfg.Data); err != nil {
			return fmt.Errorf("cannot open the data folder %s: %w", a.cfg.Data, err)
		}
	} else {
		a.data = storage.NewMemory()
	}
	limits := sandbox.Limits{
		CommandTimeout: a.cfg.SMTPTimeout,
		// RFC 5321 gives message text 3 minutes; a shorter -smtp-timeout
		// shortens it too, so no wait is ever longer than the flag says.
		DataTimeout: min(a.cfg.SMTPTimeout, sandbox.DefaultDataTimeout),
		Autologout:  a.cfg.POP3Timeout,
	}
	domain := strings.ToLower(a.cfg.Domain)
	a.classes, err = classroom.NewManager(classroom.Config{
		Repo: a.data.Classroom(), Mailboxes: a.data.Mailboxes, Limits: limits,
		Taken: func(d string) bool { return d == domain },
	})
	if err != nil {
		return fmt.Errorf("cannot load the classes: %w", err)
	}
	a.world = sandbox.NewWorld(sandbox.Config{
		Name: "default", Domain: a.cfg.Domain, Limits: limits,
		Store: a.data.Mailboxes("default"), Directory: a.classes.World,
	})
	return nil
}

// service is one TCP protocol the app may offer.
type service struct {
	name string
	addr string
	new  func(*sandbox.World, sandbox.Peer) sandbox.Session
}

func (a *app) services() []service {
	return []service{
		{"smtp", a.cfg.SMTP, forProto(sandbox.SMTP)},
		{"pop3", a.cfg.POP3, forProto(sandbox.POP3)},
		{"pop2", a.cfg.POP2, forProto(sandbox.POP2)},
	}
}

// forProto starts sessions of protocol p, for a TCP service.
func forProto(p sandbox.Proto) func(*sandbox.World, sandbox.Peer) sandbox.Session {
	return func(w *sandbox.World, peer sandbox.Peer) sandbox.Session { return engine.New(w, p, peer) }
}

// start binds every enabled service; if one cannot bind, none stays open.
func (a *app) start() error {
	if err := a.open(); err != nil {
		return err
	}
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
		a.ports[svc.name] = s.Addr().(*net.TCPAddr).Port
		a.log.Info("listening", "service", svc.name, "addr", s.Addr().String(), "try", tryCommand(svc.name, s.Addr()))
	}
	if err := a.startWeb(); err != nil {
		a.stop(context.Background())
		return err
	}
	if db, ok := a.data.(*storage.SQLite); ok {
		a.log.Info("data kept", "db", db.Path(), "classes", len(a.classes.Classes()))
	} else {
		a.log.Info("data kept in memory only (-data off): a restart loses it")
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

// startWeb binds the web interface, if it is on.
func (a *app) startWeb() error {
	if !enabled(a.cfg.HTTP) {
		a.log.Info("service off", "service", "http")
		return nil
	}
	lib, err := a.lessons()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.HTTP)

	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err
		}
		return fmt.Errorf("cannot listen for http on %s: %w", a.cfg.HTTP, err)
	}
	a.web = server.New(server.Config{
		World:      a.world,
		Lessons:    lib,
		Logger:     a.log,
		Ports:      server.Ports{SMTP: a.ports["smtp"], POP3: a.ports["pop3"], POP2: a.ports["pop2"]},
		NewSession: engine.New,
		Health:     a.health,
		Classroom:  a.classes,
		TeacherKey: a.teacherKey(),
		Hostnames:  splitList(a.cfg.Hostnames),
		MaxWorlds:  a.cfg.MaxWorlds,
	})
	a.http = &http.Server{
		Handler:           a.web.Handler(),
		ReadHeaderTimeout: httpHeaderTimeout,
		IdleTimeout:       httpIdleTimeout,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.httpAddr = ln.Addr().String()
	a.log.Info("listening", "service", "http", "addr", a.httpAddr, "open", "http://"+a.httpAddr+"/")
	a.log.Info("teacher: http://" + a.httpAddr + "/teacher?key=" + url.QueryEscape(a.key))
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("service stopped", "service", "http", "err", err)
		}
	}()
	return nil
}

// teacherKey is -teacher-key, or a new random key for this run.
func (a *app) teacherKey() string {
	if a.key == "" {
		a.key = a.cfg.TeacherKey
	}
	if a.key == "" {
		var b [18]byte
		rand.Read(b[:])
		a.key = base64.RawURLEncoding.EncodeToString(b[:])
	}
	return a.key
}

// health is nil while every TCP service accepts clients.
func (a *app) health() error {
	var errs []error
	for _, s := range a.tcp {
		errs = append(errs, s.Health())
	}
	return errors.Join(errs...)
}

// lessons loads the built-in lessons and the teacher's, if any. A broken
// teacher's file is reported and skipped; the others load.
func (a *app) lessons() (*lessons.Library, error) {
	lib, err := lessons.Builtin()
	if err != nil {
		return nil, fmt.Errorf("built-in lessons: %w", err)
	}
	if a.cfg.Lessons == "" {
		return lib, nil
	}
	extra, errs := lessons.LoadDir(a.cfg.Lessons)
	for _, e := range errs {
		a.log.Error("lesson not loaded", "err", e.Error())
	}
	lib.Merge(extra)
	a.log.Info("lessons loaded", "dir", a.cfg.Lessons, "lessons", len(extra.Slugs()), "errors", len(errs))
	return lib, nil
}

// stop closes every service, telling open sessions goodbye.
func (a *app) stop(ctx context.Context) error {
	var errs []error
	if a.http != nil {
		errs = append(errs, a.http.Shutdown(ctx))
		a.web.Close()
	}
	for _, s := range a.tcp {
		errs = append(errs, s.Shutdown(ctx))
	}
	if a.data != nil {
		errs = append(errs, a.data.Close())
		a.data = nil
	}
	return errors.Join(errs...)
}

// splitList reads a comma-separated flag.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"smtplab/certs"
	"smtplab/classroom"
	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/dns"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/network"
	"smtplab/sandbox/tcp"
	"smtplab/server"
	"smtplab/shell"
	"smtplab/storage"
	"smtplab/web"
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
	net      *network.Network
	resolver *dns.Resolver
	live     *network.Live // the shared world's network
	tcp      []*tcp.Server
	web      *server.Server
	http     *http.Server
	ports    map[string]int // bound TCP ports by service name
	httpAddr string         // bound web address, once started
	key      string         // the teacher's key
	cert     *certs.Cert    // what the TLS services present; nil if none is on
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
	if a.net, err = a.loadNetwork(); err != nil {
		return err
	}
	a.resolver = a.net.Resolver()
	domain := strings.ToLower(a.cfg.Domain)
	a.classes, err = classroom.NewManager(classroom.Config{
		Repo: a.data.Classroom(), Mailboxes: a.data.Mailboxes, Limits: limits,
		Taken: func(d string) bool {
			_, inNetwork := a.net.Domain(d)
			return d == domain || inNetwork
		},
		Resolver: a.resolver,
	})
	if err != nil {
		return fmt.Errorf("cannot load the classes: %w", err)
	}
	a.world = sandbox.NewWorld(sandbox.Config{
		Name: "default", Domain: a.cfg.Domain, Limits: limits,
		Store: a.data.Mailboxes("default"), Directory: a.classes.World,
	})
	// The other servers of the network keep their mail and queues in the
	// data folder too: a message they acknowledged survives a restart.
	a.live = a.net.Start(a.world, a.resolver, network.Options{
		NewWorld: func(c sandbox.Config) *sandbox.World {
			c.Name, c.Limits, c.Store = "net-"+c.Domain, limits, a.data.Mailboxes("net-"+c.Domain)
			return sandbox.NewWorld(c)
		},
		Outside: a.classServer,
	})
	return nil
}

// loadNetwork reads the sandbox's network: the teacher's file, or the
// built-in one.
func (a *app) loadNetwork() (*network.Network, error) {
	if !enabled(a.cfg.Network) {
		return network.Default(), nil
	}
	n, err := network.Load(a.cfg.Network)
	if err != nil {
		return nil, fmt.Errorf("cannot load the network: %w", err)
	}
	return n, nil
}

// classServer is the world of the class whose server is host, if any.
func (a *app) classServer(host string) *sandbox.World {
	for _, r := range a.classes.Classes() {
		if strings.EqualFold(r.World.Host, host) {
			return r.World
		}
	}
	return nil
}

// service is one TCP protocol the app may offer.
type service struct {
	name string
	addr string
	new  func(*sandbox.World, sandbox.Peer) sandbox.Session
	role sandbox.Service
	tls  shell.TLSMode
}

// services are the TCP services, in the order they start: the sandbox's
// services as the shell knows them (shell.Services: protocol, role,
// encryption), each at the address its flag gives. The teaching ports
// offer STARTTLS too, so that a student can watch it in clear first.
func (a *app) services() []service {
	addrs := map[string]string{
		"smtp": a.cfg.SMTP, "submission": a.cfg.Submission, "submissions": a.cfg.Submissions,
		"pop3": a.cfg.POP3, "pop3s": a.cfg.POP3S, "pop2": a.cfg.POP2,
	}
	out := make([]service, len(shell.Services))
	for i, s := range shell.Services {
		addr, ok := addrs[s.Name]
		if !ok {
			addr = Off // a service of the shell's without a flag: not served over TCP
		}
		out[i] = service{name: s.Name, addr: addr, new: forProto(s.Proto), role: s.Role, tls: s.TLS}
	}
	return out
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
	if err := a.loadCert(); err != nil {
		a.stop(context.Background())
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
			Service:     svc.role,
			Implicit:    svc.tls == shell.ImplicitTLS,
			NewSession:  func(p sandbox.Peer) sandbox.Session { return newSession(a.world, p) },
		}
		if svc.tls != shell.NoTLS {
			s.TLS = a.cert.Config()
		}
		if err := s.Listen(svc.addr); err != nil {
			a.stop(context.Background())
			return err
		}
		a.tcp = append(a.tcp, s)
		a.ports[svc.name] = s.Addr().(*net.TCPAddr).Port
		a.log.Info("listening", "service", svc.name, "addr", s.Addr().String(), "tls", string(svc.tls), "try", tryCommand(svc, s.Addr()))
	}
	if err := a.startWeb(); err != nil {
		a.stop(context.Background())
		return err
	}
	a.logCert()
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

// tryCommand is how to talk to a service by hand. s_client's -ign_eof
// keeps it from reading a line that starts with R or Q (RCPT, QUIT) as its
// own command; -crlf sends the line ends the protocols want.
func tryCommand(svc service, addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	switch {
	case svc.tls == shell.ImplicitTLS:
		return "openssl s_client -connect " + net.JoinHostPort(host, port) + " -crlf -ign_eof"
	case svc.role == sandbox.Submission:
		return "openssl s_client -starttls smtp -connect " + net.JoinHostPort(host, port) + " -crlf -ign_eof"
	}
	return "telnet " + host + " " + port
}

// loadCert finds the certificate of the TLS services, if any is on: the
// teacher's, or the one smtplab made for itself, kept in the data folder.
func (a *app) loadCert() error {
	if !a.offersTLS() {
		return nil
	}
	dir := ""
	if enabled(a.cfg.Data) {
		dir = a.cfg.Data
	}
	cert, err := certs.Load(certs.Config{Dir: dir, Names: a.certNames(), CertFile: a.cfg.TLSCert, KeyFile: a.cfg.TLSKey})
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	a.cert = cert
	return nil
}

// logCert says which certificate the TLS services present, and its
// fingerprint, for the teacher to give the class.
func (a *app) logCert() {
	cert := a.cert
	if cert == nil {
		return
	}
	if cert.Replaced != "" {
		a.log.Warn("TLS certificate replaced by a new one: mail programs that trusted the old one must trust this one", "reason", cert.Replaced)
	}
	file := cert.File
	if file == "" {
		file = "none (-data off): a restart makes a new one, with a new fingerprint"
	}
	a.log.Info("TLS certificate", "origin", string(cert.Origin), "subject", cert.Leaf.Subject.CommonName,
		"names", strings.Join(certNames(cert), ","), "expires", cert.Leaf.NotAfter.UTC().Format(time.DateOnly),
		"file", file, "sha256", cert.Fingerprint)
}

// offersTLS reports whether any service that speaks TLS is on.
func (a *app) offersTLS() bool {
	for _, svc := range a.services() {
		if svc.tls != shell.NoTLS && enabled(svc.addr) {
			return true
		}
	}
	return false
}

// certNames are the names a generated certificate covers: the sandbox's
// mail host, the loopback names, the -hostname names, and any address a
// service is bound to.
func (a *app) certNames() []string {
	names := []string{a.world.Host, "localhost", "127.0.0.1", "::1"}
	names = append(names, splitList(a.cfg.Hostnames)...)
	for _, svc := range a.services() {
		if host, _, err := net.SplitHostPort(svc.addr); err == nil && svc.tls != shell.NoTLS && enabled(svc.addr) {
			if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
				names = append(names, ip.String())
			}
		}
	}
	var out []string
	for _, n := range names {
		if n = strings.ToLower(n); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// certNames lists what a certificate covers, as a client checks it.
func certNames(c *certs.Cert) []string {
	names := slices.Clone(c.Leaf.DNSNames)
	for _, ip := range c.Leaf.IPAddresses {
		names = append(names, ip.String())
	}
	return names
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
		World:       a.world,
		Lessons:     lib,
		Logger:      a.log,
		Ports:       server.Ports{SMTP: a.ports["smtp"], POP3: a.ports["pop3"], POP2: a.ports["pop2"]},
		TLS:         a.tlsInfo(),
		Cert:        a.leaf(),
		NewSession:  engine.New,
		Health:      a.health,
		Classroom:   a.classes,
		TeacherKey:  a.teacherKey(),
		Hostnames:   splitList(a.cfg.Hostnames),
		MaxWorlds:   a.cfg.MaxWorlds,
		Network:     a.net,
		Resolver:    a.resolver,
		WatchShared: a.live.Watch,
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

// tlsInfo is what the pages show of TLS: the certificate's fingerprint,
// for students to compare with what their mail program shows, and the
// ports that speak TLS.
func (a *app) tlsInfo() web.TLSInfo {
	if a.cert == nil {
		return web.TLSInfo{}
	}
	return web.TLSInfo{
		Fingerprint: a.cert.Fingerprint,
		SelfSigned:  a.cert.Origin != certs.Own,
		Submission:  a.ports["submission"],
		Submissions: a.ports["submissions"],
		POP3:        a.ports["pop3"],
		POP3S:       a.ports["pop3s"],
	}
}

// leaf is the certificate the TLS services present, nil if none is on.
func (a *app) leaf() *x509.Certificate {
	if a.cert == nil {
		return nil
	}
	return a.cert.Leaf
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
	if a.live != nil {
		a.live.Close() // before the store closes: a run under way finishes
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

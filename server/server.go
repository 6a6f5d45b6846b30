// Package server is smtplab's HTTP side: the pages, the WebSocket that wires
// each browser terminal to a sandbox session, the registry of visitors'
// private worlds, and the live view of the sessions real clients are having.
// It holds no protocol logic: it moves lines to the engines and events back,
// with their explanations in the visitor's language.
package server

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"smtplab/classroom"
	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/dns"
	"smtplab/sandbox/network"
	"smtplab/web"
)

// Limits of the web side. Each is enforced and reported to the visitor.
const (
	// MaxWorlds bounds the private worlds kept at once, one per visitor.
	MaxWorlds = 500
	// MaxWorldsPerAddress bounds the worlds opened from one client address:
	// one machine cannot take them all, while a class behind one address
	// (NAT) still fits.
	MaxWorldsPerAddress = 64
	// WorldIdle is how long a world without a connected page is kept.
	WorldIdle = 2 * time.Hour
	// MaxConnsPerVisitor bounds a visitor's open WebSockets (tabs).
	MaxConnsPerVisitor = 8
	// MaxTerminalsPerVisitor bounds the terminals a visitor's tabs keep.
	MaxTerminalsPerVisitor = 8
	// VisitorMessageSize is the SIZE a visitor's world advertises.
	VisitorMessageSize = 1 << 20
	// VisitorStore is how much a visitor's world may hold in all.
	VisitorStore = 16 << 20
	// Budgets shared by every visitor, so that the per-visitor bounds,
	// multiplied by MaxWorlds, still fit the machine: the mail of the
	// practice worlds, the transcripts their terminals keep, and what waits
	// to be sent to pages. Past a budget, a delivery gets 452, a terminal
	// forgets its oldest lines, a page is dropped and reconnects.
	VisitorMailBudget = 512 << 20
	TranscriptBudget  = 256 << 20
	SendBudget        = 256 << 20
	// MaxWSMessage is the largest message a page may send (a pasted message).
	MaxWSMessage = VisitorMessageSize + 64<<10
)

// Config is what the server needs from its caller.
type Config struct {
	World   *sandbox.World // the shared world served over TCP and shown on /live
	Ports   Ports          // where real clients reach the same services (0: off)
	Logger  *slog.Logger
	Lessons *lessons.Library // may be nil
	// Health reports whether the services beside the web side work (nil: ok);
	// /healthz answers 503 with its error otherwise. May be nil.
	Health func() error
	// Classroom holds the classes; nil turns classroom mode off.
	Classroom *classroom.Manager
	// TeacherKey opens the teacher's pages ("" locks them for everyone).
	TeacherKey string
	// Hostnames are the names (besides IP addresses and localhost) this
	// server may be reached by, e.g. a classroom machine's name.
	Hostnames []string
	// NewSession starts an engine session of protocol p in w.
	NewSession func(w *sandbox.World, p sandbox.Proto, peer sandbox.Peer) sandbox.Session
	// MaxWorlds bounds the visitors' private worlds (0: the MaxWorlds
	// constant); the open WebSockets are bounded at twice as many.
	MaxWorlds int
	// TLS is the certificate's fingerprint and the ports that speak TLS,
	// for the pages (zero: no TLS service is on).
	TLS web.TLSInfo
	// Cert is the certificate the TLS services present; the browser
	// terminal's openssl shows it (nil: the terminal makes one of its own).
	Cert *x509.Certificate
	// Network is the sandbox's network of mail domains each visitor's
	// world is the home of (nil: the built-in one); Resolver its DNS,
	// shared with the classes (nil: the network's own).
	Network  *network.Network
	Resolver *dns.Resolver
	// WatchShared, when set, tells onWorld of each other server's world of
	// World's network, those made so far and those made later
	// (network.Live.Watch): /live shows the relay sessions between them.
	WatchShared func(onWorld func(*sandbox.World))
}

// Ports are the TCP ports of the services for real clients. The terminal
// accepts them after telnet as well as the standard 25, 110 and 109.
type Ports struct{ SMTP, POP3, POP2 int }

// Server serves smtplab's web interface.
type Server struct {
	cfg     Config
	log     *slog.Logger
	worlds  *registry
	live    *liveHub
	handler http.Handler
	stop    context.CancelFunc
	sockets atomic.Int64 // open WebSockets
	secret  [32]byte     // signs form tokens; new at each start
	classes *classHubs
	joins   *limiter
	replays sync.Map // lesson replays already run, by slug/step/locale

	mail, logs, sends *sandbox.Budget // see VisitorMailBudget
	termCert          certCache       // the browser terminal's certificate (shell.go)
}

// New builds the server and starts its housekeeping; Close stops it.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, log: cfg.Logger, stop: stop, classes: newClassHubs(), joins: newLimiter(JoinAttempts, JoinWindow)}
	rand.Read(s.secret[:])
	s.mail = &sandbox.Budget{Max: VisitorMailBudget}
	s.logs = &sandbox.Budget{Max: TranscriptBudget}
	s.sends = &sandbox.Budget{Max: SendBudget}
	if s.cfg.Network == nil {
		s.cfg.Network = network.Default()
	}
	if s.cfg.Resolver == nil {
		s.cfg.Resolver = s.cfg.Network.Resolver()
	}
	if s.cfg.MaxWorlds <= 0 {
		s.cfg.MaxWorlds = MaxWorlds
	}
	s.worlds = newRegistry(s.cfg.MaxWorlds, WorldIdle, s.practiceWorld)
	s.worlds.logs = s.logs
	s.worlds.network = s.startNetwork
	s.live = newLiveHub(cfg.World)
	if cfg.WatchShared != nil {
		cfg.WatchShared(s.live.watchWorld)
	}
	go s.worlds.janitor(ctx, time.Minute)
	s.handler = s.routes()
	return s
}

// Handler is the HTTP handler of every route.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops housekeeping and ends every browser session.
func (s *Server) Close() {
	s.stop()
	s.live.close()
	s.worlds.closeAll()
}

// practiceWorld is a visitor's world, its mail counted in the visitors'
// budget.
func (s *Server) practiceWorld(name string) *sandbox.World {
	store := sandbox.NewMemoryStore()
	store.Budget = s.mail
	return s.newVisitorWorld(name, store)
}

// newVisitorWorld is a world like the shared one, with a visitor's limits.
func (s *Server) newVisitorWorld(name string, store sandbox.Store) *sandbox.World {
	return sandbox.NewWorld(sandbox.Config{
		Store:  store,
		Name:   name,
		Domain: s.cfg.World.Domain,
		Host:   s.cfg.World.Host,
		Limits: s.visitorLimits(),
	})
}

// visitorLimits are the sizes of a visitor's worlds, with the timeouts of
// the shared one.
func (s *Server) visitorLimits() sandbox.Limits {
	return sandbox.Limits{
		MaxMessageSize: VisitorMessageSize,
		MaxStore:       VisitorStore,
		MaxMailbox:     VisitorStore,
		CommandTimeout: s.cfg.World.Limits.CommandTimeout,
		DataTimeout:    s.cfg.World.Limits.DataTimeout,
		Autologout:     s.cfg.World.Limits.Autologout,
		AuthFailDelay:  s.cfg.World.Limits.AuthFailDelay,
	}
}

func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(recoverer(s.log), securityHeaders, s.knownHost, compressed, middleware.GetHead, s.withLocale)
	r.Get("/", s.page("home", func(p web.Page) templ.Component { return web.Home(p, s.lessonItems(p.Locale, p.Shell.ClassHost != "")) }))
	r.Get("/lessons", s.page("lessons", func(p web.Page) templ.Component {
		return web.LessonList(p, s.lessonItems(p.Locale, p.Shell.ClassHost != ""))
	}))
	r.Get("/lessons/{slug}", s.lesson)
	r.Get("/sandbox", s.page("sandbox", web.Sandbox))
	r.Get("/live", s.page("live", web.Live))
	r.Get("/ws", s.serveWS)
	s.classRoutes(r)
	r.Get("/lang/{locale}", s.setLanguage)
	r.Get("/healthz", s.healthz)
	r.Handle("/static/*", http.StripPrefix("/static/", staticHandler(web.Static())))
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.notFound)
	return r
}

// page renders a page component for the nav entry name.
func (s *Server) page(name string, body func(web.Page) templ.Component) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.pageData(r, name, "title."+name)
		s.visitorID(w, r) // the page's WebSocket will need it
		s.render(w, r, http.StatusOK, body(p))
	}
}

func (s *Server) pageData(r *http.Request, nav, titleKey string) web.Page {
	l := localeOf(r)
	p := web.Page{
		Locale: string(l),
		Path:   r.URL.Path,
		Nav:    nav,
		Title:  web.T(string(l), titleKey),
		Shell: web.Shell{
			Host: s.cfg.World.Host, Domain: s.cfg.World.Domain,
			SMTPPort: s.cfg.Ports.SMTP, POP3Port: s.cfg.Ports.POP3, POP2Port: s.cfg.Ports.POP2,
		},
	}
	s.classShell(r, &p.Shell)
	return p
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := c.Render(web.WithTLS(r.Context(), s.cfg.TLS), w); err != nil {
		s.log.Warn("render failed", "path", r.URL.Path, "err", err)
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	p := s.pageData(r, "", "title.notfound")
	s.render(w, r, http.StatusNotFound, web.NotFound(p))
}

// healthz says "ok", or 503 and what is wrong: a TCP service that cannot
// accept clients makes the whole of smtplab unhealthy.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.Health != nil {
		if err := s.cfg.Health(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("unhealthy: " + err.Error() + "\n"))
			return
		}
	}
	w.Write([]byte("ok\n"))
}

// setLanguage remembers the chosen language and goes back to the page.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	l, ok := parseLocale(chi.URLParam(r, "locale"))
	if !ok {
		s.notFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// staticHandler serves the embedded files. Under /static/VERSION/ (see
// web.asset) a file of this version is cacheable for good; a path of
// another version (a page from before an upgrade) or none gets the current
// file, revalidated each time. ?v=VERSION is understood too.
func staticHandler(files fs.FS) http.Handler {
	fsrv := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path
		current := r.URL.Query().Get("v") == web.AssetVersion
		if version, rest, ok := strings.Cut(name, "/"); ok && isVersion(version) {
			name, current = rest, version == web.AssetVersion
		}
		if strings.HasSuffix(name, "/") || name == "" {
			http.NotFound(w, r)
			return
		}
		if current {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = name
		fsrv.ServeHTTP(w, r2)
	})
}

// isVersion reports whether a path segment has the shape of an asset
// version (hex digits, as long as web.AssetVersion).
func isVersion(s string) bool {
	if len(s) != len(web.AssetVersion) {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// compressed gzips what the pages and files send (text, scripts, styles),
// but never the WebSocket's upgrade.
func compressed(next http.Handler) http.Handler {
	gz := middleware.Compress(5, "text/html", "text/css", "text/javascript", "application/javascript",
		"application/json", "image/svg+xml", "text/plain", "text/csv")(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			next.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(w, r)
	})
}

// localPath returns next if it is a path on this site, else "/": the
// language switch must never become an open redirect. Browsers drop tabs
// and newlines from URLs and read \\ as /, so "/\t/evil" or "/\\evil" would
// reach another host; any such character refuses the path.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	for _, c := range []byte(next) {
		if c <= ' ' || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

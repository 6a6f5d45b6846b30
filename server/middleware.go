package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"

	"golang.org/x/text/language"

	"smtplab/sandbox/catalog"
	"smtplab/web"
)

// contentSecurityPolicy allows nothing but smtplab's own files: no inline
// script, no other origin, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil && v != http.ErrAbortHandler {
					log.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
					http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

const (
	langCookie    = "smtplab_lang"
	visitorCookie = "smtplab_visitor"
)

type localeKey struct{}

var matcher = language.NewMatcher([]language.Tag{language.French, language.English})

// withLocale picks the page language: the visitor's choice (cookie), else
// the browser's Accept-Language, else French.
func (s *Server) withLocale(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language, Cookie")
		l := pickLocale(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), localeKey{}, l)))
	})
}

func pickLocale(r *http.Request) catalog.Locale {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := parseLocale(c.Value); ok {
			return l
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if len(tags) == 0 {
		return catalog.FR
	}
	if _, i, conf := matcher.Match(tags...); conf != language.No && i == 1 {
		return catalog.EN
	}
	return catalog.FR
}

func localeOf(r *http.Request) catalog.Locale {
	if l, ok := r.Context().Value(localeKey{}).(catalog.Locale); ok {
		return l
	}
	return catalog.FR
}

func parseLocale(s string) (catalog.Locale, bool) {
	for _, l := range catalog.Locales {
		if s == string(l) {
			return l, true
		}
	}
	return "", false
}

// visitorID returns the visitor's id, giving a new visitor one. The id
// names the visitor's private world; it carries nothing else. A student's
// id is their student id, issued by the server and looked up, so their
// practice world follows them from one computer to the next.
func (s *Server) visitorID(w http.ResponseWriter, r *http.Request) string {
	if st, _, ok := s.student(r); ok {
		return st.ID
	}
	return s.newVisitorID(w, r)
}

// newVisitorID reads the visitor cookie, or issues one. The cookie is the
// id and the server's signature of it: an id a client makes up is not
// taken, so no client can choose which worlds exist. The signing key is new
// at each start, as the practice worlds are.
func (s *Server) newVisitorID(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(visitorCookie); err == nil {
		if id, sig, ok := strings.Cut(c.Value, "."); ok && validVisitorID(id) && equalMAC(sig, s.csrf("visitor:"+id)) {
			return id
		}
	}
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{
		Name: visitorCookie, Value: id + "." + s.csrf("visitor:"+id), Path: "/", MaxAge: 30 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	return id
}

func equalMAC(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func validVisitorID(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// knownHost refuses a request whose Host is a name smtplab was not told
// about. A page of another site whose name is made to resolve to 127.0.0.1
// (DNS rebinding) sends its own name as Host: without this check, the
// same-origin test of the WebSocket would pass for it. IP addresses and
// localhost are always known; -hostname adds names.
func (s *Server) knownHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusMisdirectedRequest)
			w.Write([]byte(web.T(string(pickLocale(r)), "error.host") + "\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return host != ""
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, n := range s.cfg.Hostnames {
		if strings.EqualFold(n, host) {
			return true
		}
	}
	return false
}

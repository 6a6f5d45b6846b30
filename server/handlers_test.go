package server_test

import (
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/server"
	"smtplab/web"
)

// engines starts a session of the real engine of each protocol.
var engines = engine.New

// appWith serves the web side over world w with the lesson library lib.
func appWith(t *testing.T, w *sandbox.World, lib *lessons.Library) *httptest.Server {
	t.Helper()
	s := server.New(server.Config{
		World: w, Lessons: lib,
		Ports:      server.Ports{SMTP: 2525, POP3: 1100, POP2: 1109},
		NewSession: engines,
	})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return ts
}

func builtin(t *testing.T) *lessons.Library {
	t.Helper()
	lib, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Slugs()) == 0 {
		t.Fatal("no built-in lessons")
	}
	return lib
}

type response struct {
	*http.Response
	body string
}

// get sends one request with the given headers (a "Cookie" entry is sent
// as is) and reads the whole answer.
func fetch(t *testing.T, method, url string, hdr map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	// The transport alone: it neither follows nor parses redirects.
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res, string(b)}
}

func get(t *testing.T, url string, hdr map[string]string) response {
	t.Helper()
	return fetch(t, http.MethodGet, url, hdr)
}

var htmlLang = regexp.MustCompile(`<html lang="([^"]*)"`)

// langOf is the lang attribute of the page's html element.
func langOf(t *testing.T, body string) string {
	t.Helper()
	m := htmlLang.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no <html lang=…> in the page:\n%.400s", body)
	}
	return m[1]
}

// text is an interface text as a page shows it (HTML-escaped).
func text(locale, key string) string {
	return html.EscapeString(web.T(locale, key))
}

func wantHTML(t *testing.T, r response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Errorf("%s %s: status %d, want %d", r.Request.Method, r.Request.URL.RequestURI(), r.StatusCode, status)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", r.Request.URL.RequestURI(), ct)
	}
	if !strings.HasPrefix(r.body, "<!doctype html>") && !strings.HasPrefix(strings.ToLower(r.body), "<!doctype html>") {
		t.Errorf("%s: not a whole HTML page:\n%.200s", r.Request.URL.RequestURI(), r.body)
	}
	if !strings.HasSuffix(strings.TrimSpace(r.body), "</html>") {
		t.Errorf("%s: the page does not end with </html>", r.Request.URL.RequestURI())
	}
}

// TestPagesInBothLocales loads every page in French and in English and
// checks each shows its own texts, in the chosen language only.
func TestPagesInBothLocales(t *testing.T) {
	ts, _ := app(t)
	lib := builtin(t)
	first := lib.List("en")[0]
	pages := []struct {
		path string
		keys []string // interface texts the page shows
	}{
		{"/", []string{"title.home", "home.title", "home.lead", "lessons.title", "nav.lessons", "foot.sandbox"}},
		{"/lessons", []string{"title.lessons", "lessons.title", "lessons.lead"}},
		{"/lessons/" + first.Slug, []string{"lesson.label", "lesson.reset", "term.title"}},
		{"/sandbox", []string{"title.sandbox", "sandbox.title", "sandbox.lead", "term.title", "env.title", "mbox.title"}},
		{"/live", []string{"title.live", "live.title", "live.lead"}},
	}
	for _, p := range pages {
		for _, loc := range []string{"fr", "en"} {
			other := "en"
			if loc == "en" {
				other = "fr"
			}
			r := get(t, ts.URL+p.path, map[string]string{"Cookie": "smtplab_lang=" + loc})
			wantHTML(t, r, http.StatusOK)
			if got := langOf(t, r.body); got != loc {
				t.Errorf("%s with cookie %s: lang=%q", p.path, loc, got)
			}
			for _, k := range p.keys {
				if !strings.Contains(r.body, text(loc, k)) {
					t.Errorf("%s (%s): text %s = %q missing", p.path, loc, k, web.T(loc, k))
				}
				if web.T(loc, k) != web.T(other, k) && strings.Contains(r.body, text(other, k)) {
					t.Errorf("%s (%s): shows %s in %s too", p.path, loc, k, other)
				}
			}
			// The language switch offers the other language and comes back here.
			if want := `href="/lang/` + other + `?next=` + p.path + `"`; !strings.Contains(r.body, want) {
				t.Errorf("%s (%s): no language switch %s", p.path, loc, want)
			}
			if c := r.Header.Get("Cache-Control"); c != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", p.path, c)
			}
		}
	}
}

// TestLocaleChoice: the cookie first, then Accept-Language, then French.
func TestLocaleChoice(t *testing.T) {
	ts, _ := app(t)
	cases := []struct {
		cookie, accept, want string
	}{
		{"", "", "fr"},
		{"", "en-GB,en;q=0.9", "en"},
		{"", "en", "en"},
		{"", "en-US", "en"},
		{"", "de-DE", "fr"},
		{"", "fr-CA", "fr"},
		{"", "fr-FR,fr;q=0.9,en;q=0.8", "fr"},
		{"", "de-DE,en;q=0.8", "en"},
		{"", "garbage;;;q=x", "fr"},
		{"en", "fr-FR,fr", "en"},
		{"fr", "en-GB,en;q=0.9", "fr"},
		{"de", "en-GB", "en"}, // a cookie naming no language of ours is ignored
		{"de", "", "fr"},
	}
	for _, c := range cases {
		hdr := map[string]string{}
		if c.cookie != "" {
			hdr["Cookie"] = "smtplab_lang=" + c.cookie
		}
		if c.accept != "" {
			hdr["Accept-Language"] = c.accept
		}
		for _, path := range []string{"/", "/sandbox", "/nope"} {
			r := get(t, ts.URL+path, hdr)
			if got := langOf(t, r.body); got != c.want {
				t.Errorf("%s cookie=%q Accept-Language=%q: lang %q, want %q", path, c.cookie, c.accept, got, c.want)
			}
			if !strings.Contains(r.body, text(c.want, "nav.home")) {
				t.Errorf("%s cookie=%q Accept-Language=%q: navigation not in %s", path, c.cookie, c.accept, c.want)
			}
			vary := strings.Join(r.Header.Values("Vary"), ",")
			if !strings.Contains(vary, "Accept-Language") || !strings.Contains(vary, "Cookie") {
				t.Errorf("%s: Vary %q should name Accept-Language and Cookie", path, vary)
			}
		}
	}
}

func TestLessonList(t *testing.T) {
	ts, _ := app(t)
	lib := builtin(t)
	for _, loc := range []string{"fr", "en"} {
		for _, path := range []string{"/lessons", "/"} {
			r := get(t, ts.URL+path, map[string]string{"Cookie": "smtplab_lang=" + loc})
			wantHTML(t, r, http.StatusOK)
			var list []*lessons.Lesson
			for _, l := range lib.List(loc) {
				if l.World != lessons.WorldClass { // listed for students only
					list = append(list, l)
				}
			}
			if n := strings.Count(r.body, `class="lesson-item"`); n != len(list) {
				t.Errorf("%s (%s): %d lessons listed, want %d", path, loc, n, len(list))
			}
			last := -1
			for _, l := range list {
				link := `href="/lessons/` + l.Slug + `"`
				i := strings.Index(r.body, link)
				if i < 0 {
					t.Errorf("%s (%s): no link %s", path, loc, link)
					continue
				}
				if i < last {
					t.Errorf("%s (%s): lesson %s listed out of order", path, loc, l.Slug)
				}
				last = i
				if !strings.Contains(r.body, html.EscapeString(l.Title)) {
					t.Errorf("%s (%s): title %q of %s missing", path, loc, l.Title, l.Slug)
				}
				if l.Locale == loc && !strings.Contains(r.body, html.EscapeString(l.Summary)) {
					t.Errorf("%s (%s): summary of %s missing", path, loc, l.Slug)
				}
			}
		}
	}
}

func TestLessonPages(t *testing.T) {
	ts, _ := app(t)
	lib := builtin(t)
	for _, loc := range []string{"fr", "en"} {
		for _, l := range lib.List(loc) {
			if l.World == lessons.WorldClass {
				continue // a class lesson needs a student: TestClassLessonPage
			}
			r := get(t, ts.URL+"/lessons/"+l.Slug, map[string]string{"Cookie": "smtplab_lang=" + loc})
			wantHTML(t, r, http.StatusOK)
			if got := langOf(t, r.body); got != loc {
				t.Errorf("%s (%s): lang %q", l.Slug, loc, got)
			}
			if n := strings.Count(r.body, `class="step"`); n != len(l.Steps) {
				t.Errorf("%s (%s): %d steps shown, want %d", l.Slug, loc, n, len(l.Steps))
			}
			for _, s := range l.Steps {
				if !strings.Contains(r.body, `data-step="`+s.ID+`"`) {
					t.Errorf("%s (%s): step %s missing", l.Slug, loc, s.ID)
				}
			}
			if !strings.Contains(r.body, "<title>"+html.EscapeString(l.Title)+" · smtplab</title>") {
				t.Errorf("%s (%s): the page title is not the lesson's", l.Slug, loc)
			}
			if !strings.Contains(r.body, `data-lesson="`+l.Slug+`"`) {
				t.Errorf("%s (%s): no data-lesson for the page's script", l.Slug, loc)
			}
		}
	}
}

func TestNotFound(t *testing.T) {
	ts, _ := app(t)
	for _, loc := range []string{"fr", "en"} {
		hdr := map[string]string{"Cookie": "smtplab_lang=" + loc}
		for _, req := range []struct{ method, path string }{
			{"GET", "/nope"},
			{"GET", "/lessons/no-such-lesson"},
			{"GET", "/lessons/first-session/extra"},
			{"GET", "/lang/de"},
			{"GET", "/lang/"},
			{"POST", "/"},
			{"POST", "/lessons"},
			{"DELETE", "/sandbox"},
		} {
			r := fetch(t, req.method, ts.URL+req.path, hdr)
			wantHTML(t, r, http.StatusNotFound)
			if got := langOf(t, r.body); got != loc {
				t.Errorf("%s %s: lang %q, want %s", req.method, req.path, got, loc)
			}
			for _, k := range []string{"title.notfound", "notfound.title", "notfound.text", "notfound.home", "nav.sandbox"} {
				if !strings.Contains(r.body, text(loc, k)) {
					t.Errorf("%s %s (%s): 404 page lacks %s", req.method, req.path, loc, k)
				}
			}
			if strings.Contains(r.body, "Method Not Allowed") || r.Header.Get("Allow") != "" {
				t.Errorf("%s %s: answered as method not allowed", req.method, req.path)
			}
			if req.path == "/lang/de" && len(r.Cookies()) > 0 {
				t.Errorf("/lang/de set a cookie: %v", r.Cookies())
			}
		}
	}
}

func TestHealthz(t *testing.T) {
	ts, _ := app(t)
	r := get(t, ts.URL+"/healthz", nil)
	if r.StatusCode != http.StatusOK || strings.TrimSpace(r.body) != "ok" {
		t.Fatalf("/healthz: %d %q", r.StatusCode, r.body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("/healthz Content-Type %q", ct)
	}
}

func TestStatic(t *testing.T) {
	ts, _ := app(t)
	want, err := fs.ReadFile(web.Static(), "app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ query, cache string }{
		{"?v=" + web.AssetVersion, "public, max-age=31536000, immutable"},
		{"", "no-cache"},
		{"?v=0000stale000", "no-cache"},
		{"@/" + web.AssetVersion + "/", "public, max-age=31536000, immutable"},
		{"@/0123456789ab/", "no-cache"},
	} {
		path := "/static/app.js" + c.query
		if dir, ok := strings.CutPrefix(c.query, "@"); ok {
			path = "/static" + dir + "app.js"
		}
		r := get(t, ts.URL+path, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("/static/app.js%s: %d", c.query, r.StatusCode)
		}
		if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
			t.Errorf("/static/app.js%s: Content-Type %q", c.query, ct)
		}
		if got := r.Header.Get("Cache-Control"); got != c.cache {
			t.Errorf("/static/app.js%s: Cache-Control %q, want %q", c.query, got, c.cache)
		}
		if r.body != string(want) {
			t.Errorf("/static/app.js%s: not the embedded file", c.query)
		}
	}
	if ct := get(t, ts.URL+"/static/app.css", nil).Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("/static/app.css: Content-Type %q", ct)
	}
	// Every asset the layout names is served.
	home := get(t, ts.URL+"/", nil).body
	for _, m := range regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(home, -1) {
		u := html.UnescapeString(m[1])
		if !strings.HasPrefix(u, "/static/"+web.AssetVersion+"/") {
			t.Errorf("asset %s is not versioned", u)
		}
		if r := get(t, ts.URL+u, nil); r.StatusCode != http.StatusOK {
			t.Errorf("asset %s: %d", u, r.StatusCode)
		}
	}
	for _, path := range []string{"/static/", "/static", "/static/nope.js", "/static/../server.go"} {
		r := get(t, ts.URL+path, nil)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, r.StatusCode)
		}
		if strings.Contains(r.body, `href="app.js"`) || strings.Contains(r.body, "package server") {
			t.Errorf("%s lists or leaks files:\n%s", path, r.body)
		}
	}
}

func TestLanguageSwitch(t *testing.T) {
	ts, _ := app(t)
	for _, c := range []struct{ locale, next, want string }{
		{"en", "/sandbox", "/sandbox"},
		{"fr", "/lessons/first-session", "/lessons/first-session"},
		{"en", "/lessons?x=1", "/lessons?x=1"},
		{"en", "", "/"},
		{"en", "sandbox", "/"},
		{"en", "//evil.example", "/"},
		{"en", "//evil.example/path", "/"},
		{"en", "https://evil.example", "/"},
		{"en", "http://evil.example/", "/"},
		{"en", `/\evil.example`, "/"},
		{"en", `\\evil.example`, "/"},
		{"fr", "javascript:alert(1)", "/"},
	} {
		u := ts.URL + "/lang/" + c.locale
		if c.next != "" {
			u += "?next=" + url.QueryEscape(c.next)
		}
		r := get(t, u, nil)
		if r.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: status %d, want 303", u, r.StatusCode)
		}
		if loc := r.Header.Get("Location"); loc != c.want {
			t.Errorf("next=%q: Location %q, want %q", c.next, loc, c.want)
		}
		var lang *http.Cookie
		for _, ck := range r.Cookies() {
			if ck.Name == "smtplab_lang" {
				lang = ck
			}
		}
		if lang == nil {
			t.Errorf("%s: no smtplab_lang cookie", u)
			continue
		}
		if lang.Value != c.locale || lang.Path != "/" || !lang.HttpOnly || lang.MaxAge <= 0 || lang.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: cookie %s", u, lang)
		}
	}
	// The cookie it sets then chooses the language of the next page.
	r := get(t, ts.URL+"/lang/en?next=/sandbox", map[string]string{"Accept-Language": "fr"})
	next := get(t, ts.URL+r.Header.Get("Location"), map[string]string{
		"Accept-Language": "fr", "Cookie": r.Cookies()[0].String(),
	})
	if langOf(t, next.body) != "en" {
		t.Error("after /lang/en the sandbox is not in English")
	}
}

// browserURL resolves a Location header the way a browser does: the URL
// standard removes every tab and newline before parsing it.
func browserURL(base *url.URL, location string) (*url.URL, error) {
	location = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, strings.TrimSpace(location))
	location = strings.ReplaceAll(location, `\`, "/") // and reads a backslash as a slash
	ref, err := url.Parse(location)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(ref), nil
}

// TestLanguageSwitchNoOpenRedirect: whatever next holds, a browser that
// follows the redirect stays on this site.
func TestLanguageSwitchNoOpenRedirect(t *testing.T) {
	ts, _ := app(t)
	base, _ := url.Parse(ts.URL + "/lang/en")
	for _, next := range []string{
		"//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
		"\t//evil.example", " //evil.example", "/%2F/evil.example", "/\\/evil.example",
		"https:evil.example", "/.//evil.example", "/ /evil.example",
	} {
		r := get(t, ts.URL+"/lang/en?next="+url.QueryEscape(next), nil)
		loc := r.Header.Get("Location")
		u, err := browserURL(base, loc)
		if err != nil {
			continue // a browser would not follow it either
		}
		if u.Host != base.Host {
			t.Errorf("next=%q: Location %q takes a browser to %s", next, loc, u)
		}
	}
}

// TestSecurityHeaders: every kind of response carries them.
func TestSecurityHeaders(t *testing.T) {
	ts, _ := app(t)
	lib := builtin(t)
	paths := []string{
		"/", "/lessons", "/lessons/" + lib.Slugs()[0], "/sandbox", "/live", "/nope", "/lessons/nope",
		"/healthz", "/static/app.js", "/static/app.js?v=" + web.AssetVersion, "/static/", "/static/nope.css",
		"/lang/en?next=/sandbox", "/lang/de", "/ws",
	}
	for _, p := range paths {
		for _, method := range []string{"GET", "POST"} {
			r := fetch(t, method, ts.URL+p, nil)
			h := r.Header
			csp := h.Get("Content-Security-Policy")
			directives := map[string]string{}
			for _, d := range strings.Split(csp, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
				directives[name] = value
			}
			if directives["script-src"] != "'self'" {
				t.Errorf("%s %s: script-src %q in CSP %q", method, p, directives["script-src"], csp)
			}
			if directives["frame-ancestors"] != "'none'" {
				t.Errorf("%s %s: frame-ancestors %q", method, p, directives["frame-ancestors"])
			}
			if directives["default-src"] != "'self'" || directives["object-src"] != "'none'" {
				t.Errorf("%s %s: CSP %q", method, p, csp)
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "*") {
				t.Errorf("%s %s: CSP allows too much: %q", method, p, csp)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s %s: X-Content-Type-Options %q", method, p, got)
			}
			if got := h.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("%s %s: Referrer-Policy %q", method, p, got)
			}
			if got := h.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("%s %s: X-Frame-Options %q", method, p, got)
			}
		}
	}
}

var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script\s*>`)
	handlerAttr = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=[^>]*>`)
	scriptURL   = regexp.MustCompile(`(?i)(?:href|src|action)\s*=\s*["']?\s*javascript:`)
)

// checkScripts fails on any script in the page but external files of
// this site and inert JSON data blocks.
func checkScripts(t *testing.T, where, page string) {
	t.Helper()
	for _, p := range scriptProblems(page) {
		t.Errorf("%s: %s", where, p)
	}
}

func scriptProblems(page string) []string {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if n, m := strings.Count(strings.ToLower(page), "<script"), len(scriptTag.FindAllString(page, -1)); n != m {
		fail("%d <script opening tags but %d whole script elements", n, m)
	}
	for _, m := range scriptTag.FindAllStringSubmatch(page, -1) {
		attrs, body := m[1], m[2]
		switch {
		case strings.Contains(attrs, `type="application/json"`):
			if strings.Contains(strings.ToLower(body), "<") {
				fail("a JSON block holds a raw '<': %.200s", body)
			}
		case regexp.MustCompile(`\ssrc="/static/`).MatchString(attrs):
			if strings.TrimSpace(body) != "" {
				fail("script with src and a body: %s", m[0])
			}
		default:
			fail("inline script %.200s", m[0])
		}
	}
	if m := handlerAttr.FindString(page); m != "" {
		fail("an inline event handler attribute: %s", m)
	}
	if m := scriptURL.FindString(page); m != "" {
		fail("a javascript: URL: %s", m)
	}
	return problems
}

func TestNoInlineScript(t *testing.T) {
	ts, _ := app(t)
	lib := builtin(t)
	paths := []string{"/", "/lessons", "/sandbox", "/live", "/nope"}
	for _, slug := range lib.Slugs() {
		if l, _ := lib.Get("en", slug); l.World != lessons.WorldClass {
			paths = append(paths, "/lessons/"+slug)
		}
	}
	for _, p := range paths {
		for _, loc := range []string{"fr", "en"} {
			r := get(t, ts.URL+p, map[string]string{"Cookie": "smtplab_lang=" + loc})
			checkScripts(t, p+" ("+loc+")", r.body)
			if !strings.Contains(r.body, `<script id="ui-strings" type="application/json">`) {
				t.Errorf("%s: no interface texts for the scripts", p)
			}
		}
	}
}

// TestCheckScriptsCatchesInlineScript proves the check above can fail.
func TestCheckScriptsCatchesInlineScript(t *testing.T) {
	for _, page := range []string{
		`<html><script>alert(1)</script></html>`,
		`<html><SCRIPT type="module">alert(1)</SCRIPT></html>`,
		`<html><script src="https://evil.example/x.js"></script></html>`,
		`<html><img src=x onerror=alert(1)></html>`,
		`<html><script type="application/json">{"a":"</b><script>"}</script></html>`,
	} {
		if len(scriptProblems(page)) == 0 {
			t.Errorf("checkScripts accepts %s", page)
		}
	}
}

// hostileLesson is a teacher's lesson that tries to slip HTML and script
// into every part of its page.
const hostileLesson = `---
title: Hostile <script>alert(0)</script> lesson
summary: Summary <img src=x onerror=alert(9)>
---

An *introduction* with <script>alert(1)</script> raw HTML and <img src=x onerror=alert(2)>.

<div onclick="alert(3)">block HTML</div>

[a link](javascript:alert(4))

## First step <script>alert(5)</script> {#first}

Type <b>HELO</b> <script>alert(6)</script>.

` + "```goal\nsession proto=smtp\n```\n\n```hint\nA hint <script>alert(7)</script>\n```\n\n```solution\ntelnet mail.example.test 25\nHELO <script>alert(8)</script>\n```\n\n" +
	"```replay\nproto: smtp\nC: HELO </script><script>alert(10)</script>\nC: QUIT\n```\n\n" +
	"## Quiz {#quiz}\n\n```quiz\nC: HELO <script>alert(11)</script>\nS: 250 </script><script>alert(12)</script> !! wrong <script>alert(13)</script>\n```\n\n```goal\nquiz found=1\n```\n"

func TestLessonFileHTMLIsNotRendered(t *testing.T) {
	dir := t.TempDir()
	for _, loc := range []string{"fr", "en"} {
		if err := os.WriteFile(filepath.Join(dir, "01-hostile."+loc+".md"), []byte(hostileLesson), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib, errs := lessons.LoadDir(dir)
	if len(errs) > 0 {
		t.Fatalf("the test lesson does not load: %v", errs)
	}
	if _, ok := lib.Get("en", "hostile"); !ok {
		t.Fatalf("lesson not loaded; slugs %v", lib.Slugs())
	}
	ts := appWith(t, sandbox.NewWorld(sandbox.Config{Name: "default"}), lib)
	for _, path := range []string{"/lessons/hostile", "/lessons", "/"} {
		for _, loc := range []string{"fr", "en"} {
			r := get(t, ts.URL+path, map[string]string{"Cookie": "smtplab_lang=" + loc})
			wantHTML(t, r, http.StatusOK)
			low := strings.ToLower(r.body)
			for _, bad := range []string{"<script>alert", "<img src=x", "<div onclick", "javascript:alert"} {
				if strings.Contains(low, bad) {
					i := strings.Index(low, bad)
					t.Errorf("%s (%s): lesson HTML rendered: …%s…", path, loc, r.body[max(0, i-80):min(len(r.body), i+80)])
				}
			}
			checkScripts(t, path+" ("+loc+")", r.body)
		}
	}
	r := get(t, ts.URL+"/lessons/hostile", map[string]string{"Cookie": "smtplab_lang=en"})
	// What was written as text is still there, as text.
	for _, want := range []string{"Hostile &lt;script&gt;alert(0)&lt;/script&gt; lesson", "HELO &lt;script&gt;alert(8)&lt;/script&gt;", "<em>introduction</em>"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("lesson page lacks %q", want)
		}
	}
	if n := strings.Count(r.body, `class="step"`); n != 2 {
		t.Errorf("%d steps shown, want 2", n)
	}
}

// TestTemplatesRenderNoVisitorText: the only raw HTML a template writes is
// lesson text that smtplab rendered itself from Markdown.
func TestTemplatesRenderNoVisitorText(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "web", "*.templ"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates found: %v", err)
	}
	raw := regexp.MustCompile(`templ\.Raw\(([^)]*\))?[^)\n]*\)`)
	allowed := map[string]bool{
		"templ.Raw(string(l.Intro))": true,
		"templ.Raw(string(s.Text))":  true,
		"templ.Raw(string(s.Hint))":  true,
		"templ.Raw(string(more))":    true, // s.MoreHints: lesson hints too
	}
	found := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range raw.FindAllString(string(b), -1) {
			found++
			if !allowed[m] {
				t.Errorf("%s: %s writes HTML that is not lesson text", filepath.Base(f), m)
			}
		}
		for _, danger := range []string{"templ.Unsafe", "@templ.FromGoHTML", "templ.SafeURL(", "templ.SafeCSS("} {
			if strings.Contains(string(b), danger) {
				t.Errorf("%s uses %s", filepath.Base(f), danger)
			}
		}
	}
	if found == 0 {
		t.Error("no templ.Raw found at all: is the pattern still right?")
	}
}

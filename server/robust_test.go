package server_test

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/server"
	"smtplab/web"
)

// TestWSSilentSocketIsClosed: a socket that never says hello is closed after
// HelloWait, so sockets nobody uses do not pile up.
func TestWSSilentSocketIsClosed(t *testing.T) {
	t.Parallel()
	ts, _ := app(t)
	ws, _, err := dialWS(ts, http.Header{"Origin": {ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	start := time.Now()
	ws.SetReadDeadline(time.Now().Add(server.HelloWait + 5*time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			break
		}
	}
	if d := time.Since(start); d < server.HelloWait-time.Second || d > server.HelloWait+4*time.Second {
		t.Fatalf("silent socket closed after %s, want about %s", d, server.HelloWait)
	}
}

// TestHealthzSaysWhatIsWrong: a TCP service that cannot accept clients
// makes /healthz answer 503 with the reason.
func TestHealthzSaysWhatIsWrong(t *testing.T) {
	var fault error
	s := server.New(server.Config{
		World:      sandbox.NewWorld(sandbox.Config{Name: "default"}),
		NewSession: engine.New,
		Health:     func() error { return fault },
	})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	if r := get(t, ts.URL+"/healthz", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("healthy: %d %q", r.StatusCode, r.body)
	}
	fault = errors.New("smtp: accept: too many open files")
	r := get(t, ts.URL+"/healthz", nil)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "too many open files") {
		t.Fatalf("unhealthy: %d %q", r.StatusCode, r.body)
	}
}

// TestWSPasteFloodIsPaced: one input of 60,000 NOOP lines (360 KB, under
// MaxWSMessage) is worked through at the speed the page reads, as over TCP:
// the server never holds more than a bounded part of its 180,000 events,
// and the page gets every reply and stays connected.
func TestWSPasteFloodIsPaced(t *testing.T) {
	ts := slowApp(t)
	c := connectSlow(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	c.send(openMsg("smtp"))
	c.untilReply(220)
	lines := make([]string, 60000)
	for i := range lines {
		lines[i] = "NOOP"
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()
	c.send(input(append(lines, "QUIT")...))
	replies := 0
	for {
		m, err := c.tryRead() // one at a time: the test keeps nothing
		if err != nil {
			t.Fatalf("after %d replies: %v", replies, err)
		}
		if m.code() == 250 {
			replies++
		}
		if m.code() == 221 {
			break
		}
	}
	close(stop)
	if replies != len(lines) {
		t.Errorf("%d NOOPs answered, want %d", replies, len(lines))
	}
	if grew := int64(peak.Load()) - int64(before.HeapAlloc); grew > 48<<20 {
		t.Errorf("the heap grew by %d MB during the paste: the events were not paced", grew>>20)
	}
}

// TestLiveHidesPasswords: /live is projected; a POP3 PASS or a POP2 HELO
// typed on the TCP ports shows there without its password.
func TestLiveHidesPasswords(t *testing.T) {
	ts, world := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.send(map[string]string{"t": "hello", "page": "live"})
	c.untilT("replayed")
	peer := sandbox.Peer{Remote: "192.0.2.7:40000", Transport: "test"}
	pop3 := engine.New(world, sandbox.POP3, peer)
	pop3.Start()
	sandbox.FeedAll(pop3, []byte("USER alice\r\nPASS s3cret-alice\r\nQUIT\r\n"))
	pop2 := engine.New(world, sandbox.POP2, peer)
	pop2.Start()
	sandbox.FeedAll(pop2, []byte("HELO bob s3cret-bob\r\nQUIT\r\n"))
	var seen []string
	for len(seen) < 2 {
		m := c.read()
		if strings.Contains(m.frame, "s3cret") {
			t.Fatalf("the live view shows a password: %s", m.frame)
		}
		if m.kind() == sandbox.EventInput && strings.Contains(m.frame, "••••••") {
			seen = append(seen, m.Ev.Input.Text)
		}
	}
	if seen[0] != "PASS ••••••" || seen[1] != "HELO bob ••••••" {
		t.Errorf("masked lines %q", seen)
	}
}

// TestLiveHidesAuth: an SMTP AUTH exchange reaches the live view with its
// verb and mechanism, never the credentials: not the base64, not the
// decoded password a reason quotes, not the command's secret part.
func TestLiveHidesAuth(t *testing.T) {
	ts, world := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.send(map[string]string{"t": "hello", "page": "live"})
	c.untilT("replayed")
	b64 := base64.StdEncoding.EncodeToString
	plain := b64([]byte("\x00alice\x00s3cret-plain"))
	user, pass := b64([]byte("alice")), b64([]byte("s3cret-login"))
	peer := sandbox.Peer{Remote: "192.0.2.7:40000", Transport: "test"}
	smtp := engine.New(world, sandbox.SMTP, peer)
	smtp.Start()
	sandbox.FeedAll(smtp, []byte("EHLO pc\r\nAUTH PLAIN "+plain+"\r\nRSET\r\nAUTH LOGIN\r\n"+user+"\r\n"+pass+"\r\nQUIT\r\n"))
	var lines []string
	for {
		m := c.read()
		for _, secret := range []string{"s3cret", plain, pass} {
			if strings.Contains(m.frame, secret) {
				t.Fatalf("the live view shows %q: %s", secret, m.frame)
			}
		}
		if m.kind() == sandbox.EventInput {
			lines = append(lines, m.Ev.Input.Text)
		}
		if m.kind() == sandbox.EventClose {
			break
		}
	}
	want := []string{"EHLO pc", "AUTH PLAIN ••••••", "RSET", "AUTH LOGIN", "••••••", "••••••", "QUIT"}
	if !slices.Equal(lines, want) {
		t.Errorf("lines on the live view\n got %q\nwant %q", lines, want)
	}
}

// TestUnknownHostIsRefused: a name that merely resolves to this machine
// (DNS rebinding) gets neither the pages nor the WebSocket; addresses,
// localhost and the names given with -hostname do.
func TestUnknownHostIsRefused(t *testing.T) {
	s := server.New(server.Config{World: sandbox.NewWorld(sandbox.Config{Name: "default"}), NewSession: engine.New,
		Hostnames: []string{"salle-b12.lycee.example"}})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	_, port, _ := strings.Cut(strings.TrimPrefix(ts.URL, "http://"), ":")
	for host, want := range map[string]int{
		"evil.example:" + port:                 http.StatusMisdirectedRequest,
		"127.0.0.1:" + port:                    http.StatusOK,
		"localhost:" + port:                    http.StatusOK,
		"[::1]:" + port:                        http.StatusOK,
		"SALLE-B12.lycee.example:" + port:      http.StatusOK,
		"salle-b12.lycee.example.evil:" + port: http.StatusMisdirectedRequest,
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, res.StatusCode, want)
		}
	}
	hdr := http.Header{"Origin": {"http://evil.example:" + port}, "Host": {"evil.example:" + port}}
	d := websocket.Dialer{NetDial: func(network, _ string) (net.Conn, error) {
		return net.Dial(network, strings.TrimPrefix(ts.URL, "http://"))
	}}
	if _, res, err := d.Dial("ws://evil.example:"+port+"/ws", hdr); err == nil || res == nil || res.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("a rebound page opened a WebSocket (err %v)", err)
	}
}

// TestVisitorIDsAreIssued: a visitor id a client makes up is not taken:
// the server issues another, signed, and only that one names a world.
func TestVisitorIDsAreIssued(t *testing.T) {
	ts, _ := app(t)
	minted := strings.Repeat("ab", 16)
	r := get(t, ts.URL+"/sandbox", map[string]string{"Cookie": "smtplab_visitor=" + minted})
	var issued string
	for _, c := range r.Cookies() {
		if c.Name == "smtplab_visitor" {
			issued = c.Value
		}
	}
	if issued == "" || strings.HasPrefix(issued, minted) {
		t.Fatalf("a made-up id was kept: cookie %q", issued)
	}
	c := connect(t, ts, minted, "en")
	w, _, _ := c.hello(nil)
	if w.World == "visitor-"+minted[:8] {
		t.Error("a made-up id named a world")
	}
	// The issued one is taken again, and a tampered signature is not.
	again := get(t, ts.URL+"/sandbox", map[string]string{"Cookie": "smtplab_visitor=" + issued})
	if len(again.Cookies()) != 0 {
		t.Errorf("the issued id was replaced: %v", again.Cookies())
	}
	tampered := issued[:len(issued)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", issued[len(issued)-1])+1)%16])
	if r := get(t, ts.URL+"/sandbox", map[string]string{"Cookie": "smtplab_visitor=" + tampered}); len(r.Cookies()) == 0 {
		t.Error("a tampered signature was taken")
	}
}

// TestCompressedVersionedHead: pages and files go gzipped to a browser
// that asks; the modules app.js imports get the page's version too, so
// every file is cacheable for good; HEAD is answered on pages.
func TestCompressedVersionedHead(t *testing.T) {
	ts, _ := app(t)
	tr := &http.Transport{DisableCompression: true}
	client := &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections)
	fetchGz := func(method, path string) *http.Response {
		req, _ := http.NewRequest(method, ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	home := fetchGz(http.MethodGet, "/")
	if home.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("the home page is not gzipped: %v", home.Header)
	}
	zr, err := gzip.NewReader(home.Body)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(zr)
	if !strings.Contains(string(page), "</html>") {
		t.Error("the gzipped page does not unpack to a page")
	}
	app := fetchGz(http.MethodGet, "/static/"+web.AssetVersion+"/app.js")
	if app.Header.Get("Content-Encoding") != "gzip" {
		t.Error("app.js is not gzipped")
	}
	js, _ := fs.ReadFile(web.Static(), "app.js")
	imports := regexp.MustCompile(`from '\./([a-z]+\.js)'`).FindAllStringSubmatch(string(js), -1)
	if len(imports) == 0 {
		t.Fatal("app.js imports nothing?")
	}
	for _, m := range imports {
		// The browser resolves './x.js' against /static/VERSION/app.js.
		r := fetchGz(http.MethodGet, "/static/"+web.AssetVersion+"/"+m[1])
		if r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("imported module %s: %d, %q", m[1], r.StatusCode, r.Header.Get("Cache-Control"))
		}
	}
	for _, path := range []string{"/", "/lessons", "/sandbox", "/healthz"} {
		r := fetchGz(http.MethodHead, path)
		b, _ := io.ReadAll(r.Body)
		if r.StatusCode != http.StatusOK || len(b) != 0 {
			t.Errorf("HEAD %s: %d with %d octets", path, r.StatusCode, len(b))
		}
	}
}

// BenchmarkLessonPageWithReplay is one GET of a lesson page that has a
// replay: the replay runs once per server, not once per page.
func BenchmarkLessonPageWithReplay(b *testing.B) {
	lib, _ := lessons.Builtin()
	slug := ""
	for _, l := range lib.List("fr") {
		for _, st := range l.Steps {
			if st.Replay != nil && slug == "" {
				slug = l.Slug
			}
		}
	}
	s := server.New(server.Config{World: sandbox.NewWorld(sandbox.Config{Name: "default"}), Lessons: lib, NewSession: engine.New})
	defer s.Close()
	h := s.Handler()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/lessons/"+slug, nil)
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d", rec.Code)
		}
	}
}

// TestWSRawAmplificationIsBounded: a page that asks for a big message's
// text again and again without reading is dropped once SendQueueBytes wait
// for it, instead of piling up copies.
func TestWSRawAmplificationIsBounded(t *testing.T) {
	ts := slowApp(t)
	c := connectSlow(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	c.send(openMsg("smtp"))
	body := make([]string, 0, 1000)
	for i := range 1000 {
		body = append(body, fmt.Sprintf("%04d %s", i, strings.Repeat("\"<>&", 100))) // JSON and HTML escaping at their worst
	}
	// Sent as a browser would, without escaping < > & (JSON does not need it).
	var frame strings.Builder
	enc := json.NewEncoder(&frame)
	enc.SetEscapeHTML(false)
	enc.Encode(input(append([]string{"HELO c.example.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<alice@example.test>", "DATA", "Subject: big", ""}, append(body, ".", "QUIT")...)...))
	c.sendRaw([]byte(frame.String()))
	c.untilReply(221)
	boxes := c.sync()
	uid := regexp.MustCompile(`"uid":"([^"]+)"`).FindStringSubmatch(dumpFrames(boxes))
	if uid == nil {
		t.Fatal("no message in the snapshot")
	}
	// Ask 200 times in a row, reading nothing: 200 × ~2 MB of JSON.
	for range 200 {
		b, _ := json.Marshal(map[string]string{"t": "raw", "mailbox": "alice", "uid": uid[1]})
		c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if c.ws.WriteMessage(websocket.TextMessage, b) != nil {
			break // dropped already
		}
		time.Sleep(5 * time.Millisecond) // within the rate limit's burst
	}
	// The page is dropped (its socket closes) rather than fed 200 copies.
	deadline := time.Now().Add(30 * time.Second)
	raws := 0
	for time.Now().Before(deadline) {
		m, err := c.tryRead()
		if err != nil {
			break
		}
		if m.T == "raw" {
			raws++
		}
	}
	// About 60 requests pass the rate limit; SendQueueBytes (16 MiB) holds 8 copies.
	t.Logf("%d copies reached the page before it was dropped", raws)
	if raws > 16 {
		t.Errorf("the page got %d copies of 2 MB: nothing bounded what waited for it", raws)
	}
}

func dumpFrames(ms []srvMsg) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.frame)
	}
	return b.String()
}

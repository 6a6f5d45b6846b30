package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/smtp"
	"smtplab/server"
)

// readWait bounds every wait for the server: a test that gets nothing
// fails after it instead of hanging.
const readWait = 5 * time.Second

// srvMsg is any message of the server, decoded loosely.
type srvMsg struct {
	T        string         `json:"t"`
	Terminal string         `json:"terminal"`
	Page     string         `json:"page"`
	World    string         `json:"world"`
	Key      string         `json:"key"`
	Text     string         `json:"text"`
	Ev       *sandbox.Event `json:"ev"`
	X        *struct {
		Reply    *catalog.Explanation `json:"reply"`
		Command  string               `json:"command"`
		Parts    []string             `json:"parts"`
		State    string               `json:"state"`
		Delivery string               `json:"delivery"`
	} `json:"x"`
	Boxes []struct {
		User     string `json:"user"`
		Address  string `json:"address"`
		Messages []struct {
			UID     string `json:"uid"`
			Subject string `json:"subject"`
			From    string `json:"from"`
			Size    int    `json:"size"`
		} `json:"messages"`
	} `json:"boxes"`
	Mailbox string   `json:"mailbox"`
	UID     string   `json:"uid"`
	Raw     string   `json:"raw"`
	Trace   int      `json:"trace"`
	Lesson  string   `json:"lesson"`
	Done    []string `json:"done"`

	frame string // as received
}

func (m srvMsg) String() string { return m.frame }

func (m srvMsg) kind() sandbox.EventKind {
	if m.T != "event" || m.Ev == nil {
		return ""
	}
	return m.Ev.Kind
}

// code is a reply event's code, 0 for anything else.
func (m srvMsg) code() int {
	if m.kind() != sandbox.EventReply {
		return 0
	}
	return m.Ev.Reply.Code
}

func (m srvMsg) isError(key string) bool { return m.T == "error" && m.Key == key }

// box lists the subjects in one mailbox of a mailboxes message.
func (m srvMsg) box(user string) []string {
	for _, b := range m.Boxes {
		if b.User == user {
			subjects := []string{}
			for _, msg := range b.Messages {
				subjects = append(subjects, msg.Subject)
			}
			return subjects
		}
	}
	return nil
}

type wsClient struct {
	t       *testing.T
	ws      *websocket.Conn
	backlog []json.RawMessage // messages of a frame not handed out yet
}

// newVisitor is the visitor cookie a first page of ts gives a browser.
func newVisitor(ts *httptest.Server) string {
	res, err := http.Get(ts.URL + "/sandbox")
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "smtplab_visitor" {
			return c.Value
		}
	}
	panic("the sandbox page set no visitor cookie")
}

func wsURL(ts *httptest.Server) string { return "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws" }

// dialWS opens the page's WebSocket with the given headers.
func dialWS(ts *httptest.Server, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: readWait}
	return d.Dial(wsURL(ts), hdr)
}

// connectSlow is connect for a page on a slower link than loopback: its
// socket takes little at a time, so the server cannot write far ahead of
// what the page has read.
func connectSlow(t *testing.T, ts *httptest.Server, visitor, lang string) *wsClient {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: readWait, NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			nc.(*net.TCPConn).SetReadBuffer(slowBuf)
		}
		return nc, err
	}}
	ws, _, err := d.Dial(wsURL(ts), http.Header{"Origin": {ts.URL}, "Cookie": {"smtplab_visitor=" + visitor + "; smtplab_lang=" + lang}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}
}

// slowBuf is the socket buffer of a slow link, on both ends.
var slowBuf = 32 << 10

// slowListener gives the server's side of each connection a small send
// buffer: what the page has not read yet stays in the server's queue.
type slowListener struct{ net.Listener }

func (l slowListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err == nil {
		nc.(*net.TCPConn).SetWriteBuffer(slowBuf)
	}
	return nc, err
}

// connect opens the WebSocket of visitor in locale lang, as a page of the
// site would (same Origin).
func connect(t *testing.T, ts *httptest.Server, visitor, lang string) *wsClient {
	t.Helper()
	hdr := http.Header{"Origin": {ts.URL}}
	var cookies []string
	if visitor != "" {
		cookies = append(cookies, "smtplab_visitor="+visitor)
	}
	if lang != "" {
		cookies = append(cookies, "smtplab_lang="+lang)
	}
	if len(cookies) > 0 {
		hdr.Set("Cookie", strings.Join(cookies, "; "))
	}
	ws, res, err := dialWS(ts, hdr)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	c := &wsClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *wsClient) sendRaw(b []byte) {
	c.t.Helper()
	c.ws.SetWriteDeadline(time.Now().Add(readWait))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("send %.100s: %v", b, err)
	}
}

// tryRead reads the next message of the server. A frame may hold an
// array of messages; they are handed out one by one.
func (c *wsClient) tryRead() (srvMsg, error) {
	if len(c.backlog) == 0 {
		c.ws.SetReadDeadline(time.Now().Add(readWait))
		typ, b, err := c.ws.ReadMessage()
		if err != nil {
			return srvMsg{}, err
		}
		if typ != websocket.TextMessage {
			return srvMsg{}, fmt.Errorf("a message of type %d", typ)
		}
		if len(b) > 0 && b[0] == '[' {
			if err := json.Unmarshal(b, &c.backlog); err != nil {
				return srvMsg{}, fmt.Errorf("not a JSON array: %v: %.200s", err, b)
			}
		} else {
			c.backlog = []json.RawMessage{b}
		}
	}
	b := c.backlog[0]
	c.backlog = c.backlog[1:]
	var m srvMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return srvMsg{}, fmt.Errorf("not JSON: %v: %.200s", err, b)
	}
	m.frame = string(b)
	return m, nil
}

func (c *wsClient) read() srvMsg {
	c.t.Helper()
	m, err := c.tryRead()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// until reads until a message satisfies ok; it returns that message and
// every message read before it.
func (c *wsClient) until(what string, ok func(srvMsg) bool) (srvMsg, []srvMsg) {
	c.t.Helper()
	var before []srvMsg
	for {
		m, err := c.tryRead()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v; got before:\n%s", what, err, dump(before))
		}
		if ok(m) {
			return m, before
		}
		before = append(before, m)
	}
}

func (c *wsClient) untilT(t string) (srvMsg, []srvMsg) {
	c.t.Helper()
	return c.until("a "+t+" message", func(m srvMsg) bool { return m.T == t })
}

func (c *wsClient) untilReply(code int) (srvMsg, []srvMsg) {
	c.t.Helper()
	return c.until(fmt.Sprintf("reply %d", code), func(m srvMsg) bool { return m.code() == code })
}

// sync sends a message that always gets one answer (an error
// no_message) and returns everything that came before that answer: all
// the server had to say about the messages sent before.
func (c *wsClient) sync() []srvMsg {
	c.t.Helper()
	c.send(map[string]string{"t": "raw", "mailbox": "nobody", "uid": "sync"})
	_, before := c.until("the sync answer", func(m srvMsg) bool { return m.isError("no_message") })
	return before
}

// hello binds the socket to a terminal (a new one if terminal is "") and
// returns the welcome, the mailboxes, and what came between them and
// "replayed".
func (c *wsClient) hello(fields map[string]any) (welcome, boxes srvMsg, rest []srvMsg) {
	c.t.Helper()
	msg := map[string]any{"t": "hello", "page": "sandbox"}
	for k, v := range fields {
		msg[k] = v
	}
	c.send(msg)
	welcome = c.read()
	if welcome.T != "welcome" || welcome.Terminal == "" {
		c.t.Fatalf("first answer to hello: %s", welcome)
	}
	boxes = c.read()
	if boxes.T != "mailboxes" {
		c.t.Fatalf("second answer to hello: %s", boxes)
	}
	_, rest = c.untilT("replayed")
	return welcome, boxes, rest
}

func dump(ms []srvMsg) string {
	var b strings.Builder
	if len(ms) > 30 {
		fmt.Fprintf(&b, "  (%d messages, the last 30:)\n", len(ms))
		ms = ms[len(ms)-30:]
	}
	for _, m := range ms {
		fmt.Fprintf(&b, "  %.300s\n", m.frame)
	}
	return b.String()
}

func events(ms []srvMsg) []srvMsg {
	var out []srvMsg
	for _, m := range ms {
		if m.T == "event" {
			out = append(out, m)
		}
	}
	return out
}

func replies(ms []srvMsg) []srvMsg {
	var out []srvMsg
	for _, m := range ms {
		if m.code() != 0 {
			out = append(out, m)
		}
	}
	return out
}

func input(lines ...string) map[string]any { return map[string]any{"t": "input", "lines": lines} }

func openMsg(proto string) map[string]any { return map[string]any{"t": "open", "proto": proto} }

// meaning is what the catalog says a reply's code means in locale l.
func meaning(t *testing.T, l catalog.Locale, r *sandbox.Reply) string {
	t.Helper()
	want := catalog.Explain(l, r.Meaning, r.Enhanced, r.Reason, r.Args).Meaning
	if want == "" {
		t.Fatalf("no %s meaning for %s", l, r.Meaning)
	}
	return want
}

func TestWSOrigin(t *testing.T) {
	ts, _ := app(t)
	u := strings.TrimPrefix(ts.URL, "http://")
	_, port, _ := strings.Cut(u, ":")
	for _, origin := range []string{"http://evil.example", "null", "http://localhost:" + port, "http://" + u + ".evil.example", "file://"} {
		ws, res, err := dialWS(ts, http.Header{"Origin": {origin}})
		if err == nil {
			ws.Close()
			t.Errorf("Origin %s: WebSocket accepted", origin)
			continue
		}
		if !errors.Is(err, websocket.ErrBadHandshake) || res == nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("Origin %s: err %v, response %v, want 403", origin, err, res)
			continue
		}
		if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("Origin %s: the 403 lacks the security headers: %v", origin, res.Header)
		}
		if len(res.Cookies()) > 0 {
			t.Errorf("Origin %s: the refusal sets cookies %v", origin, res.Cookies())
		}
	}
	for _, hdr := range []http.Header{
		{"Origin": {ts.URL}},
		{"Origin": {strings.ToUpper(ts.URL[:4]) + ts.URL[4:]}},
		{}, // no browser omits it, but a command-line client may
	} {
		ws, _, err := dialWS(ts, hdr)
		if err != nil {
			t.Errorf("Origin %q refused: %v", hdr.Get("Origin"), err)
			continue
		}
		c := &wsClient{t: t, ws: ws}
		c.hello(nil)
		ws.Close()
	}
}

func TestWSHello(t *testing.T) {
	ts, _ := app(t)
	visitor := newVisitor(ts)
	c := connect(t, ts, visitor, "en")

	// Nothing but hello is understood before hello.
	c.send(input("HELO x"))
	if m := c.read(); !m.isError("bad_message") {
		t.Fatalf("input before hello: %s", m)
	}

	welcome, boxes, rest := c.hello(nil)
	if len(welcome.Terminal) < 16 || welcome.World == "" {
		t.Errorf("welcome: %s", welcome)
	}
	if len(rest) != 0 {
		t.Errorf("a new terminal replays:\n%s", dump(rest))
	}
	for _, user := range []string{"alice", "bob", "carol"} {
		if subjects := boxes.box(user); subjects == nil || len(subjects) != 0 {
			t.Errorf("%s's mailbox in a new world: %v", user, subjects)
		}
	}
	// A second hello on the same socket changes nothing.
	c.send(map[string]string{"t": "hello", "page": "sandbox"})
	if got := c.sync(); len(got) != 0 {
		t.Errorf("second hello answered:\n%s", dump(got))
	}
	// Another tab of the same visitor gets a terminal of its own, in the same world.
	c2 := connect(t, ts, visitor, "en")
	w2, _, _ := c2.hello(nil)
	if w2.Terminal == welcome.Terminal || w2.World != welcome.World {
		t.Errorf("second tab: terminal %s world %s; first: %s %s", w2.Terminal, w2.World, welcome.Terminal, welcome.World)
	}
	// Another visitor gets another world.
	c3 := connect(t, ts, newVisitor(ts), "en")
	if w3, _, _ := c3.hello(nil); w3.World == welcome.World {
		t.Errorf("two visitors share world %s", w3.World)
	}
	// Without a visitor cookie the socket still works (and gets a world).
	c4 := connect(t, ts, "", "")
	c4.hello(nil)
}

func TestWSSMTPSession(t *testing.T) {
	ts, _ := app(t)
	meanings := map[catalog.Locale]string{}
	for _, loc := range []catalog.Locale{catalog.EN, catalog.FR} {
		t.Run(string(loc), func(t *testing.T) {
			c := connect(t, ts, newVisitor(ts), string(loc))
			c.hello(nil)

			c.send(openMsg("smtp"))
			banner, before := c.untilReply(220)
			evs := events(before)
			if len(evs) == 0 || evs[0].kind() != sandbox.EventOpen || evs[0].Ev.Open.Transport != "websocket" {
				t.Errorf("the session does not start with an open event:\n%s", dump(before))
			}
			var kinds []sandbox.EventKind
			for _, m := range evs {
				kinds = append(kinds, m.kind())
				if m.kind() == sandbox.EventState && (m.X == nil || m.X.State == "") {
					t.Errorf("state without explanation: %s", m)
				}
			}
			if want := []sandbox.EventKind{sandbox.EventOpen, sandbox.EventState}; !slices.Equal(kinds, want) {
				t.Errorf("events before the banner: %v, want %v", kinds, want)
			}
			for _, m := range append(evs, banner) {
				if m.Ev.Proto != sandbox.SMTP || m.Ev.Session == "" || m.Ev.Session != banner.Ev.Session {
					t.Errorf("event of another session or protocol: %s", m)
				}
			}
			if banner.X == nil || banner.X.Reply == nil {
				t.Fatalf("the banner comes without explanation: %s", banner)
			}
			if want := meaning(t, loc, banner.Ev.Reply); banner.X.Reply.Meaning != want {
				t.Errorf("220 meaning %q, want the %s text %q", banner.X.Reply.Meaning, loc, want)
			}
			if banner.X.Reply.Reason == "" {
				t.Errorf("220 without a reason")
			}
			meanings[loc] = banner.X.Reply.Meaning

			// Lines in order; each reply explained; the commands described.
			lines := []string{"HELO client.example.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<alice@example.test>", "RCPT TO:<nobody@example.test>", "DATA"}
			for _, l := range lines[:3] {
				c.send(input(l))
			}
			c.send(input(lines[3:]...)) // pipelined: two lines in one message
			got := events(c.sync())
			var codes []int
			var verbs []string
			for _, m := range got {
				switch m.kind() {
				case sandbox.EventReply:
					codes = append(codes, m.code())
					if m.X == nil || m.X.Reply == nil || m.X.Reply.Meaning == "" || m.X.Reply.Reason == "" {
						t.Errorf("reply without explanation: %s", m)
					} else if want := meaning(t, loc, m.Ev.Reply); m.X.Reply.Meaning != want {
						t.Errorf("meaning %q, want %q", m.X.Reply.Meaning, want)
					}
				case sandbox.EventCommand:
					verbs = append(verbs, m.Ev.Command.Verb)
					if m.X == nil || m.X.Command == "" {
						t.Errorf("command without explanation: %s", m)
					}
				}
			}
			if want := []int{250, 250, 250, 550, 354}; !slices.Equal(codes, want) {
				t.Errorf("replies %v, want %v:\n%s", codes, want, dump(got))
			}
			if want := []string{"HELO", "MAIL", "RCPT", "RCPT", "DATA"}; !slices.Equal(verbs, want) {
				t.Errorf("commands %v, want %v", verbs, want)
			}
			if codes := replies(got); len(codes) == 5 && codes[3].Ev.Reply.Enhanced != "5.1.1" {
				t.Errorf("unknown user: %s", codes[3])
			}

			// The message: accepted, delivered, shown in the mailboxes.
			subject := "Hello from " + string(loc)
			c.send(input("From: Bob <bob@example.test>", "To: Alice <alice@example.test>", "Subject: "+subject, "", "Body line <b>one</b>.", ".."+"dot", "."))
			queued, _ := c.untilReply(250)
			if !strings.Contains(queued.Ev.Reply.Lines[0], "queued as") {
				t.Errorf("end of data: %s", queued)
			}
			boxes, between := c.untilT("mailboxes")
			var delivered bool
			for _, m := range between {
				if m.kind() == sandbox.EventDelivery && m.Ev.Delivery.Mailbox == "alice" && m.Ev.Delivery.Status == sandbox.Delivered {
					delivered = true
					if m.X == nil || m.X.Delivery == "" {
						t.Errorf("delivery without explanation: %s", m)
					}
				}
			}
			if !delivered {
				t.Errorf("no delivery event to alice before the mailboxes:\n%s", dump(between))
			}
			if got := boxes.box("alice"); !slices.Equal(got, []string{subject}) {
				t.Fatalf("alice's mailbox: %v, want [%s]", got, subject)
			}
			if got := boxes.box("bob"); len(got) != 0 {
				t.Errorf("bob's mailbox: %v", got)
			}

			// Its stored text, on demand.
			var uid string
			for _, b := range boxes.Boxes {
				if b.User == "alice" {
					uid = b.Messages[0].UID
				}
			}
			c.send(map[string]string{"t": "raw", "mailbox": "alice", "uid": uid})
			raw := c.read()
			if raw.T != "raw" || raw.Mailbox != "alice" || raw.UID != uid {
				t.Fatalf("raw: %s", raw)
			}
			if !strings.Contains(raw.Raw, "Subject: "+subject+"\r\n") || !strings.Contains(raw.Raw, "\r\nBody line <b>one</b>.\r\n.dot\r\n") {
				t.Errorf("stored text:\n%s", raw.Raw)
			}
			if raw.Trace <= 0 || raw.Trace > len(raw.Raw) || !strings.Contains(raw.Raw[:raw.Trace], "Received:") || strings.Contains(raw.Raw[:raw.Trace], "Subject:") {
				t.Errorf("trace of %d octets:\n%s", raw.Trace, raw.Raw)
			}
			c.send(map[string]string{"t": "raw", "mailbox": "alice", "uid": "no-such-uid"})
			if m := c.read(); !m.isError("no_message") || m.Text == "" {
				t.Errorf("raw of an unknown message: %s", m)
			}
			c.send(map[string]string{"t": "raw", "mailbox": "../alice", "uid": uid})
			if m := c.read(); !m.isError("no_message") {
				t.Errorf("raw of another mailbox's message: %s", m)
			}

			// A session is open: a second open is refused.
			c.send(openMsg("pop3"))
			if m := c.read(); !m.isError("already_open") {
				t.Errorf("open while open: %s", m)
			}

			// Hang up: the session closes; later input goes nowhere.
			c.send(map[string]string{"t": "hangup"})
			closed, _ := c.until("the close event", func(m srvMsg) bool { return m.kind() == sandbox.EventClose })
			if closed.Ev.Close.Reason != "hangup" {
				t.Errorf("hangup: %s", closed)
			}
			c.send(input("NOOP"))
			if got := c.sync(); len(got) != 0 {
				t.Errorf("input after hangup answered:\n%s", dump(got))
			}

			// Reset: mailboxes empty, every page told.
			c.send(map[string]string{"t": "reset"})
			_, before = c.untilT("reset")
			var last *srvMsg
			for i := range before {
				if before[i].T == "mailboxes" {
					last = &before[i]
				}
			}
			if last == nil {
				t.Fatalf("no mailboxes before the reset message:\n%s", dump(before))
			}
			if got := last.box("alice"); got == nil || len(got) != 0 {
				t.Errorf("after reset, alice's mailbox: %v", got)
			}
			c.send(map[string]string{"t": "raw", "mailbox": "alice", "uid": uid})
			if m := c.read(); !m.isError("no_message") {
				t.Errorf("raw after reset: %s", m)
			}
			// And a new session can start.
			c.send(openMsg("smtp"))
			c.untilReply(220)
		})
	}
	if meanings[catalog.EN] == meanings[catalog.FR] {
		t.Errorf("220 explained the same in both languages: %q", meanings[catalog.EN])
	}
}

// TestWSMailboxesReachEveryTab: a delivery or a reset made in one tab
// redraws the mailboxes of the visitor's other tabs, not another visitor's.
func TestWSMailboxesReachEveryTab(t *testing.T) {
	ts, _ := app(t)
	visitor := newVisitor(ts)
	a := connect(t, ts, visitor, "en")
	a.hello(nil)
	b := connect(t, ts, visitor, "fr")
	b.hello(nil)
	other := connect(t, ts, newVisitor(ts), "en")
	other.hello(nil)

	a.send(openMsg("smtp"))
	a.send(input("HELO c.example.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<carol@example.test>", "DATA", "Subject: to carol", "", "hi", "."))
	m, before := b.untilT("mailboxes")
	if got := m.box("carol"); !slices.Equal(got, []string{"to carol"}) {
		t.Errorf("the other tab's mailboxes: carol has %v", got)
	}
	if len(before) != 0 {
		t.Errorf("the other tab got the session's events:\n%s", dump(before))
	}
	a.send(map[string]string{"t": "reset"})
	m, _ = b.untilT("mailboxes")
	if got := m.box("carol"); got == nil || len(got) != 0 {
		t.Errorf("after a reset in the first tab, carol has %v", got)
	}
	if got := other.sync(); len(got) != 0 {
		t.Errorf("another visitor was told:\n%s", dump(got))
	}
}

// TestWSOtherProtocols: POP3 and POP2 sessions over the socket, reading
// what SMTP delivered.
func TestWSOtherProtocols(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	c.send(openMsg("smtp"))
	c.send(input("HELO c.example.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<alice@example.test>", "DATA", "Subject: pop me", "", "hi", ".", "QUIT"))
	c.untilReply(221)
	c.send(openMsg("pop3"))
	c.send(input("USER alice", "PASS alice", "STAT", "QUIT"))
	got := events(c.sync())
	var status []string
	for _, m := range got {
		if m.kind() == sandbox.EventReply {
			status = append(status, strings.Join(m.Ev.Reply.Lines, "\n"))
			if m.X == nil || m.X.Reply == nil || m.X.Reply.Meaning == "" {
				t.Errorf("POP3 reply without explanation: %s", m)
			}
		}
	}
	if len(status) != 5 || !strings.HasPrefix(status[3], "+OK 1 ") {
		t.Errorf("POP3 replies:\n%s", strings.Join(status, "\n"))
	}
	c.send(openMsg("pop2"))
	if _, before := c.until("a POP2 greeting", func(m srvMsg) bool {
		return m.kind() == sandbox.EventReply && m.Ev.Proto == sandbox.POP2
	}); len(before) == 0 {
		t.Error("POP2 session without open event")
	}
	c.send(openMsg("http"))
	if m := c.read(); !m.isError("bad_message") {
		t.Errorf("open of an unknown protocol: %s", m)
	}
}

// TestWSVisitorTextStaysText: what a visitor types comes back only inside
// JSON strings, never as markup.
func TestWSVisitorTextStaysText(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	c.send(openMsg("smtp"))
	c.untilReply(220)
	hostile := []string{
		`<img src=x onerror=alert(1)>`,
		`HELO <script>alert(2)</script>`,
		`VRFY <svg onload=alert(3)>`,
		`MAIL FROM:<bob@example.test>`,
		`RCPT TO:<alice@example.test>`,
		`DATA`,
		`Subject: <script>alert(4)</script>`,
		``,
		`</script><script>alert(5)</script> & "quotes" 'too' \u003c`,
		`.`,
	}
	for _, l := range hostile {
		c.send(input(l))
	}
	got := c.sync()
	seen := map[string]bool{}
	for _, m := range got {
		if strings.ContainsAny(m.frame, "<>") {
			t.Errorf("a frame carries a raw angle bracket: %.300s", m.frame)
		}
		if m.kind() == sandbox.EventInput {
			seen[m.Ev.Input.Text] = true
		}
	}
	for _, l := range hostile {
		if !seen[l] {
			t.Errorf("input %q not echoed exactly in an input event", l)
		}
	}
	var boxes srvMsg
	for _, m := range got {
		if m.T == "mailboxes" {
			boxes = m
		}
	}
	if got := boxes.box("alice"); len(got) != 1 || got[0] != "<script>alert(4)</script>" {
		t.Errorf("subject in the mailboxes: %q", got)
	}
	if strings.Contains(boxes.frame, "<") {
		t.Errorf("mailboxes frame: %s", boxes.frame)
	}
}

// TestWSReconnect: a terminal outlives its socket; the page that comes
// back with its id sees the same transcript, in its language, with the
// session still open.
func TestWSReconnect(t *testing.T) {
	ts, _ := app(t)
	visitor := newVisitor(ts)
	c := connect(t, ts, visitor, "en")
	welcome, _, _ := c.hello(nil)
	c.send(openMsg("smtp"))
	c.send(input("HELO client.example.test", "MAIL FROM:<bob@example.test>"))
	c.send(map[string]string{"t": "raw", "mailbox": "x", "uid": "x"})
	_, first := c.until("the sync answer", func(m srvMsg) bool { return m.isError("no_message") })
	first = events(first)
	if len(replies(first)) != 3 {
		t.Fatalf("before the reconnection:\n%s", dump(first))
	}
	c.ws.Close()

	for i, loc := range []catalog.Locale{catalog.FR, catalog.EN} {
		c = connect(t, ts, visitor, string(loc))
		w, _, replay := c.hello(map[string]any{"terminal": welcome.Terminal})
		if w.Terminal != welcome.Terminal || w.World != welcome.World {
			t.Fatalf("reconnection %d: terminal %s in %s, want %s in %s", i, w.Terminal, w.World, welcome.Terminal, welcome.World)
		}
		if len(replay) != len(first) {
			t.Fatalf("reconnection %d: %d events replayed, want %d:\n%s", i, len(replay), len(first), dump(replay))
		}
		for j := range first {
			a, b := first[j].Ev, replay[j].Ev
			if b == nil || a.Seq != b.Seq || a.Kind != b.Kind || a.Session != b.Session {
				t.Errorf("replayed event %d: %s, want %s", j, replay[j], first[j])
			}
		}
		for _, m := range replies(replay) {
			if want := meaning(t, loc, m.Ev.Reply); m.X.Reply.Meaning != want {
				t.Errorf("replayed in %s: meaning %q, want %q", loc, m.X.Reply.Meaning, want)
			}
		}
		c.ws.Close()
	}

	// Still in the same SMTP session: MAIL was accepted, so RCPT is too.
	c = connect(t, ts, visitor, "en")
	c.hello(map[string]any{"terminal": welcome.Terminal})
	c.send(input("RCPT TO:<alice@example.test>", "QUIT"))
	rcpt, _ := c.until("a reply", func(m srvMsg) bool { return m.code() != 0 })
	if rcpt.code() != 250 || rcpt.Ev.Session != first[0].Ev.Session {
		t.Errorf("RCPT after reconnection: %s", rcpt)
	}
	bye, _ := c.untilReply(221)
	if bye.Ev.Session != first[0].Ev.Session {
		t.Errorf("QUIT answered by another session: %s", bye)
	}
	closed, _ := c.until("the close event", func(m srvMsg) bool { return m.kind() == sandbox.EventClose })
	if closed.Ev.Close.Reason != "quit" {
		t.Errorf("close: %s", closed)
	}

	// clear forgets the transcript; the next page gets none.
	c.send(map[string]string{"t": "clear"})
	c.sync()
	c.ws.Close()
	c = connect(t, ts, visitor, "en")
	if _, _, replay := c.hello(map[string]any{"terminal": welcome.Terminal}); len(replay) != 0 {
		t.Errorf("after clear, %d events replayed", len(replay))
	}
	// An unknown terminal id gives a new terminal.
	c2 := connect(t, ts, visitor, "en")
	if w, _, replay := c2.hello(map[string]any{"terminal": "0123456789abcdef"}); w.Terminal == "0123456789abcdef" || len(replay) != 0 {
		t.Errorf("unknown terminal id: %s, %d events", w, len(replay))
	}
	// Another visitor cannot take the terminal over.
	c3 := connect(t, ts, newVisitor(ts), "en")
	if w, _, replay := c3.hello(map[string]any{"terminal": welcome.Terminal}); w.Terminal == welcome.Terminal || len(replay) != 0 {
		t.Errorf("another visitor got the terminal: %s, %d events", w, len(replay))
	}
}

// TestWSTwoPagesOnOneTerminal: a duplicated browser tab copies
// sessionStorage, so two pages may say hello with the same terminal id.
// Whatever the server makes of it, a page that types must not be left
// silently without answers while its lines still reach the session: it
// either sees the replies or is told (error or close) that it lost the
// terminal.
func TestWSTwoPagesOnOneTerminal(t *testing.T) {
	ts, _ := app(t)
	visitor := newVisitor(ts)
	first := connect(t, ts, visitor, "en")
	welcome, _, _ := first.hello(nil)
	first.send(openMsg("smtp"))
	first.untilReply(220)

	second := connect(t, ts, visitor, "en")
	second.hello(map[string]any{"terminal": welcome.Terminal})

	first.send(input("HELO first.example.test"))
	first.send(map[string]string{"t": "raw", "mailbox": "x", "uid": "x"})
	var got []srvMsg
	for {
		m, err := first.tryRead()
		if err != nil {
			return // told by a close
		}
		if m.T == "error" && m.Key != "no_message" {
			return // told by an error
		}
		if m.isError("no_message") {
			break
		}
		got = append(got, m)
	}
	if len(replies(got)) == 0 {
		// The line did reach the session: the other page saw it answered.
		reply, _ := second.until("the reply on the other page", func(m srvMsg) bool { return m.code() != 0 })
		t.Errorf("the page that typed HELO got no answer and no notice; the other page of the terminal got %s", reply)
	}
}

// slowApp is app on a listener whose connections keep little unsent.
func slowApp(t *testing.T) *httptest.Server {
	t.Helper()
	s := server.New(server.Config{World: sandbox.NewWorld(sandbox.Config{Name: "default"}), NewSession: engines})
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Listener = slowListener{ts.Listener}
	ts.Start()
	t.Cleanup(func() { ts.Close(); s.Close() })
	return ts
}

// TestWSLongPaste: a message pasted whole (one input of a few thousand
// short lines, far under MaxWSMessage and VisitorMessageSize) is shown
// whole and answered, and the terminal that holds it can be shown again
// after a reload, over a link slower than loopback. Each line is one
// event, so a long paste must not overflow the page's queue.
func TestWSLongPaste(t *testing.T) {
	ts := slowApp(t)
	visitor := newVisitor(ts)
	c := connectSlow(t, ts, visitor, "en")
	welcome, _, _ := c.hello(nil)
	c.send(openMsg("smtp"))
	c.send(input("HELO c.example.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<alice@example.test>", "DATA"))
	c.untilReply(354)
	lines := []string{"Subject: a long paste", ""}
	for i := range 3000 {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	lines = append(lines, ".")
	if n := len(fmt.Sprint(lines)); n > server.MaxWSMessage/10 {
		t.Fatalf("the paste is %d octets: not a small one", n)
	}
	c.send(input(lines...))
	end, got := c.until("the end of the message", func(m srvMsg) bool { return m.code() != 0 })
	if end.code() != 250 {
		t.Fatalf("after the paste: %s", end)
	}
	inputs := 0
	for _, m := range got {
		if m.kind() == sandbox.EventInput {
			inputs++
		}
	}
	if inputs != len(lines) {
		t.Errorf("%d input events shown for %d lines pasted", inputs, len(lines))
	}
	c.ws.Close()

	c = connectSlow(t, ts, visitor, "en")
	c.send(map[string]any{"t": "hello", "page": "sandbox", "terminal": welcome.Terminal})
	_, replay := c.untilT("replayed")
	if n := len(events(replay)); n < len(lines) {
		t.Errorf("after a reload, %d events replayed before 'replayed'; the paste alone made %d", n, len(lines))
	}
	// And the page stays connected.
	c.sync()
}

// TestWSReplayLongLog: a terminal whose transcript is longer than
// SendQueue (typed in pieces, each shown fine) is replayed whole to the
// page that reloads, which stays connected. Otherwise every reload of
// that tab fails the same way, and the page reconnects forever.
func TestWSReplayLongLog(t *testing.T) {
	ts := slowApp(t)
	visitor := newVisitor(ts)
	c := connectSlow(t, ts, visitor, "en")
	welcome, _, _ := c.hello(nil)
	c.send(openMsg("smtp"))
	c.send(input("HELO c.example.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<alice@example.test>", "DATA", "Subject: long", ""))
	c.untilReply(354)
	total := 0
	for piece := range 6 {
		var lines []string
		for i := range 600 { // 3600 lines in all: more events than a page can take in one go
			lines = append(lines, fmt.Sprintf("piece %d line %d", piece, i))
		}
		c.send(input(lines...))
		last := lines[len(lines)-1]
		c.until("the last line of piece "+fmt.Sprint(piece), func(m srvMsg) bool {
			return m.kind() == sandbox.EventInput && m.Ev.Input.Text == last
		})
		total += len(lines)
	}
	c.send(input("."))
	c.untilReply(250)
	c.ws.Close()

	for reload := range 2 {
		c = connectSlow(t, ts, visitor, "en")
		c.send(map[string]any{"t": "hello", "page": "sandbox", "terminal": welcome.Terminal})
		_, replay := c.untilT("replayed")
		if n := len(events(replay)); n < total {
			t.Errorf("reload %d: %d events replayed; the pieces alone made %d", reload, n, total)
		}
		c.sync()
		c.ws.Close()
	}
}

// TestWSLiveReplayBusyClass: a teacher who opens /live after a busy
// class gets the sessions kept (up to LiveSessions of LiveEventsPerSession
// events) and stays connected.
func TestWSLiveReplayBusyClass(t *testing.T) {
	world := sandbox.NewWorld(sandbox.Config{Name: "default"})
	s := server.New(server.Config{World: world, NewSession: engines})
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Listener = slowListener{ts.Listener}
	ts.Start()
	t.Cleanup(func() { ts.Close(); s.Close() })

	sessions, kept := 3, 0
	for range sessions {
		sess := smtp.NewSession(world, sandbox.Peer{Remote: "192.0.2.9:25000", Transport: "test"})
		sess.Start()
		sandbox.FeedAll(sess, []byte("HELO c.example.test\r\n"+strings.Repeat("NOOP\r\n", server.LiveEventsPerSession/3)+"QUIT\r\n"))
		kept += server.LiveEventsPerSession
	}
	c := connectSlow(t, ts, newVisitor(ts), "en")
	c.send(map[string]string{"t": "hello", "page": "live"})
	_, replay := c.untilT("replayed")
	if n := len(events(replay)); n < kept {
		t.Errorf("%d events replayed; %d sessions kept %d", n, sessions, kept)
	}
}

func TestWSBadMessages(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "fr")
	c.hello(nil)
	for _, msg := range []string{`{"t":"nope"}`, `{"t":""}`, `{`, `[]`, `"hello"`, `{"t":"input","lines":"HELO"}`, `{"t":"open","proto":"SMTP "}`} {
		c.sendRaw([]byte(msg))
		m := c.read()
		if !m.isError("bad_message") {
			t.Errorf("%s: %s", msg, m)
		}
		if want := "La page a envoyé"; !strings.HasPrefix(m.Text, want) {
			t.Errorf("%s: error text %q not in French", msg, m.Text)
		}
	}
	// Still usable.
	c.send(openMsg("smtp"))
	c.untilReply(220)
}

// pad is a message of exactly n octets that the server does nothing with.
func pad(n int) []byte {
	head := `{"t":"clear","lines":["`
	tail := `"]}`
	return []byte(head + strings.Repeat("a", n-len(head)-len(tail)) + tail)
}

func TestWSMessageSize(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	// Exactly the limit passes.
	c.sendRaw(pad(server.MaxWSMessage))
	if got := c.sync(); len(got) != 0 {
		t.Fatalf("a message of MaxWSMessage octets: %s", dump(got))
	}
	// One octet more ends the connection.
	c.ws.SetWriteDeadline(time.Now().Add(readWait))
	c.ws.WriteMessage(websocket.TextMessage, pad(server.MaxWSMessage+1)) // the server may close before it has all
	for {
		m, err := c.tryRead()
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the connection stays open after a message over the limit")
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) && ce.Code != websocket.CloseMessageTooBig && ce.Code != websocket.CloseNormalClosure {
				t.Errorf("closed with code %d", ce.Code)
			}
			break
		}
		if m.T == "error" && m.Key != "too_big" {
			t.Errorf("error before the close: %s", m)
		}
	}
}

// TestWSTooBigToldBeforeClose: the page is told why its socket closes (the
// error too_big, whose text it shows) before the close frame; a page
// stops reading at the close frame, so anything after it is lost.
func TestWSTooBigToldBeforeClose(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	c.ws.SetWriteDeadline(time.Now().Add(readWait))
	c.ws.WriteMessage(websocket.TextMessage, pad(server.MaxWSMessage+1))
	m, err := c.tryRead()
	if err != nil {
		t.Fatalf("the page gets no error too_big, only: %v", err)
	}
	if !m.isError("too_big") {
		t.Errorf("first answer to a message over the limit: %s", m)
	}
}

func TestWSRateLimit(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	// A burst of messages that are each answered once: no_message when
	// let through, rate when refused.
	probe := map[string]string{"t": "raw", "mailbox": "x", "uid": "x"}
	n := 3 * server.RateBurst
	for range n {
		c.send(probe)
	}
	passed, limited := 0, 0
	for range n {
		switch m := c.read(); {
		case m.isError("no_message"):
			passed++
		case m.isError("rate"):
			limited++
		default:
			t.Fatalf("unexpected answer: %s", m)
		}
	}
	// hello took one token of the burst.
	if limited == 0 || passed < server.RateBurst-1 || passed > server.RateBurst+server.RatePerSecond {
		t.Errorf("burst of %d: %d let through, %d refused (burst %d)", n, passed, limited, server.RateBurst)
	}
	// The bucket refills: a later message gets through, and the
	// connection works as before.
	for {
		c.send(openMsg("smtp"))
		m := c.read()
		if m.isError("rate") {
			continue
		}
		if m.kind() != sandbox.EventOpen {
			t.Fatalf("after the burst, open answered: %s", m)
		}
		break
	}
	c.untilReply(220)
}

func TestWSConnsPerVisitor(t *testing.T) {
	ts, _ := app(t)
	visitor := newVisitor(ts)
	var tabs []*wsClient
	for range server.MaxConnsPerVisitor {
		c := connect(t, ts, visitor, "en")
		c.hello(nil)
		tabs = append(tabs, c)
	}
	extra := connect(t, ts, visitor, "en")
	extra.send(map[string]string{"t": "hello", "page": "sandbox"})
	if m := extra.read(); !m.isError("conns") || m.Text == "" {
		t.Fatalf("one tab too many: %s", m)
	}
	if m, err := extra.tryRead(); err == nil {
		t.Fatalf("the extra socket stays open: %s", m)
	} else if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		t.Fatal("the extra socket stays open")
	}
	// Another visitor is not affected.
	connect(t, ts, newVisitor(ts), "en").hello(nil)
	// Live pages do not count against a visitor's tabs.
	live := connect(t, ts, visitor, "en")
	live.send(map[string]string{"t": "hello", "page": "live"})
	if m := live.read(); m.T != "welcome" || m.Page != "live" {
		t.Errorf("live page of a visitor with all tabs open: %s", m)
	}
	// Closing a tab frees its place.
	tabs[0].ws.Close()
	for {
		c := connect(t, ts, visitor, "en")
		c.send(map[string]string{"t": "hello", "page": "sandbox"})
		m := c.read()
		if m.T == "welcome" {
			break
		}
		if !m.isError("conns") {
			t.Fatalf("after closing a tab: %s", m)
		}
		c.ws.Close() // the server has not seen the close yet: try again
	}
}

// TestWSLive: the live page follows the shared world, with the sessions
// it missed first.
func TestWSLive(t *testing.T) {
	ts, world := app(t)
	peer := sandbox.Peer{Remote: "192.0.2.7:40000", Transport: "test"}
	early := smtp.NewSession(world, peer)
	early.Start()
	early.Feed([]byte("HELO early.example.test\r\n"))

	c := connect(t, ts, newVisitor(ts), "en")
	c.send(map[string]string{"t": "hello", "page": "live"})
	if m := c.read(); m.T != "welcome" || m.Page != "live" {
		t.Fatalf("live welcome: %s", m)
	}
	_, replay := c.untilT("replayed")
	var codes []int
	for _, m := range replay {
		if m.T != "event" || m.Ev.Session != early.ID() {
			t.Errorf("live replay: %s", m)
			continue
		}
		if m.code() != 0 {
			codes = append(codes, m.code())
			if want := meaning(t, catalog.EN, m.Ev.Reply); m.X.Reply.Meaning != want {
				t.Errorf("live meaning %q, want %q", m.X.Reply.Meaning, want)
			}
		}
	}
	if !slices.Equal(codes, []int{220, 250}) || replay[0].kind() != sandbox.EventOpen || replay[0].Ev.Open.Remote != peer.Remote {
		t.Errorf("live replay of the earlier session:\n%s", dump(replay))
	}

	// A visitor's private sessions never show on /live.
	v := connect(t, ts, newVisitor(ts), "en")
	v.hello(nil)
	v.send(openMsg("smtp"))
	v.untilReply(220)

	// Sessions as they happen: the earlier one going on, a new one.
	late := smtp.NewSession(world, peer)
	late.Start()
	early.Feed([]byte("QUIT\r\n"))
	m := c.read()
	if m.T != "event" || m.Ev.Session != late.ID() || m.kind() != sandbox.EventOpen {
		t.Fatalf("first live event: %s", m)
	}
	_, before := c.until("the early session's 221", func(m srvMsg) bool { return m.code() == 221 })
	for _, m := range before {
		if m.T != "event" || (m.Ev.Session != late.ID() && m.Ev.Session != early.ID()) {
			t.Errorf("live event of another session: %s", m)
		}
	}
	closed, _ := c.until("the close of the early session", func(m srvMsg) bool { return m.kind() == sandbox.EventClose })
	if closed.Ev.Session != early.ID() || closed.Ev.Close.Reason != "quit" {
		t.Errorf("close: %s", closed)
	}
	late.Feed([]byte("HELO <script>x</script>\r\n"))
	in, _ := c.until("the late input", func(m srvMsg) bool { return m.kind() == sandbox.EventInput })
	if in.Ev.Input.Text != "HELO <script>x</script>" || strings.Contains(in.frame, "<") {
		t.Errorf("live input: %s", in.frame)
	}

	// The live page has no terminal.
	c.send(openMsg("smtp"))
	if m, _ := c.until("an error", func(m srvMsg) bool { return m.T == "error" }); m.Key != "bad_message" {
		t.Errorf("open on the live page: %s", m)
	}

	// A page that joins now gets both sessions, in order.
	c2 := connect(t, ts, newVisitor(ts), "fr")
	c2.send(map[string]string{"t": "hello", "page": "live"})
	c2.read()
	_, replay = c2.untilT("replayed")
	var order []string
	for _, m := range replay {
		if len(order) == 0 || order[len(order)-1] != m.Ev.Session {
			order = append(order, m.Ev.Session)
		}
	}
	if !slices.Equal(order, []string{early.ID(), late.ID()}) {
		t.Errorf("replay order %v, want %v", order, []string{early.ID(), late.ID()})
	}
	late.Hangup()
}

// TestWSIdleTimeout: an idle terminal session times out as over TCP.
func TestWSIdleTimeout(t *testing.T) {
	w := sandbox.NewWorld(sandbox.Config{Name: "default", Limits: sandbox.Limits{
		CommandTimeout: 200 * time.Millisecond, DataTimeout: 300 * time.Millisecond, Autologout: 200 * time.Millisecond,
	}})
	ts := appWith(t, w, nil)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)

	check := func(what string) {
		t.Helper()
		start := time.Now()
		m, _ := c.until("a timeout reply", func(m srvMsg) bool { return m.code() == 421 })
		if m.Ev.Reply.Enhanced != "4.4.2" || !strings.HasPrefix(m.Ev.Reply.Lines[0], "421 4.4.2 ") {
			t.Errorf("%s: %s", what, m)
		}
		if m.X == nil || m.X.Reply == nil || m.X.Reply.Reason == "" {
			t.Errorf("%s: timeout not explained: %s", what, m)
		}
		closed, _ := c.until("the close", func(m srvMsg) bool { return m.kind() == sandbox.EventClose })
		if closed.Ev.Close.Reason != "timeout" {
			t.Errorf("%s: close %s", what, closed)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: timed out after %v", what, d)
		}
	}
	c.send(openMsg("smtp"))
	c.untilReply(220)
	check("after the banner")

	c.send(openMsg("smtp"))
	c.send(input("HELO c.example.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<alice@example.test>", "DATA"))
	c.untilReply(354)
	check("inside DATA")

	c.send(openMsg("pop3"))
	closed, _ := c.until("the POP3 autologout", func(m srvMsg) bool { return m.kind() == sandbox.EventClose })
	if closed.Ev.Close.Reason != "timeout" || closed.Ev.Proto != sandbox.POP3 {
		t.Errorf("POP3 autologout: %s", closed)
	}
	// The terminal can connect again.
	c.send(openMsg("smtp"))
	c.untilReply(220)
}

// playLine sends one line of a lesson's solution as the page's terminal
// would: "telnet HOST PORT" at the prompt connects, anything else is input.
func playLine(t *testing.T, c *wsClient, line string) {
	t.Helper()
	if f := strings.Fields(line); len(f) == 3 && (f[0] == "telnet" || f[0] == "nc") {
		proto := map[string]string{"25": "smtp", "smtp": "smtp", "110": "pop3", "pop3": "pop3", "109": "pop2", "pop2": "pop2"}[f[2]]
		if proto == "" {
			t.Fatalf("no service behind %q", line)
		}
		c.send(openMsg(proto))
		return
	}
	c.send(input(line))
}

func progressWith(step string) func(srvMsg) bool {
	return func(m srvMsg) bool { return m.T == "progress" && slices.Contains(m.Done, step) }
}

func TestWSLessonProgress(t *testing.T) {
	ts, _ := app(t)
	lib := builtin(t)
	l := lib.List("en")[0]
	first := l.Steps[0]
	if len(first.Solution) == 0 {
		t.Fatalf("lesson %s: the first step has no solution", l.Slug)
	}
	visitor := newVisitor(ts)
	c := connect(t, ts, visitor, "en")
	_, _, rest := c.hello(map[string]any{"page": "lesson", "lesson": l.Slug})
	if len(rest) != 1 || rest[0].T != "progress" || rest[0].Lesson != l.Slug || len(rest[0].Done) != 0 {
		t.Fatalf("hello on a lesson page:\n%s", dump(rest))
	}

	// Each step's solution ticks it, in order, up to the whole lesson.
	for i, s := range l.Steps {
		if s.Quiz != nil {
			c.send(map[string]any{"t": "quiz", "step": s.ID, "found": s.Quiz.Mistakes()})
		}
		for _, line := range s.Solution {
			playLine(t, c, line)
		}
		p, _ := c.until("step "+s.ID+" done", progressWith(s.ID))
		want := make([]string, i+1)
		for j := range want {
			want[j] = l.Steps[j].ID
		}
		if !slices.Equal(p.Done, want) {
			t.Fatalf("after step %s: done %v, want %v", s.ID, p.Done, want)
		}
	}

	// Another tab that remembers the first step resumes from there.
	c2 := connect(t, ts, visitor, "fr")
	_, _, rest = c2.hello(map[string]any{"page": "lesson", "lesson": l.Slug, "done": []string{first.ID}})
	if len(rest) != 1 || !slices.Equal(rest[0].Done, []string{first.ID}) {
		t.Fatalf("resumed lesson:\n%s", dump(rest))
	}
	// A made-up step id, or a later step alone, is not taken.
	c3 := connect(t, ts, visitor, "en")
	_, _, rest = c3.hello(map[string]any{"page": "lesson", "lesson": l.Slug, "done": []string{"made-up", l.Steps[len(l.Steps)-1].ID}})
	if len(rest) != 1 || len(rest[0].Done) != 0 {
		t.Errorf("resume with steps out of order:\n%s", dump(rest))
	}
	// lesson-reset starts again.
	c2.send(map[string]string{"t": "lesson-reset"})
	if m := c2.read(); m.T != "progress" || len(m.Done) != 0 {
		t.Errorf("after lesson-reset: %s", m)
	}
	// The first step ticks again when done again.
	for _, line := range first.Solution {
		playLine(t, c2, line)
	}
	c2.until("first step done again", progressWith(first.ID))

	// A sandbox page, or an unknown lesson, gets no progress.
	for _, slug := range []string{"", "no-such-lesson"} {
		c := connect(t, ts, visitor, "en")
		if _, _, rest := c.hello(map[string]any{"lesson": slug}); len(rest) != 0 {
			t.Errorf("lesson %q: %s", slug, dump(rest))
		}
		c.send(map[string]string{"t": "lesson-reset"})
		c.send(map[string]any{"t": "quiz", "step": first.ID, "found": 3})
		if got := c.sync(); len(got) != 0 {
			t.Errorf("lesson messages without a lesson answered:\n%s", dump(got))
		}
		c.ws.Close()
	}
}

// TestWSLessonProgressSurvivesReload: progress lives with the terminal.
func TestWSLessonProgressSurvivesReload(t *testing.T) {
	ts, _ := app(t)
	lib := builtin(t)
	l := lib.List("fr")[0]
	visitor := newVisitor(ts)
	c := connect(t, ts, visitor, "fr")
	welcome, _, _ := c.hello(map[string]any{"page": "lesson", "lesson": l.Slug})
	for _, line := range l.Steps[0].Solution {
		playLine(t, c, line)
	}
	c.until("first step", progressWith(l.Steps[0].ID))
	c.ws.Close()
	// The page forgot (no done sent), the terminal did not.
	c = connect(t, ts, visitor, "fr")
	_, _, rest := c.hello(map[string]any{"page": "lesson", "lesson": l.Slug, "terminal": welcome.Terminal})
	var p *srvMsg
	for i := range rest {
		if rest[i].T == "progress" {
			p = &rest[i]
		}
	}
	if p == nil || !slices.Contains(p.Done, l.Steps[0].ID) {
		t.Errorf("after a reload: %s", dump(rest))
	}
}

// TestWSStepInOneFrame: what one line makes the server say — the input,
// the command, the reply and the state it leads to — reaches the page in
// one frame, an array, each event explained.
func TestWSStepInOneFrame(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	c.send(openMsg("smtp"))
	c.untilReply(220)
	c.send(input("HELO c.example.test"))
	c.ws.SetReadDeadline(time.Now().Add(readWait))
	_, frame, err := c.ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var msgs []srvMsg
	if err := json.Unmarshal(frame, &msgs); err != nil {
		t.Fatalf("not an array: %v: %.300s", err, frame)
	}
	var kinds []sandbox.EventKind
	for _, m := range msgs {
		kinds = append(kinds, m.kind())
		if m.kind() == sandbox.EventReply && (m.X == nil || m.X.Reply == nil || m.X.Reply.Meaning != meaning(t, catalog.EN, m.Ev.Reply)) {
			t.Errorf("reply not explained: %+v", m.X)
		}
		if m.kind() == sandbox.EventCommand && (m.X == nil || m.X.Command == "") {
			t.Errorf("command not explained: %+v", m.X)
		}
	}
	if !slices.Contains(kinds, sandbox.EventInput) || !slices.Contains(kinds, sandbox.EventCommand) || !slices.Contains(kinds, sandbox.EventReply) {
		t.Errorf("one frame held %v", kinds)
	}
}

// TestWSLiveEachLanguage: /live pages in French and in English see the
// same event, each explained in its own language.
func TestWSLiveEachLanguage(t *testing.T) {
	ts, world := app(t)
	pages := map[catalog.Locale]*wsClient{}
	for _, l := range catalog.Locales {
		c := connect(t, ts, newVisitor(ts), string(l))
		c.send(map[string]string{"t": "hello", "page": "live"})
		c.untilT("replayed")
		pages[l] = c
	}
	sess := smtp.NewSession(world, sandbox.Peer{Remote: "192.0.2.7:40000", Transport: "test"})
	sess.Start()
	sandbox.FeedAll(sess, []byte("HELO c.example.test\r\nMAIL FROM:<bob@example.test>\r\n"))
	for l, c := range pages {
		m, _ := c.untilReply(250)
		if m.X == nil || m.X.Reply == nil || m.X.Reply.Meaning != meaning(t, l, m.Ev.Reply) {
			t.Errorf("%s: %s", l, m)
		}
	}
	fr, _ := pages[catalog.FR].untilReply(250)
	en, _ := pages[catalog.EN].untilReply(250)
	if fr.X.Reply.Reason == en.X.Reply.Reason || fr.Ev.Seq != en.Ev.Seq {
		t.Errorf("the same event, the same words in both languages:\n%s\n%s", fr, en)
	}
}

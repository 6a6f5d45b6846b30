package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"smtplab/internal/pagews"
	"smtplab/sandbox"
	"smtplab/sandbox/smtp"
)

// clock is a registry time the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func testRegistry(t *testing.T, max int, idle time.Duration) (*registry, *clock) {
	t.Helper()
	g := newRegistry(max, idle, func(name string) *sandbox.World {
		return sandbox.NewWorld(sandbox.Config{Name: name})
	})
	c := &clock{t: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)}
	g.now = c.now
	t.Cleanup(g.closeAll)
	return g, c
}

// vid is a visitor id as the cookie carries it.
func vid(n int) string { return fmt.Sprintf("%08x%024x", n, n) }

func mustConnect(t *testing.T, g *registry, id string) *visitor {
	t.Helper()
	v, err := g.connect(id, "192.0.2.1")
	if err != nil {
		t.Fatalf("connect %s: %v", id, err)
	}
	return v
}

func has(g *registry, id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.visitors[id]
	return ok
}

// openSession starts an SMTP session on a terminal of v and returns a
// channel that receives the reason the session closes.
func openSession(t *testing.T, v *visitor) (*terminal, <-chan string) {
	t.Helper()
	term := v.terminal("", nil)
	var id string
	closed := make(chan string, 1)
	cancel := v.world.Subscribe(func(ev sandbox.Event) {
		if ev.Kind == sandbox.EventClose && ev.Session == id {
			select {
			case closed <- ev.Close.Reason:
			default:
			}
		}
	})
	t.Cleanup(cancel)
	if !term.open(v.world, func() sandbox.Session {
		s := smtp.NewSession(v.world, sandbox.Peer{Remote: "192.0.2.1:1", Transport: "test"})
		id = s.ID()
		return s
	}) {
		t.Fatal("open refused on a new terminal")
	}
	return term, closed
}

func waitClosed(t *testing.T, closed <-chan string, want string) {
	t.Helper()
	select {
	case reason := <-closed:
		if reason != want {
			t.Errorf("session closed: %s, want %s", reason, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the session was not closed")
	}
}

func TestRegistryReusesAVisitorsWorld(t *testing.T) {
	g, _ := testRegistry(t, 10, time.Hour)
	a := mustConnect(t, g, vid(1))
	a2 := mustConnect(t, g, vid(1))
	b := mustConnect(t, g, vid(2))
	if a != a2 || a.world != a2.world {
		t.Error("two connections of one visitor got two worlds")
	}
	if a.world == b.world || a.world.Name == b.world.Name {
		t.Errorf("two visitors share a world (%s, %s)", a.world.Name, b.world.Name)
	}
	if a.conns != 2 || b.conns != 1 || g.size() != 2 {
		t.Errorf("conns a=%d b=%d, size %d", a.conns, b.conns, g.size())
	}
}

// TestRegistryEvictsLongestIdle: a full registry reclaims the world idle
// the longest among those with no page, and ends its sessions.
func TestRegistryEvictsLongestIdle(t *testing.T) {
	g, clk := testRegistry(t, 3, time.Hour)
	mustConnect(t, g, vid(1)) // seen first, but a page stays open
	b := mustConnect(t, g, vid(2))
	c := mustConnect(t, g, vid(3))
	_, bClosed := openSession(t, b)

	clk.advance(time.Minute)
	g.disconnect(c) // idle since 9:01
	clk.advance(time.Minute)
	g.disconnect(b) // idle since 9:02
	clk.advance(time.Minute)

	mustConnect(t, g, vid(4)) // full: c goes
	if g.size() != 3 || has(g, vid(3)) || !has(g, vid(1)) || !has(g, vid(2)) || !has(g, vid(4)) {
		t.Fatalf("after one eviction: size %d, 1:%v 2:%v 3:%v 4:%v", g.size(), has(g, vid(1)), has(g, vid(2)), has(g, vid(3)), has(g, vid(4)))
	}
	g.disconnect(g.visitors[vid(4)]) // idle since 9:03
	mustConnect(t, g, vid(5))        // full: b goes, its session ends
	if has(g, vid(2)) || !has(g, vid(4)) || g.size() != 3 {
		t.Fatalf("second eviction: 2:%v 4:%v size %d", has(g, vid(2)), has(g, vid(4)), g.size())
	}
	waitClosed(t, bClosed, "hangup")

	// An evicted visitor who comes back starts with a new, empty world.
	g.disconnect(g.visitors[vid(5)])
	back := mustConnect(t, g, vid(2))
	if back == b || back.world == b.world {
		t.Error("an evicted visitor got the old world back")
	}
}

func TestRegistryFullOfConnectedVisitors(t *testing.T) {
	g, _ := testRegistry(t, 2, time.Hour)
	a := mustConnect(t, g, vid(1))
	mustConnect(t, g, vid(2))
	if _, err := g.connect(vid(3), "192.0.2.1"); !errors.Is(err, errTooManyWorlds) {
		t.Fatalf("third world with two connected: %v", err)
	}
	if g.size() != 2 || has(g, vid(3)) {
		t.Errorf("a refused visitor is kept: size %d", g.size())
	}
	// Known visitors still come in.
	mustConnect(t, g, vid(1))
	g.disconnect(a)
	if _, err := g.connect(vid(3), "192.0.2.1"); !errors.Is(err, errTooManyWorlds) {
		t.Fatalf("a still has a page open, yet: %v", err)
	}
	g.disconnect(a)
	mustConnect(t, g, vid(3))
	if has(g, vid(1)) {
		t.Error("the idle world was not the one reclaimed")
	}
}

func TestRegistryConnsPerVisitor(t *testing.T) {
	g, _ := testRegistry(t, 10, time.Hour)
	var v *visitor
	for range MaxConnsPerVisitor {
		v = mustConnect(t, g, vid(1))
	}
	if _, err := g.connect(vid(1), "192.0.2.1"); !errors.Is(err, errTooManyConns) {
		t.Fatalf("connection %d: %v", MaxConnsPerVisitor+1, err)
	}
	if v.conns != MaxConnsPerVisitor {
		t.Errorf("a refused connection is counted: %d", v.conns)
	}
	g.disconnect(v)
	mustConnect(t, g, vid(1))
}

// TestRegistryReap: worlds with no page for longer than idle go; the
// others stay, however old.
func TestRegistryReap(t *testing.T) {
	g, clk := testRegistry(t, 10, time.Hour)
	a := mustConnect(t, g, vid(1))
	b := mustConnect(t, g, vid(2))
	mustConnect(t, g, vid(3)) // stays connected throughout
	_, aClosed := openSession(t, a)
	g.disconnect(a)
	clk.advance(30 * time.Minute)
	g.disconnect(b)

	clk.advance(30 * time.Minute) // a: exactly the idle time
	if n := g.reap(); n != 0 {
		t.Fatalf("reaped %d at exactly the idle time", n)
	}
	clk.advance(time.Second)
	if n := g.reap(); n != 1 || has(g, vid(1)) || !has(g, vid(2)) || !has(g, vid(3)) {
		t.Fatalf("reap: %d; 1:%v 2:%v 3:%v", n, has(g, vid(1)), has(g, vid(2)), has(g, vid(3)))
	}
	waitClosed(t, aClosed, "hangup")

	// A visitor coming back in time keeps the world.
	mustConnect(t, g, vid(2))
	g.disconnect(b)
	clk.advance(59 * time.Minute)
	if n := g.reap(); n != 0 {
		t.Errorf("reaped %d worlds seen 59 minutes ago", n)
	}
	clk.advance(10 * time.Hour)
	if n := g.reap(); n != 1 || !has(g, vid(3)) {
		t.Errorf("reap after 10 hours: %d; connected one kept: %v", n, has(g, vid(3)))
	}
}

// TestRegistryJanitor reaps on its own and stops with its context.
func TestRegistryJanitor(t *testing.T) {
	g, clk := testRegistry(t, 10, time.Hour)
	a := mustConnect(t, g, vid(1))
	_, closed := openSession(t, a)
	g.disconnect(a)
	clk.advance(2 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.janitor(ctx, time.Millisecond); close(done) }()
	waitClosed(t, closed, "hangup")
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the janitor does not stop")
	}
	if has(g, vid(1)) {
		t.Error("the janitor closed the world but kept it")
	}
}

// TestVisitorTerminalsBounded: a visitor keeps MaxTerminalsPerVisitor
// terminals; a new one beyond that ends the oldest.
func TestVisitorTerminalsBounded(t *testing.T) {
	g, _ := testRegistry(t, 10, time.Hour)
	v := mustConnect(t, g, vid(1))
	first, closed := openSession(t, v)
	ids := []string{first.id}
	for len(ids) < MaxTerminalsPerVisitor {
		ids = append(ids, v.terminal("", nil).id)
	}
	for _, id := range ids {
		if v.terminal(id, nil).id != id {
			t.Fatalf("terminal %s not found again", id)
		}
	}
	if len(v.terminals) != MaxTerminalsPerVisitor {
		t.Fatalf("%d terminals", len(v.terminals))
	}
	extra := v.terminal("", nil)
	if len(v.terminals) != MaxTerminalsPerVisitor || len(v.order) != MaxTerminalsPerVisitor {
		t.Fatalf("%d terminals (%d in order) after one more", len(v.terminals), len(v.order))
	}
	if _, ok := v.terminals[ids[0]]; ok {
		t.Error("the oldest terminal was kept")
	}
	if _, ok := v.terminals[extra.id]; !ok {
		t.Error("the new terminal was not kept")
	}
	waitClosed(t, closed, "hangup")
	// Its id now names nothing: asking for it gives a new terminal.
	if again := v.terminal(ids[0], nil); again.id == ids[0] || again == first {
		t.Error("an evicted terminal came back")
	}
	for _, id := range ids[2:] {
		if _, ok := v.terminals[id]; !ok {
			t.Errorf("terminal %s dropped out of turn", id)
		}
	}
}

// TestTerminalRoutesOnlyItsSession: two terminals of one visitor each get
// their own session's events, nothing of the other's.
func TestTerminalRoutesOnlyItsSession(t *testing.T) {
	g, _ := testRegistry(t, 10, time.Hour)
	v := mustConnect(t, g, vid(1))
	a, _ := openSession(t, v)
	b, _ := openSession(t, v)
	a.input([]string{"HELO a.example.test"})
	b.input([]string{"HELO b.example.test", "NOOP"})
	for _, c := range []struct {
		term *terminal
		want string
	}{{a, "a.example.test"}, {b, "b.example.test"}} {
		c.term.mu.Lock()
		logged := decodeLog(&c.term.log)
		session := logged[0].Session
		for _, ev := range logged {
			if ev.Session != session {
				t.Errorf("terminal got an event of session %s besides %s", ev.Session, session)
			}
			if ev.Kind == sandbox.EventInput && ev.Input.Text != "HELO "+c.want && ev.Input.Text != "NOOP" {
				t.Errorf("terminal %s logged input %q", c.want, ev.Input.Text)
			}
		}
		c.term.mu.Unlock()
	}
	if a.log.events >= b.log.events {
		t.Errorf("a logged %d events, b %d: b had one line more", a.log.events, b.log.events)
	}
}

// TestWSTooManyWorlds: when every world has a page, a new visitor's
// socket is told so (error worlds) and closed; the others go on.
func TestWSTooManyWorlds(t *testing.T) {
	s := New(Config{
		World: sandbox.NewWorld(sandbox.Config{Name: "default"}),
		NewSession: func(w *sandbox.World, p sandbox.Proto, peer sandbox.Peer) sandbox.Session {
			return smtp.NewSession(w, peer)
		},
	})
	s.worlds = newRegistry(1, WorldIdle, s.practiceWorld)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })

	dial := func(visitor string) *websocket.Conn {
		t.Helper()
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws",
			http.Header{"Cookie": {visitorCookie + "=" + visitor + "; " + langCookie + "=en"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		if err := ws.WriteJSON(map[string]string{"t": "hello", "page": "sandbox"}); err != nil {
			t.Fatal(err)
		}
		return ws
	}
	var m map[string]any
	first := dial(vid(1))
	firstPage := &pagews.Reader{WS: first}
	if err := firstPage.Next(&m); err != nil || m["t"] != "welcome" {
		t.Fatalf("first visitor: %v %v", m, err)
	}
	second := dial(vid(2))
	if err := (&pagews.Reader{WS: second}).Next(&m); err != nil || m["t"] != "error" || m["key"] != "worlds" || m["text"] == "" {
		t.Fatalf("second visitor with the only world in use: %v %v", m, err)
	}
	if _, _, err := second.ReadMessage(); err == nil {
		t.Error("the refused socket stays open")
	} else if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		t.Error("the refused socket stays open")
	}
	// The first visitor's page is unaffected.
	if err := first.WriteJSON(map[string]string{"t": "open", "proto": "smtp"}); err != nil {
		t.Fatal(err)
	}
	for {
		if err := firstPage.Next(&m); err != nil {
			t.Fatalf("first visitor after the refusal: %v", err)
		}
		if m["t"] == "event" && m["ev"].(map[string]any)["kind"] == "reply" {
			break
		}
	}
}

// TestRegistryWorldsPerAddress: one client address opening world after
// world reclaims its own idle ones, never another address's; with all of
// its worlds in use it is refused.
func TestRegistryWorldsPerAddress(t *testing.T) {
	g, c := testRegistry(t, 10*MaxWorldsPerAddress, time.Hour)
	other, err := g.connect(vid(0), "198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	g.disconnect(other) // idle, and the oldest of all
	for i := 1; i <= 3*MaxWorldsPerAddress; i++ {
		c.advance(time.Second)
		v, err := g.connect(vid(i), "203.0.113.9")
		if err != nil {
			t.Fatalf("world %d: %v", i, err)
		}
		g.disconnect(v)
	}
	if n := g.size(); n != MaxWorldsPerAddress+1 {
		t.Errorf("%d worlds kept, want %d from the flooding address and 1 other", n, MaxWorldsPerAddress+1)
	}
	if !has(g, vid(0)) {
		t.Error("another address's idle world was reclaimed by the flood")
	}
	// All of the address's worlds with a page open: the next is refused.
	for i := 2*MaxWorldsPerAddress + 1; i <= 3*MaxWorldsPerAddress; i++ {
		mustConnectFrom(t, g, vid(i), "203.0.113.9")
	}
	if _, err := g.connect(vid(9999), "203.0.113.9"); !errors.Is(err, errTooManyWorlds) {
		t.Errorf("a world past the address's bound: %v", err)
	}
}

func mustConnectFrom(t *testing.T, g *registry, id, addr string) *visitor {
	t.Helper()
	v, err := g.connect(id, addr)
	if err != nil {
		t.Fatalf("connect %s from %s: %v", id, addr, err)
	}
	return v
}

// TestTerminalLogIsBoundedInBytes: long lines that do not compress fill
// the log's octets before its count; what it keeps stays within both
// bounds, the newest last and in order.
func TestTerminalLogIsBoundedInBytes(t *testing.T) {
	g, _ := testRegistry(t, 10, time.Hour)
	v := mustConnect(t, g, vid(1))
	term := v.terminal("", nil)
	for i := range 20000 {
		term.publish([]sandbox.Event{{Seq: uint64(i), Kind: sandbox.EventInput, Input: &sandbox.Input{Text: noise(990)}}})
		term.mu.Lock()
		size, n := term.log.size, term.log.events
		var logged []sandbox.Event
		if i%2500 == 0 || i == 19999 {
			logged = decodeLog(&term.log)
		}
		term.mu.Unlock()
		if size > MaxTerminalLogBytes || n > MaxTerminalLog {
			t.Fatalf("after %d events: %d octets in %d events", i+1, size, n)
		}
		if logged == nil {
			continue
		}
		if len(logged) != n || logged[len(logged)-1].Seq != uint64(i) {
			t.Fatalf("after %d events: %d decoded of %d kept, the last %d", i+1, len(logged), n, logged[len(logged)-1].Seq)
		}
		for j := range logged[1:] {
			if logged[j+1].Seq != logged[j].Seq+1 {
				t.Fatalf("after %d events: event %d follows %d", i+1, logged[j+1].Seq, logged[j].Seq)
			}
		}
		if i == 19999 && n > MaxTerminalLog*3/4 {
			t.Errorf("%d events of 990 octets kept in %d octets: the bytes should bind first", n, size)
		}
	}
}

// TestTerminalLogKeepsTheNewest: past MaxTerminalLog events the log keeps
// exactly the newest MaxTerminalLog, in order.
func TestTerminalLogKeepsTheNewest(t *testing.T) {
	g, _ := testRegistry(t, 10, time.Hour)
	v := mustConnect(t, g, vid(1))
	term := v.terminal("", nil)
	total := MaxTerminalLog + 3*blockEvents + 7
	for i := range total {
		term.publish([]sandbox.Event{{Seq: uint64(i), Kind: sandbox.EventInput, Input: &sandbox.Input{Text: "NOOP"}}})
	}
	term.mu.Lock()
	logged := decodeLog(&term.log)
	term.mu.Unlock()
	if len(logged) != MaxTerminalLog || logged[0].Seq != uint64(total-MaxTerminalLog) || logged[len(logged)-1].Seq != uint64(total-1) {
		t.Fatalf("%d kept, from %d to %d", len(logged), logged[0].Seq, logged[len(logged)-1].Seq)
	}
	for i := range logged[1:] {
		if logged[i+1].Seq != logged[i].Seq+1 {
			t.Fatalf("event %d follows %d", logged[i+1].Seq, logged[i].Seq)
		}
	}
}

// noise is n characters that do not compress.
func noise(n int) string {
	b := make([]byte, (n*3+3)/4)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:n]
}

func decodeLog(log *transcript) []sandbox.Event {
	var out []sandbox.Event
	log.each(func(b []byte) {
		var ev sandbox.Event
		json.Unmarshal(b, &ev)
		out = append(out, ev)
	})
	return out
}

// TestTranscriptBudget: every terminal's transcript together stays within
// the shared budget; a busy terminal forgets its own oldest lines first.
func TestTranscriptBudget(t *testing.T) {
	g, _ := testRegistry(t, 10, time.Hour)
	g.logs = &sandbox.Budget{Max: 64 << 10}
	var terms []*terminal
	for i := range 4 {
		terms = append(terms, mustConnect(t, g, vid(i+1)).terminal("", nil))
	}
	for i := range 2000 {
		term := terms[i%len(terms)]
		term.publish([]sandbox.Event{{Seq: uint64(i), Kind: sandbox.EventInput, Input: &sandbox.Input{Text: noise(500)}}})
		total := 0
		for _, t2 := range terms {
			t2.mu.Lock()
			total += t2.log.size
			t2.mu.Unlock()
		}
		if int64(total) != g.logs.Used() || g.logs.Used() > g.logs.Max {
			t.Fatalf("after %d events: logs hold %d octets, the budget says %d of %d", i+1, total, g.logs.Used(), g.logs.Max)
		}
	}
	for _, term := range terms {
		term.mu.Lock()
		n := term.log.events
		term.mu.Unlock()
		if n == 0 {
			t.Error("a terminal was left with nothing: the budget is not shared")
		}
	}
	terms[0].clear()
	for _, term := range terms[1:] {
		term.clear()
	}
	if g.logs.Used() != 0 {
		t.Errorf("cleared terminals still hold %d octets of the budget", g.logs.Used())
	}
}

// TestTranscriptReleasedOnClose: a world reclaimed gives back to the
// shared budget every octet its terminals' transcripts held, so visitors
// that come and go cannot spend it for those who stay.
func TestTranscriptReleasedOnClose(t *testing.T) {
	g, _ := testRegistry(t, 10, time.Hour)
	g.logs = &sandbox.Budget{Max: 64 << 20}
	for i := range 3 {
		v := mustConnect(t, g, vid(i+1))
		term, _ := openSession(t, v)
		for range 50 {
			term.input([]string{"HELO c.example.test", "NOOP", "RSET"})
		}
		g.disconnect(v)
	}
	if g.logs.Used() == 0 {
		t.Fatal("the transcripts hold nothing")
	}
	for i := range 3 {
		g.forget(vid(i + 1))
	}
	if used := g.logs.Used(); used != 0 {
		t.Errorf("reclaimed worlds still hold %d octets of the transcripts' budget", used)
	}
}

package drive

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"smtplab/sandbox"
)

// echo is a small engine: it answers each line with "ok LINE", at most
// perCall lines per Feed (the rest waits for Feed(nil), as MaxStepLines
// makes a real engine do), "STARTTLS" asks for TLS, "QUIT" ends the
// session, and a partial line waits for its end.
type echo struct {
	mu      sync.Mutex
	idle    time.Duration
	perCall int
	held    []byte
	done    bool
	calls   []string // what the driver called, in order
	secured *sandbox.TLS
}

func (e *echo) record(s string) {
	e.mu.Lock()
	e.calls = append(e.calls, s)
	e.mu.Unlock()
}

func (e *echo) history() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.calls, " ")
}

func reply(text string) *sandbox.Reply { return &sandbox.Reply{Code: 250, Lines: []string{text}} }

func (e *echo) ID() string               { return "echo-1" }
func (e *echo) Proto() sandbox.Proto     { return sandbox.SMTP }
func (e *echo) Idle() time.Duration      { return e.idle }
func (e *echo) Closed() bool             { return e.done }
func (e *echo) Hangup()                  { e.record("hangup"); e.done = true }
func (e *echo) Start() sandbox.Output    { e.record("start"); return out("hello") }
func (e *echo) Refuse() sandbox.Output   { e.record("refuse"); e.done = true; return closing("full") }
func (e *echo) Shutdown() sandbox.Output { e.record("shutdown"); e.done = true; return closing("bye") }
func (e *echo) Timeout() sandbox.Output {
	e.record("timeout")
	e.done = true
	return closing("timeout")
}
func (e *echo) Secured(t sandbox.TLS) sandbox.Output {
	e.record("secured")
	e.secured = &t
	return sandbox.Output{}
}

func out(lines ...string) sandbox.Output {
	var o sandbox.Output
	for _, l := range lines {
		o.Replies = append(o.Replies, reply(l))
	}
	return o
}

func closing(text string) sandbox.Output {
	o := out(text)
	o.Close = true
	return o
}

func (e *echo) Feed(p []byte) sandbox.Output {
	if p == nil {
		e.record("feed(nil)")
	} else {
		e.record("feed")
	}
	e.held = append(e.held, p...)
	var o sandbox.Output
	for o.Lines < e.perCall && !e.done {
		i := bytes.Index(e.held, []byte("\r\n"))
		if i < 0 {
			break
		}
		line := string(e.held[:i])
		e.held = e.held[i+2:]
		o.Lines++
		o.Replies = append(o.Replies, reply("ok "+line))
		switch line {
		case "QUIT":
			e.done, o.Close = true, true
		case "STARTTLS":
			o.StartTLS = true
			e.held = nil // what came in clear behind the command is dropped
		}
		if o.StartTLS {
			break
		}
	}
	o.More = bytes.Contains(e.held, []byte("\r\n")) && !e.done && !o.StartTLS
	return o
}

// link records what the driver sent, and may fail.
type link struct {
	mu       sync.Mutex
	sent     []string
	closes   int
	failSend bool
	failTLS  bool
	e        *echo // to record sends among the engine's calls
}

func (l *link) Send(o sandbox.Output) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range o.Replies {
		l.sent = append(l.sent, r.Lines[0])
		l.e.record("send:" + r.Lines[0])
	}
	if l.failSend && len(o.Replies) > 0 {
		return errors.New("broken pipe")
	}
	return nil
}

func (l *link) StartTLS() (sandbox.TLS, error) {
	l.e.record("handshake")
	if l.failTLS {
		return sandbox.TLS{}, errors.New("bad handshake")
	}
	return sandbox.TLS{Version: "TLS 1.3"}, nil
}

func (l *link) Close() {
	l.mu.Lock()
	l.closes++
	l.mu.Unlock()
	l.e.record("close")
}

func (l *link) closed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closes
}

func newDriven(perCall int) (*echo, *link, *Session) {
	e := &echo{idle: time.Hour, perCall: perCall}
	l := &link{e: e}
	return e, l, New(e, l)
}

// TestFeedPartByPart: a burst is answered part by part, each part sent
// before the engine is asked for the next, so a client that does not read
// holds up the work instead of piling up answers.
func TestFeedPartByPart(t *testing.T) {
	e, _, d := newDriven(2)
	d.Start()
	if n := d.Feed([]byte("A\r\nB\r\nC\r\nD\r\nE\r\n")); n != 5 {
		t.Errorf("Feed answered %d lines, want 5", n)
	}
	want := "start send:hello feed send:ok A send:ok B feed(nil) send:ok C send:ok D feed(nil) send:ok E"
	if got := e.history(); got != want {
		t.Errorf("calls:\n got %s\nwant %s", got, want)
	}
}

// TestCloseOnce: the link closes once, after the last reply, whatever
// ends the session, and nothing reaches the engine afterwards.
func TestCloseOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(*Session)
		last string
	}{
		{"quit", func(d *Session) { d.Feed([]byte("QUIT\r\nNOOP\r\n")) }, "send:ok QUIT close"},
		{"timeout", (*Session).Timeout, "timeout send:timeout close"},
		{"shutdown", (*Session).Shutdown, "shutdown send:bye close"},
		{"hangup", (*Session).Hangup, "hangup close"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, l, d := newDriven(10)
			d.Start()
			tc.end(d)
			before := e.history()
			d.Feed([]byte("NOOP\r\n"))
			d.Timeout()
			d.Shutdown()
			d.Hangup()
			if after := e.history(); after != before {
				t.Errorf("the engine was called after the end: %s", strings.TrimPrefix(after, before))
			}
			if !strings.HasSuffix(before, tc.last) || l.closed() != 1 || !d.Closed() {
				t.Errorf("calls %q, %d closes, closed %v", before, l.closed(), d.Closed())
			}
		})
	}
}

// TestRefuse: a refused client gets the engine's reply, then the link closes.
func TestRefuse(t *testing.T) {
	e, l, d := newDriven(1)
	d.Refuse()
	if got := e.history(); got != "refuse send:full close" || l.closed() != 1 {
		t.Errorf("calls %q, %d closes", got, l.closed())
	}
}

// TestStartTLS: the handshake comes after the reply that accepted
// STARTTLS, the engine hears the result, and what came behind the command
// in clear is not answered. A failed handshake ends the session.
func TestStartTLS(t *testing.T) {
	e, l, d := newDriven(10)
	d.Start()
	d.Feed([]byte("STARTTLS\r\nMAIL FROM:<injected@example.test>\r\n"))
	want := "start send:hello feed send:ok STARTTLS handshake secured"
	if got := e.history(); got != want || e.secured == nil || e.secured.Version != "TLS 1.3" {
		t.Errorf("calls:\n got %s\nwant %s (secured %v)", got, want, e.secured)
	}
	if l.closed() != 0 {
		t.Error("the link closed after a good handshake")
	}

	e, l, d = newDriven(10)
	l.failTLS = true
	d.Start()
	d.Feed([]byte("STARTTLS\r\n"))
	if got := e.history(); !strings.HasSuffix(got, "handshake hangup close") || !d.Closed() || l.closed() != 1 {
		t.Errorf("after a failed handshake: calls %q, closed %v, %d closes", got, d.Closed(), l.closed())
	}
}

// TestSendFails: a link that cannot send is a client gone: the session
// hangs up and the rest of the input is never answered.
func TestSendFails(t *testing.T) {
	e, l, d := newDriven(1)
	d.Start()
	l.failSend = true
	d.Feed([]byte("A\r\nB\r\nC\r\n"))
	if got := e.history(); !strings.HasSuffix(got, "feed send:ok A hangup close") || !d.Closed() {
		t.Errorf("calls %q, closed %v", got, d.Closed())
	}
}

// TestDeadlineMovesOnLines: the idle deadline moves when a whole line is
// answered, not when a piece of one arrives (slowloris).
func TestDeadlineMovesOnLines(t *testing.T) {
	_, _, d := newDriven(10)
	d.Start()
	first := d.Deadline()
	if first.IsZero() {
		t.Fatal("no deadline after the greeting")
	}
	time.Sleep(2 * time.Millisecond)
	d.Feed([]byte("NO"))
	if got := d.Deadline(); !got.Equal(first) {
		t.Errorf("a partial line moved the deadline from %v to %v", first, got)
	}
	d.Feed([]byte("OP\r\n"))
	if got := d.Deadline(); !got.After(first) {
		t.Errorf("a whole line left the deadline at %v", got)
	}
}

// TestWatchIdle: with WatchIdle the session times out by itself once its
// idle time passes with no line; lines keep it open; a session that
// shortens its idle time (DATA) is timed out at the shorter one.
func TestWatchIdle(t *testing.T) {
	e, l, d := newDriven(10)
	e.idle = 150 * time.Millisecond
	d.Start()
	d.WatchIdle()
	for range 4 { // 400 ms of lines, each within the idle time
		time.Sleep(100 * time.Millisecond)
		d.Feed([]byte("NOOP\r\n"))
		if d.Closed() {
			t.Fatal("timed out while lines kept coming")
		}
	}
	waitClosed(t, d, time.Second)
	if got := e.history(); !strings.HasSuffix(got, "timeout send:timeout close") || l.closed() != 1 {
		t.Errorf("calls %q, %d closes", got, l.closed())
	}

	e, _, d = newDriven(10)
	e.idle = time.Hour
	d.WatchIdle() // before Start: armed by the greeting
	d.Start()
	e.mu.Lock()
	e.idle = 50 * time.Millisecond // as entering DATA does
	e.mu.Unlock()
	d.Feed([]byte("DATA\r\n"))
	waitClosed(t, d, time.Second)
}

func waitClosed(t *testing.T, d *Session, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); !d.Closed(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not timed out after %v", within)
		}
	}
}

// TestDelay: the output waits the delay the engine asked for before it is
// sent (a wrong password).
func TestDelay(t *testing.T) {
	e := &echo{idle: time.Hour}
	l := &link{e: e}
	slow := delayed{e, 30 * time.Millisecond}
	d := New(slow, l)
	start := time.Now()
	d.Start()
	if waited := time.Since(start); waited < slow.delay {
		t.Errorf("sent after %v, the engine asked for %v", waited, slow.delay)
	}
}

type delayed struct {
	*echo
	delay time.Duration
}

func (s delayed) Start() sandbox.Output {
	o := s.echo.Start()
	o.Delay = s.delay
	return o
}

package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"smtplab/sandbox"
)

// MaxTerminalLog and MaxTerminalLogBytes bound the events a terminal keeps
// to replay after a reload or a language switch: in number, and in the
// octets of their JSON, whatever the lines hold.
const (
	MaxTerminalLog      = 4000
	MaxTerminalLogBytes = 2 << 20
)

// terminal is one browser terminal: at most one engine session at a time,
// and the events of its sessions, kept so a reloaded page can show them again.
// It outlives the WebSocket, so a dropped link or a reload does not end the
// SMTP or POP session the student is in.
type terminal struct {
	id string
	v  *visitor

	mu      sync.Mutex // serialises every call into the session
	sess    sandbox.Session
	log     [][]byte // the events, each kept as JSON: a third of what the values cost
	logSize int      // about the octets log holds
	sink    *wsConn
	timer   *time.Timer
	runs    map[string]*lessonRun // lessons followed on this terminal, by slug

	qmu     sync.Mutex // guards what route may touch while mu is held
	current string     // id of the session, for route
	world   *sandbox.World
	pending []sandbox.Event
}

func newTerminal(v *visitor) *terminal {
	var b [8]byte
	rand.Read(b[:])
	return &terminal{id: hex.EncodeToString(b[:]), v: v}
}

// owns reports whether the session id of world w is this terminal's. It
// may be called while mu is held by the session's own goroutine, so it uses
// qmu only. Session ids are unique within a world, not across worlds.
func (t *terminal) owns(w *sandbox.World, session string) bool {
	t.qmu.Lock()
	defer t.qmu.Unlock()
	return t.current == session && t.world == w
}

// host is the name of the server the current session talks to.
func (t *terminal) host() string {
	t.qmu.Lock()
	defer t.qmu.Unlock()
	if t.world == nil {
		return ""
	}
	return t.world.Host
}

// queue keeps an event until the running step hands it to the page.
func (t *terminal) queue(ev sandbox.Event) {
	t.qmu.Lock()
	t.pending = append(t.pending, ev)
	t.qmu.Unlock()
}

func (t *terminal) drain() []sandbox.Event {
	t.qmu.Lock()
	defer t.qmu.Unlock()
	evs := t.pending
	t.pending = nil
	return evs
}

// open starts a session in world w, unless one is already open.
func (t *terminal) open(w *sandbox.World, newSession func() sandbox.Session) bool {
	t.mu.Lock()
	if t.sess != nil && !t.sess.Closed() {
		t.mu.Unlock()
		return false
	}
	// The id is known only once the session exists, and its first events
	// come from Start below: route must recognise it before then.
	s := newSession()
	t.sess = s
	t.qmu.Lock()
	t.current, t.world = s.ID(), w
	t.qmu.Unlock()
	t.mu.Unlock()
	t.step(s, s.Start)
	return true
}

// input sends lines, each ended with CRLF, in one write.
func (t *terminal) input(lines []string) {
	s := t.session()
	if s == nil {
		return
	}
	b := []byte(strings.Join(lines, "\r\n") + "\r\n")
	for more := t.step(s, func() sandbox.Output { return s.Feed(b) }); more; {
		t.pace()
		more = t.step(s, func() sandbox.Output { return s.Feed(nil) })
	}
}

// hangup drops the connection, as closing telnet would.
func (t *terminal) hangup() {
	if s := t.session(); s != nil {
		t.step(s, func() sandbox.Output { s.Hangup(); return sandbox.Output{} })
	}
}

// pace waits, between two parts of a long input, until the page showing
// the terminal has read what it was sent. A page that stops reading is
// dropped (it reconnects and gets the transcript again); the session goes on.
func (t *terminal) pace() {
	t.mu.Lock()
	c := t.sink
	t.mu.Unlock()
	if c != nil && !c.drained(PaceQueue, writeWait) {
		c.close()
	}
}

func (t *terminal) session() sandbox.Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sess
}

// step runs one call into session s and passes on what it produced: events
// to the page and the log, after the delay the session asked for. It
// reports whether the session has input left to answer.
func (t *terminal) step(s sandbox.Session, call func() sandbox.Output) (more bool) {
	t.mu.Lock()
	if t.sess != s || s.Closed() {
		t.mu.Unlock()
		return false
	}
	out := call()
	evs := t.drain()
	if out.Delay > 0 {
		time.Sleep(out.Delay)
	}
	t.publish(evs)
	t.rearm(s)
	more = out.More && !s.Closed()
	t.mu.Unlock()
	if touchesMailboxes(evs) {
		t.v.mailboxesChanged()
	}
	t.v.recorded(t.host(), evs)
	return more
}

// rearm restarts the idle timer, or stops it when the session is over.
// Called with mu held.
func (t *terminal) rearm(s sandbox.Session) {
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	if s.Closed() {
		t.sess = nil
		return
	}
	t.timer = time.AfterFunc(s.Idle(), func() { t.step(s, s.Timeout) })
}

// publish logs events and sends them to the attached page and to the
// teacher's pages watching the student. Called with mu held.
func (t *terminal) publish(evs []sandbox.Event) {
	watchers := t.v.watchers()
	for _, ev := range evs {
		if b, err := json.Marshal(ev); err == nil {
			t.keep(b)
		}
		for _, run := range t.runs {
			run.observe(ev)
		}
		if t.sink != nil {
			t.sink.sendEvent(ev)
		}
		for _, w := range watchers {
			w.sendEvent(ev)
		}
	}
	t.trim()
}

// keep adds an event to the log, within the budget all terminals share:
// when it is spent, the terminal forgets its own oldest events first, and
// keeps nothing if that is not enough.
func (t *terminal) keep(b []byte) {
	budget := t.v.logs
	for !budget.Reserve(int64(len(b))) {
		if len(t.log) == 0 {
			return
		}
		t.drop(1)
	}
	t.log = append(t.log, b)
	t.logSize += len(b)
}

// drop forgets the n oldest events.
func (t *terminal) drop(n int) {
	for _, b := range t.log[:n] {
		t.logSize -= len(b)
		t.v.logs.Release(int64(len(b)))
	}
	t.log = t.log[n:]
}

// trim keeps the log within MaxTerminalLog events and MaxTerminalLogBytes,
// dropping the oldest. It waits until the log is an eighth over a bound,
// so a long paste copies the log now and then, not on every event.
func (t *terminal) trim() {
	if len(t.log) <= MaxTerminalLog+MaxTerminalLog/8 && t.logSize <= MaxTerminalLogBytes+MaxTerminalLogBytes/8 {
		return
	}
	over, size := 0, t.logSize
	for over < len(t.log) && (len(t.log)-over > MaxTerminalLog || size > MaxTerminalLogBytes) {
		size -= len(t.log[over])
		over++
	}
	t.drop(over)
	t.log = append([][]byte(nil), t.log...) // let the dropped events' array go
}

// sendLogged sends a kept event to a page, explained in its language.
func sendLogged(c *wsConn, b []byte) {
	var ev sandbox.Event
	if json.Unmarshal(b, &ev) == nil {
		c.sendEvent(ev)
	}
}

func touchesMailboxes(evs []sandbox.Event) bool {
	for _, ev := range evs {
		if ev.Kind == sandbox.EventDelivery || ev.Kind == sandbox.EventMailbox && ev.Mailbox.Action == "removed" {
			return true
		}
	}
	return false
}

// attach makes c the page showing this terminal and replays the log to it.
func (t *terminal) attach(c *wsConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sink = c
	for _, b := range t.log {
		sendLogged(c, b)
	}
}

// shownElsewhere reports whether a page other than c, still open, shows t.
func (t *terminal) shownElsewhere(c *wsConn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sink != nil && t.sink != c && !t.sink.closed()
}

func (t *terminal) detach(c *wsConn) {
	t.mu.Lock()
	if t.sink == c {
		t.sink = nil
	}
	t.mu.Unlock()
}

// replayTo sends the transcript to a teacher's page that starts watching.
func (t *terminal) replayTo(c *wsConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range t.log {
		sendLogged(c, b)
	}
}

// lesson returns the terminal's run of a lesson, made by create if new.
func (t *terminal) lesson(slug string, create func() *lessonRun) *lessonRun {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.runs == nil {
		t.runs = map[string]*lessonRun{}
	}
	run, ok := t.runs[slug]
	if !ok {
		run = create()
		t.runs[slug] = run
	}
	return run
}

// clear forgets the transcript (the session, if any, goes on).
func (t *terminal) clear() {
	t.mu.Lock()
	t.drop(len(t.log))
	t.mu.Unlock()
}

// close ends the session, as a dropped connection would.
func (t *terminal) close() {
	t.hangup()
	t.mu.Lock()
	if t.timer != nil {
		t.timer.Stop()
	}
	t.sink = nil
	t.mu.Unlock()
}

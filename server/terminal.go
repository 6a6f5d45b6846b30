package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"

	"smtplab/sandbox"
	"smtplab/sandbox/drive"
)

// terminal is one browser terminal: at most one engine session at a time,
// driven as a TCP connection's is (sandbox/drive), and the events of its
// sessions, kept so a reloaded page can show them again. It outlives the
// WebSocket, so a dropped link or a reload does not end the SMTP or POP
// session the student is in.
//
// The terminal is the session's drive.Link: after each step, Send hands
// the step's events to the page, the watching teachers, the lessons and
// the transcript, as one batch.
type terminal struct {
	id string
	v  *visitor

	mu   sync.Mutex     // guards what follows; never held while calling the driver
	sess *drive.Session // the open session, nil when none
	log  transcript
	sink *wsConn
	runs map[string]*lessonRun // lessons followed on this terminal, by slug
	sh   shellState            // the shell's side: its open connection (shell.go)

	qmu     sync.Mutex // guards what route may touch while a step runs
	current string     // id of the session, for route
	world   *sandbox.World
	pending []sandbox.Event
	spare   []sandbox.Event // the slice drain handed out last time
	// What the terminal follows beyond its session (follow.go): the
	// messages and relay sessions, and their events waiting for a batch.
	trail    trail
	followed []sandbox.Event
	flushing bool // a batch of followed events is on its way
	gone     bool // closed: nothing followed is kept or published any more

	fmu sync.Mutex // one batch of followed events at a time
}

func newTerminal(v *visitor) *terminal {
	var b [8]byte
	rand.Read(b[:])
	return &terminal{id: hex.EncodeToString(b[:]), v: v, log: transcript{budget: v.logs}}
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

// queue keeps an event until the running step hands it on.
func (t *terminal) queue(ev sandbox.Event) {
	t.qmu.Lock()
	t.pending = append(t.pending, ev)
	t.qmu.Unlock()
}

// drain returns the events queued by the step, in a slice the terminal
// reuses for the next step: what keeps them copies them.
func (t *terminal) drain() []sandbox.Event {
	t.qmu.Lock()
	defer t.qmu.Unlock()
	evs := t.pending
	if cap(evs) > maxKeptPending {
		t.pending = nil
	} else {
		t.pending = t.spare[:0]
		t.spare = evs
	}
	return evs
}

// maxKeptPending bounds the events whose room a terminal keeps between two
// steps: a paste's step makes hundreds, a typed line a few.
const maxKeptPending = 64

// open starts a session in world w, unless one is already open.
func (t *terminal) open(w *sandbox.World, newSession func() sandbox.Session) bool {
	// A session that just ended may still be finishing its last step (the
	// page has its close event already): Closed waits for that step, which
	// lets go of the session.
	if d := t.session(); d != nil && !d.Closed() {
		return false
	}
	t.mu.Lock()
	if t.sess != nil {
		t.mu.Unlock()
		return false
	}
	// The id is known only once the session exists, and its first events
	// come from Start below: route must recognise it before then.
	s := newSession()
	d := drive.New(s, t)
	t.sess = d
	t.qmu.Lock()
	t.current, t.world = s.ID(), w
	t.qmu.Unlock()
	t.mu.Unlock()
	d.Start()
	d.WatchIdle() // an idle session times out as over TCP
	return true
}

// session is the open session, nil if none.
func (t *terminal) session() *drive.Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sess
}

// input sends lines, each ended with CRLF, in one write (pipelining).
func (t *terminal) input(lines []string) {
	d := t.session()
	if d == nil {
		return
	}
	n := 0
	for _, l := range lines {
		n += len(l) + 2
	}
	b := make([]byte, 0, n)
	for _, l := range lines {
		b = append(append(b, l...), '\r', '\n')
	}
	d.Feed(b)
}

// hangup drops the connection, as closing telnet would.
func (t *terminal) hangup() {
	if d := t.session(); d != nil {
		d.Hangup()
	}
}

// Send passes on the events of one step (drive.Link); between two parts
// of a long input it waits for the page to catch up.
func (t *terminal) Send(out sandbox.Output) error {
	t.captured(out)
	if evs := t.drain(); len(evs) > 0 {
		t.publish(evs)
		t.tapped(evs)
		if touchesMailboxes(evs) {
			t.v.mailboxesChanged()
		}
		t.v.recorded(t.host(), evs)
	}
	if out.More {
		t.pace()
	}
	return nil
}

// StartTLS is drive.Link's: the connection's client program says what
// the handshake negotiates (shell.go).
func (t *terminal) StartTLS() (sandbox.TLS, error) { return t.startTLS() }

var errNoTLS = errors.New("the terminal cannot start TLS")

// Close is drive.Link's: the session is over, another may open.
func (t *terminal) Close() {
	t.mu.Lock()
	t.sess = nil
	t.mu.Unlock()
	t.ended()
}

// pace waits, between two parts of a long input, until the page showing
// the terminal has read what it was sent: a paste goes at the page's
// speed, as a TCP client's goes at the speed it reads. A page that stops
// reading is dropped (it reconnects and gets the transcript again); the
// session goes on.
func (t *terminal) pace() {
	t.mu.Lock()
	c := t.sink
	t.mu.Unlock()
	if c != nil && !c.drained(PaceQueue, writeWait) {
		c.close()
	}
}

// publish keeps the events of a step and sends them, as one batch, to the
// attached page and to the teacher's pages watching the student.
func (t *terminal) publish(evs []sandbox.Event) {
	b := newBatch(evs)
	watchers := t.v.watchers()
	t.mu.Lock()
	sink := t.sink
	defer func() {
		t.mu.Unlock()
		if sink != nil {
			sink.flush()
		}
	}()
	for i := range b.len() {
		t.log.add(b.event(i))
	}
	for _, run := range t.runs {
		for _, ev := range evs {
			run.observe(ev)
		}
	}
	if sink != nil {
		sink.queueBatch(b) // written by flush, once the lock is let go
	}
	for _, w := range watchers {
		w.sendBatch(b)
	}
}

// replayBatch is how many kept events go to a page in one batch.
const replayBatch = 256

// replay sends the transcript to c. Called with mu held.
func (t *terminal) replay(c *wsConn) {
	var r replayBuilder
	t.log.each(func(j []byte) {
		if kept(j) { // the shell's lines, a tap: in order with the events
			if r.b != nil {
				c.sendBatch(r.take())
			}
			sendKept(c, j)
			return
		}
		r.add(j)
		if r.b.len() >= replayBatch {
			c.sendBatch(r.take())
		}
	})
	if r.b != nil {
		c.sendBatch(r.take())
	}
}

// attach makes c the page showing this terminal and replays the log to it.
func (t *terminal) attach(c *wsConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sink = c
	t.replay(c)
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
	t.replay(c)
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
	t.log.reset()
	t.mu.Unlock()
}

// close ends the session, as a dropped connection would, and forgets the
// transcript: the terminal is gone.
func (t *terminal) close() {
	t.hangup()
	t.qmu.Lock()
	t.gone = true // a batch of followed events on its way finds no one
	t.qmu.Unlock()
	t.forgetFollowed()
	t.mu.Lock()
	t.sink = nil
	t.log.reset()
	t.mu.Unlock()
}

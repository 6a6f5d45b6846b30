// Package drive runs one engine session for a transport. A transport only
// moves bytes; what is done with them is the same whichever way the client
// came, and is written once here: feed the session what arrived, send its
// answers part by part so that a long answer never sits in memory whole,
// wait the delays it asks for, time it out when no line comes, start TLS
// when it asks, and close the link when it ends. sandbox/tcp drives the
// sessions of real clients with it, the browser terminal those of pages.
package drive

import (
	"sync"
	"time"

	"smtplab/sandbox"
)

// Link is the transport's side of a driven session. The driver calls it
// with the session's lock held, one call at a time.
type Link interface {
	// Send delivers the output of one call into the session: its replies
	// to the client, and whatever the transport passes on with them (the
	// events of the call, for a page). It may block while the client is
	// slow to read, as a socket write does: that is what paces a long
	// input. An error ends the session as if the client had hung up.
	Send(out sandbox.Output) error
	// StartTLS encrypts the link, once the reply that accepted STARTTLS
	// or STLS has been sent, and describes the encryption now in force.
	// An error ends the session: what the client sends next is neither
	// clear text nor TLS the server can read.
	StartTLS() (sandbox.TLS, error)
	// Close ends the link after the session's last output.
	Close()
}

// Session drives one engine session over one link. It is safe for
// concurrent use: the transport's reader, a shutdown and the idle timer
// may all call it; each call into the engine runs alone.
type Session struct {
	mu     sync.Mutex
	s      sandbox.Session
	link   Link
	closed bool        // link.Close was called
	idle   time.Time   // when the session times out if no line comes
	watch  bool        // WatchIdle: the driver times the session out itself
	timer  *time.Timer // WatchIdle's, once armed
	armed  time.Time   // when timer fires
}

// New drives s over link. Nothing is sent before Start (or Refuse).
func New(s sandbox.Session, link Link) *Session {
	return &Session{s: s, link: link}
}

// Start sends the greeting and starts the idle clock.
func (d *Session) Start() { d.step(d.s.Start) }

// Refuse turns the client away: the session opens and ends at once,
// because the server is full.
func (d *Session) Refuse() { d.step(d.s.Refuse) }

// Feed hands the session what the client sent and sends the answers. A
// burst of commands is answered part by part (Output.More): each part is
// delivered before the engine makes the next, so a client that stops
// reading stops the work. It returns how many complete lines it answered.
//
// p must stay unchanged until Feed returns; it may be reused afterwards.
func (d *Session) Feed(p []byte) (lines int) {
	more, lines := d.feed(p)
	for more {
		var n int
		more, n = d.feed(nil)
		lines += n
	}
	return lines
}

func (d *Session) feed(p []byte) (more bool, lines int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out, ok := d.run(func() sandbox.Output { return d.s.Feed(p) })
	return ok && out.More && !out.StartTLS && !d.s.Closed(), out.Lines
}

// Timeout ends the session for having waited Idle with no line: the
// transport saw the deadline pass.
func (d *Session) Timeout() { d.step(d.s.Timeout) }

// Shutdown tells the session that the server is going away.
func (d *Session) Shutdown() { d.step(d.s.Shutdown) }

// Hangup ends the session because the client went away without a goodbye.
func (d *Session) Hangup() {
	d.step(func() sandbox.Output { d.s.Hangup(); return sandbox.Output{} })
}

// Closed reports whether the session has ended.
func (d *Session) Closed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.s.Closed()
}

// Deadline is when the session times out if no complete line comes. It
// moves when a line arrives, not on every read: a client that sends a byte
// now and then (slowloris) times out as one that sends nothing.
func (d *Session) Deadline() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.idle
}

// WatchIdle makes the session time out by itself at its deadline, for a
// transport that does not wait in a read with a deadline (the browser
// terminal). It uses one timer for the whole session, moved only when the
// deadline comes sooner than it was (entering DATA), not at every line.
func (d *Session) WatchIdle() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.watch = true
	if !d.idle.IsZero() {
		d.arm()
	}
}

// arm starts the idle timer, or brings it forward to a sooner deadline.
// Called with mu held.
func (d *Session) arm() {
	switch {
	case d.closed:
	case d.timer == nil:
		d.armed = d.idle
		d.timer = time.AfterFunc(time.Until(d.idle), d.expire)
	case d.idle.Before(d.armed):
		d.armed = d.idle
		d.timer.Reset(time.Until(d.idle))
	}
}

// expire is WatchIdle's timer: the session times out if the deadline has
// passed, else the timer waits for the deadline as it is now.
func (d *Session) expire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.s.Closed() {
		return
	}
	if wait := time.Until(d.idle); wait > 0 {
		d.armed = d.idle
		d.timer.Reset(wait)
		return
	}
	d.run(d.s.Timeout)
}

func (d *Session) step(call func() sandbox.Output) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.run(call)
}

// run makes one call into the session and delivers its output, then starts
// TLS if the session asked, and closes the link once the session is over.
// It is false if the session was already over. Called with mu held.
func (d *Session) run(call func() sandbox.Output) (sandbox.Output, bool) {
	if d.s.Closed() {
		return sandbox.Output{}, false
	}
	out := call()
	if out.Lines > 0 || d.idle.IsZero() {
		d.rearm()
	}
	d.deliver(out)
	if out.StartTLS && !d.s.Closed() {
		if t, err := d.link.StartTLS(); err != nil {
			d.s.Hangup()
			d.deliver(sandbox.Output{})
		} else {
			d.deliver(d.s.Secured(t))
		}
	}
	if (out.Close || d.s.Closed()) && !d.closed {
		d.closed = true
		if d.timer != nil {
			d.timer.Stop()
		}
		d.link.Close()
	}
	return out, true
}

// deliver waits the delay the session asked for (it slows down password
// guessing), then sends; a link that fails is a client gone.
func (d *Session) deliver(out sandbox.Output) {
	if out.Delay > 0 {
		time.Sleep(out.Delay)
	}
	if err := d.link.Send(out); err != nil && !d.s.Closed() {
		d.s.Hangup()
		d.link.Send(sandbox.Output{}) // what the hang-up said, for the watchers
	}
}

// rearm sets the idle deadline from now, in the session's current state
// (RFC 5321 gives DATA its own timeout). Called with mu held.
func (d *Session) rearm() {
	d.idle = time.Now().Add(d.s.Idle())
	if d.watch {
		d.arm()
	}
}

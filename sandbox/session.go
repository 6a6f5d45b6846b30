package sandbox

import "time"

// Session is one client's conversation with a protocol engine. Transports
// move bytes in and out and call Timeout, Shutdown or Hangup when the
// connection ends for a reason of their own; everything else, including how
// lines are cut, is the engine's business. A Session is not safe for
// concurrent use: one transport goroutine drives it.
type Session interface {
	ID() string
	Proto() Proto
	// Start opens the session and returns the greeting.
	Start() Output
	// Refuse opens and at once closes the session, because the server is full.
	Refuse() Output
	// Feed hands the engine what the client sent; it answers every complete
	// line, in order (pipelining), and keeps a partial line for later.
	Feed(p []byte) Output
	// Idle is how long the engine will wait for more input in its current state.
	Idle() time.Duration
	// Timeout is called when Idle passed without input.
	Timeout() Output
	// Shutdown is called when the server stops.
	Shutdown() Output
	// Hangup is called when the client went away without saying goodbye.
	Hangup()
	// Closed reports whether the session has ended.
	Closed() bool
}

// Peer describes who is on the other end of a session.
type Peer struct {
	Remote    string // address as seen by the transport, e.g. "127.0.0.1:51234"
	Transport string // "tcp", "websocket", "test"
}

// Output is what a session has to say after an input.
type Output struct {
	Replies []*Reply
	Delay   time.Duration // wait this long before sending (slows password guessing)
	Close   bool          // close the connection once the replies are sent
}

// Bytes is the output as sent on the wire.
func (o Output) Bytes() []byte {
	var b []byte
	for _, r := range o.Replies {
		b = append(b, r.Wire()...)
	}
	return b
}

// Base carries what every engine's session needs: its world, its identity,
// the output being built, and event emission. Engines embed it.
type Base struct {
	World *World
	Peer  Peer
	id    string
	proto Proto
	state string
	out   Output
	done  bool
}

// NewBase starts the bookkeeping of a session of protocol p in w.
func NewBase(w *World, p Proto, peer Peer) Base {
	return Base{World: w, Peer: peer, id: w.NewSessionID(p), proto: p}
}

func (b *Base) ID() string    { return b.id }
func (b *Base) Proto() Proto  { return b.proto }
func (b *Base) Closed() bool  { return b.done }
func (b *Base) State() string { return b.state }

// Emit publishes ev as coming from this session.
func (b *Base) Emit(ev Event) Event {
	ev.Session, ev.Proto = b.id, b.proto
	return b.World.Publish(ev)
}

// Opened emits the open event and enters the first state.
func (b *Base) Opened(state string) {
	b.Emit(Event{Kind: EventOpen, Open: &Open{Remote: b.Peer.Remote, Transport: b.Peer.Transport}})
	b.SetState(state)
}

// SetState moves the session to state, emitting a state event on change.
func (b *Base) SetState(state string) {
	if state == b.state {
		return
	}
	b.Emit(Event{Kind: EventState, State: &State{From: b.state, To: state}})
	b.state = state
}

// Received emits an input event for a line.
func (b *Base) Received(l Line, data bool) {
	b.Emit(Event{Kind: EventInput, Input: &Input{Text: string(l.Text), Data: data, BareLF: !l.CRLF, TooLong: l.TooLong}})
}

// Send queues r and emits it.
func (b *Base) Send(r *Reply) {
	r.Proto = b.proto
	b.out.Replies = append(b.out.Replies, r)
	b.Emit(Event{Kind: EventReply, Reply: r})
}

// Delay asks the transport to wait before sending the pending output.
func (b *Base) Delay(d time.Duration) { b.out.Delay = max(b.out.Delay, d) }

// End marks the session over for reason; the connection closes after the
// pending output. Calling it again does nothing.
func (b *Base) End(reason string) {
	if b.done {
		return
	}
	b.done = true
	b.out.Close = true
	b.Emit(Event{Kind: EventClose, Close: &Close{Reason: reason}})
}

// Flush returns the pending output and starts a new one.
func (b *Base) Flush() Output {
	o := b.out
	b.out = Output{}
	return o
}

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
	// Feed hands the engine what the client sent; it answers complete lines,
	// in order (pipelining), and keeps a partial line for later. When the
	// answers pass MaxStepOutput it stops early and sets Output.More: the
	// transport sends what it got and calls Feed(nil) for the rest, so a
	// pipelined burst of large replies never sits in memory at once.
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
	// Secured is called once the TLS handshake that Output.StartTLS asked
	// for has succeeded: the session goes on encrypted (RFC 3207, 2595).
	Secured(t TLS) Output
}

// Peer describes who is on the other end of a session, and how.
type Peer struct {
	Remote    string // address as seen by the transport, e.g. "127.0.0.1:51234"
	Transport string // "tcp", "websocket", "test"
	// Service is which of its protocol's services the session was opened on.
	Service Service
	// TLS is the encryption in force from the first byte (implicit TLS,
	// RFC 8314); nil while the connection is in clear.
	TLS *TLS
	// CanStartTLS says the transport can upgrade the connection when the
	// engine asks (Output.StartTLS); engines offer STARTTLS/STLS only then.
	CanStartTLS bool
	// Via is, for a session one server of the sandbox opens with another
	// (TransportRelay), where the mail it carries comes from.
	Via *Via
	// Host is the server's name the client connected to, when the world
	// answers to several (a backup MX run by the same mail system): the
	// session introduces itself by it. "": the world's own Host.
	Host string
}

// Service is the role of the port a session came in on.
type Service string

const (
	// Teaching is the default service: everything is allowed in clear, and
	// the explanations say what a real server would refuse and why.
	Teaching Service = ""
	// Submission is a mail program's service (RFC 6409): AUTH before MAIL,
	// and AUTH only once the connection is encrypted.
	Submission Service = "submission"
)

// TLS is what a session knows of its connection's encryption.
type TLS struct {
	Version    string `json:"version"`              // "TLS 1.3"
	Cipher     string `json:"cipher"`               // "TLS_AES_128_GCM_SHA256"
	ServerName string `json:"serverName,omitempty"` // the name the client asked for (SNI)
}

// Output is what a session has to say after an input.
type Output struct {
	Replies []*Reply
	Delay   time.Duration // wait this long before sending (slows password guessing)
	Close   bool          // close the connection once the replies are sent
	More    bool          // input is left: send this, then call Feed(nil)
	// StartTLS asks the transport to send the replies, then run a TLS
	// handshake as the server and call Secured (or Hangup if it fails).
	// Input that came after the command in the same read is discarded by
	// the engine (RFC 3207 §4, RFC 2595 §4: it could be an injection).
	StartTLS bool
	Lines    int // complete lines the step answered: the client is making progress
}

// Bytes is the output as sent on the wire.
func (o Output) Bytes() []byte { return o.AppendTo(nil) }

// AppendTo appends the output as sent on the wire to b, for a transport
// that reuses one buffer for all it sends.
func (o Output) AppendTo(b []byte) []byte {
	for _, r := range o.Replies {
		b = r.AppendWire(b)
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
	size  int // octets of out's replies
	done  bool
	// inputs is where input events' payloads are cut from, a few dozen at
	// a time: one allocation for many lines instead of one per line.
	inputs  []Input
	changes []*State // see stateChange
	// now is the time of the step being answered (FeedLines), zero
	// between steps: its events share it, the time its input arrived,
	// instead of reading the clock once per event.
	now time.Time
}

// NewBase starts the bookkeeping of a session of protocol p in w.
func NewBase(w *World, p Proto, peer Peer) Base {
	return Base{World: w, Peer: peer, id: w.NewSessionID(p), proto: p}
}

func (b *Base) ID() string    { return b.id }
func (b *Base) Proto() Proto  { return b.proto }
func (b *Base) Closed() bool  { return b.done }
func (b *Base) State() string { return b.state }

// Now is the time of the step being answered, the one its events carry;
// between steps, the world's clock.
func (b *Base) Now() time.Time {
	if b.now.IsZero() {
		return b.World.Now()
	}
	return b.now
}

// Emit publishes ev as coming from this session.
func (b *Base) Emit(ev Event) Event {
	ev.Session, ev.Proto = b.id, b.proto
	if ev.Time.IsZero() {
		ev.Time = b.now // zero outside a step: Publish reads the clock
	}
	return b.World.Publish(ev)
}

// Host is the name the server answers by in this session.
func (b *Base) Host() string {
	if b.Peer.Host != "" {
		return b.Peer.Host
	}
	return b.World.Host
}

// Opened emits the open event and enters the first state.
func (b *Base) Opened(state string) {
	b.Emit(Event{Kind: EventOpen, Open: &Open{
		Host: b.Host(), Remote: b.Peer.Remote, Transport: b.Peer.Transport,
		Service: b.Peer.Service, TLS: b.Peer.TLS, Via: b.Peer.Via,
	}})
	b.SetState(state)
}

// SetState moves the session to state, emitting a state event on change.
func (b *Base) SetState(state string) {
	if state == b.state {
		return
	}
	b.Emit(Event{Kind: EventState, State: b.stateChange(b.state, state)})
	b.state = state
}

// stateChange returns the payload of a state event. A session walks the
// same few changes again and again (one transaction is four), so each is
// made once and shared by its events: watchers only read them.
func (b *Base) stateChange(from, to string) *State {
	for _, s := range b.changes {
		if s.From == from && s.To == to {
			return s
		}
	}
	s := &State{From: from, To: to}
	if len(b.changes) < maxSharedChanges {
		b.changes = append(b.changes, s)
	}
	return s
}

// maxSharedChanges bounds the state changes a session remembers.
const maxSharedChanges = 16

// Received emits an input event for a line and returns the line's text, a
// string the caller may keep (the event holds the same one).
func (b *Base) Received(l Line, data bool) string {
	text := string(l.Text)
	b.ReceivedText(l, text, data)
	return text
}

// ReceivedSecret is Received for a line that carries credentials: its
// event is marked Secret, for watchers to hide.
func (b *Base) ReceivedSecret(l Line) string {
	text := string(l.Text)
	in := b.newInput()
	*in = Input{Text: text, BareLF: !l.CRLF, TooLong: l.TooLong, Secret: true}
	b.Emit(Event{Kind: EventInput, Input: in})
	return text
}

// ReceivedText emits an input event for l whose text, as a string, the
// caller already has.
func (b *Base) ReceivedText(l Line, text string, data bool) {
	in := b.newInput()
	*in = Input{Text: text, Data: data, BareLF: !l.CRLF, TooLong: l.TooLong}
	b.Emit(Event{Kind: EventInput, Input: in})
}

// inputSlab is how many input payloads one allocation holds.
const inputSlab = 32

// newInput returns a fresh Input from the session's slab. Events keep
// pointers into it, so a full slab is left to them, never reused.
func (b *Base) newInput() *Input {
	if len(b.inputs) == cap(b.inputs) {
		b.inputs = make([]Input, 0, inputSlab)
	}
	b.inputs = b.inputs[:len(b.inputs)+1]
	return &b.inputs[len(b.inputs)-1]
}

// Send queues r and emits it. The event carries an excerpt of a long reply
// (RETR of a big message): the wire gets every line, watchers the start.
func (b *Base) Send(r *Reply) {
	r.Proto = b.proto
	if b.out.Replies == nil {
		// A step usually answers a few pipelined commands: room for them
		// at once, rather than growing the slice reply by reply.
		b.out.Replies = make([]*Reply, 0, stepReplies)
	}
	b.out.Replies = append(b.out.Replies, r)
	b.size += r.Octets()
	b.Emit(Event{Kind: EventReply, Reply: r.Excerpt()})
}

// stepReplies is the room a step's replies start with: a pipelined
// envelope (MAIL, RCPT, DATA) fits.
const stepReplies = 4

// FeedLines is the body of an engine's Feed: it hands each complete line of
// p to handle until the session ends, the pending replies pass
// MaxStepOutput or MaxStepLines lines were answered, and then says whether
// input is left (Output.More).
func (b *Base) FeedLines(ls *LineSplitter, p []byte, handle func(Line)) Output {
	n := 0
	b.now = b.World.Now()
	defer func() { b.now = time.Time{} }()
	if !b.done {
		ls.Feed(p, func(l Line) bool {
			handle(l)
			n++
			return !b.done && !b.out.StartTLS && b.size < MaxStepOutput && n < MaxStepLines
		})
	}
	// After STARTTLS or STLS, what the client sent in clear behind the
	// command is not read as if it came under TLS: that would let someone on
	// the path inject commands into the encrypted session (RFC 3207 §4,
	// RFC 2595 §4; CVE-2011-0411).
	if b.done || b.out.StartTLS {
		ls.Drop()
	}
	out := b.Flush()
	out.More, out.Lines = ls.Held(), n
	return out
}

// Secured records the encryption now in force and tells the watchers. An
// engine that must forget what it learnt in clear (SMTP's EHLO) does so in
// its own Secured, then calls this one.
func (b *Base) Secured(t TLS) Output {
	b.Peer.TLS = &t
	b.Emit(Event{Kind: EventTLS, TLS: &t})
	return b.Flush()
}

// Encrypted reports whether the connection is under TLS.
func (b *Base) Encrypted() bool { return b.Peer.TLS != nil }

// StartTLS asks the transport to start TLS once the pending replies are sent.
func (b *Base) StartTLS() { b.out.StartTLS = true }

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
	b.out, b.size = Output{}, 0
	return o
}

// FeedAll feeds p and keeps calling Feed(nil) while the engine says More,
// returning everything it answered in one Output. It is for callers that
// bound p themselves (tests, lesson replays); transports send each part as
// it comes instead.
func FeedAll(s Session, p []byte) Output {
	out := s.Feed(p)
	for out.More {
		next := s.Feed(nil)
		out.Replies = append(out.Replies, next.Replies...)
		out.Delay = max(out.Delay, next.Delay)
		out.Close = out.Close || next.Close
		out.More = next.More
		out.Lines += next.Lines
		out.StartTLS = out.StartTLS || next.StartTLS
	}
	return out
}

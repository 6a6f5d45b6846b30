package shell

import "smtplab/sandbox"

// Terminal is a terminal whose sessions run in the caller's goroutine, one
// call after the other, as tests and replays drive them: each line typed
// goes to the open connection if there is one, else to the shell's prompt.
type Terminal struct {
	Shell *Shell
	// NewSession starts a session of protocol p on a server the Resolver
	// named; peer already says how the client connects.
	NewSession func(server any, p sandbox.Proto, peer sandbox.Peer) sandbox.Session
	// Peer gives the sessions their Remote and Transport.
	Peer sandbox.Peer
	// Printed, when set, hears every line the terminal prints; OnAside
	// when a program's own exchange starts and ends; OnDial each
	// connection the shell opens.
	Printed func(Line)
	OnAside func(on bool)
	OnDial  func(Dial)

	conn *Conn
	sess sandbox.Session
}

// Type types one line and returns the prompt's result when the line was a
// command (nil when it went to an open connection).
func (t *Terminal) Type(line string) *Result {
	if t.Connected() {
		t.conn.Type(link{t}, []string{line})
		t.settle()
		return nil
	}
	r := t.Shell.Run(line)
	t.print(r.Lines)
	if r.Dial != nil {
		if t.OnDial != nil {
			t.OnDial(*r.Dial)
		}
		t.conn = t.Shell.Conn(r.Dial)
		t.conn.Open(link{t})
		t.settle()
	}
	return &r
}

// Hangup drops the open connection, as Ctrl+] does.
func (t *Terminal) Hangup() {
	if t.conn != nil {
		t.conn.Hangup(link{t})
	}
	t.settle()
}

// Timeout makes the open session time out, as its idle timer would.
func (t *Terminal) Timeout() {
	if s := t.Session(); s != nil {
		s.Timeout()
	}
	t.settle()
}

// Connected reports whether a connection is open.
func (t *Terminal) Connected() bool {
	return t.conn != nil && !t.conn.Done() && t.sess != nil && !t.sess.Closed()
}

// Session is the open connection's session, nil if none.
func (t *Terminal) Session() sandbox.Session {
	if !t.Connected() {
		return nil
	}
	return t.sess
}

// settle forgets a connection that has ended, saying so as its program does.
func (t *Terminal) settle() {
	if t.conn == nil || t.Connected() {
		return
	}
	t.print(t.conn.Closed())
	t.conn, t.sess = nil, nil
}

func (t *Terminal) print(lines []Line) {
	if t.Printed != nil {
		for _, l := range lines {
			t.Printed(l)
		}
	}
}

// link is the Link the terminal's connections run over.
type link struct{ t *Terminal }

func (l link) Open(server any, p sandbox.Proto, peer sandbox.Peer) (sandbox.Output, bool) {
	peer.Remote, peer.Transport = l.t.Peer.Remote, l.t.Peer.Transport
	l.t.sess = l.t.NewSession(server, p, peer)
	return l.t.sess.Start(), true
}

// Feed answers as a transport would: the session's whole answer, and the
// handshake it asks for.
func (l link) Feed(p []byte) sandbox.Output {
	o := sandbox.FeedAll(l.t.sess, p)
	if o.StartTLS && !l.t.sess.Closed() {
		after := l.t.sess.Secured(l.t.conn.Secure())
		o.Replies = append(o.Replies, after.Replies...)
		o.Close = o.Close || after.Close
	}
	return o
}

func (l link) Hangup() { l.t.sess.Hangup() }

func (l link) Print(lines ...Line) { l.t.print(lines) }

func (l link) Aside(on bool) {
	if l.t.OnAside != nil {
		l.t.OnAside(on)
	}
}

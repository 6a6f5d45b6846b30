package shell

import (
	"strings"
	"sync/atomic"

	"smtplab/sandbox"
)

// A Link is what a connection runs over: the engine session behind it,
// driven as the caller's transport drives sessions, and the terminal that
// prints what the client program prints, in order with the session's events.
type Link interface {
	// Open starts a session of protocol p on server for a client that peer
	// describes, and returns its greeting; false when none can be opened.
	Open(server any, p sandbox.Proto, peer sandbox.Peer) (sandbox.Output, bool)
	// Feed hands the session what the client sent and returns its answer:
	// the replies of its last part, and whether any part asked for TLS or
	// ended the session. When the session asks for TLS, the link runs the
	// handshake as its transport does, asking the connection's Secure what
	// the client negotiates.
	Feed(p []byte) sandbox.Output
	// Hangup drops the connection from the client's side.
	Hangup()
	// Print prints lines on the terminal.
	Print(lines ...Line)
	// Aside says whether the session's events that follow are the client
	// program's own exchange, which it does not print (openssl's STARTTLS),
	// until Aside(false).
	Aside(on bool)
}

// Conn is the client program's side of a connection: between the
// student's keyboard and the session, it does what telnet, nc or openssl
// do with each line, and prints what they print. The transport may call
// Secure and Closed while another goroutine types.
type Conn struct {
	d    Dial
	cert Certificate
	// read and written count octets as OpenSSL's handshake report does,
	// the STARTTLS exchange before it included.
	read, written int
	done          atomic.Bool // the connection is over: nothing more is printed
	// ready: the program is connected as it means to be (openssl: once its
	// handshake is done); before, a close is the opening's to report.
	ready atomic.Bool
}

// Conn is the client side of d, to Open.
func (sh *Shell) Conn(d *Dial) *Conn { return &Conn{d: *d, cert: sh.Certificate} }

// Open opens the connection over l: the program's messages on connecting,
// the session, and for openssl its handshake (after its STARTTLS exchange
// with -starttls). It is false when l could not open a session; Done says
// whether the connection is already over.
func (c *Conn) Open(l Link) bool {
	d := &c.d
	switch d.Program {
	case Telnet:
		l.Print(out("shell.telnet.connected", "host", d.Host), out("shell.telnet.escape"))
	case Netcat:
		if d.Verbose {
			l.Print(c.ncSucceeded())
		}
	case OpenSSL:
		return c.openssl(l)
	}
	if d.Service.TLS == ImplicitTLS {
		// The server waits for a TLS handshake these programs cannot start.
		c.done.Store(true)
		l.Print(note("shell.note.implicit_clear", "port", itoa(d.Port), "host", d.Host))
		if d.Program == Telnet {
			l.Print(out("shell.telnet.closed"))
		}
		return true
	}
	c.ready.Store(true)
	_, ok := c.open(l)
	return ok
}

// open starts the session; it reports its greeting's octets.
func (c *Conn) open(l Link) (sandbox.Output, bool) {
	o, ok := l.Open(c.d.Server, c.d.Service.Proto, c.d.Peer())
	if ok {
		c.read += octets(o)
		c.answered(l, o)
	}
	return o, ok
}

func (c *Conn) ncSucceeded() Line {
	if isDNSName(c.d.Host) {
		return fail("shell.nc.succeeded.named", "host", c.d.Host, "address", c.d.Address, "port", itoa(c.d.Port), "service", serviceTag(c.d.Port))
	}
	return fail("shell.nc.succeeded", "host", c.d.Host, "port", itoa(c.d.Port), "service", serviceTag(c.d.Port))
}

// Type sends lines typed (or pasted) in the connection: each with the
// program's line end, all in one write, as a pipelining client would.
// Openssl reads its command letters at the start of what it reads.
func (c *Conn) Type(l Link, lines []string) {
	if c.done.Load() || len(lines) == 0 {
		return
	}
	if c.d.Commands && c.letter(l, lines[0]) {
		return
	}
	eol := "\n"
	if c.d.CRLF {
		eol = "\r\n"
	}
	c.answered(l, l.Feed([]byte(strings.Join(lines, eol)+eol)))
}

// letter acts on one of OpenSSL's command letters at the start of line,
// and reports whether it was one: then the line does not reach the server.
func (c *Conn) letter(l Link, line string) bool {
	if line == "" {
		return false
	}
	switch line[0] {
	case 'Q':
		c.done.Store(true)
		l.Print(fail("shell.openssl.done"), note("shell.note.openssl_q"))
		l.Hangup()
	case 'R':
		// TLS 1.3 has no renegotiation: OpenSSL 3 fails and stops.
		c.done.Store(true)
		l.Print(fail("shell.openssl.renegotiating"), fail("shell.openssl.renegotiate_error"), note("shell.note.openssl_r"))
		l.Hangup()
	case 'k', 'K':
		l.Print(fail("shell.openssl.keyupdate"), note("shell.note.openssl_k"))
	default:
		return false
	}
	return true
}

// answered follows up a session's answer: the handshake it went through,
// the end it came to.
func (c *Conn) answered(l Link, o sandbox.Output) {
	if o.StartTLS && c.d.Program != OpenSSL {
		// Typed by hand in telnet or nc, STARTTLS would leave a real program
		// stuck before the handshake: the sandbox played the client's part
		// (Secure) so the session can be followed, and says so.
		answer := "220"
		if c.d.Service.Proto != sandbox.SMTP {
			answer = "+OK"
		}
		l.Print(note("shell.note.starttls_by_hand", "cmd", string(c.d.Program), "answer", answer,
			"host", c.d.Host, "port", itoa(c.d.Port), "proto", string(c.d.Service.Proto)))
	}
	if o.Close {
		l.Print(c.Closed()...)
	}
}

// Secure is what the client negotiates when the session asks for TLS
// (STARTTLS, STLS): the transport tells the session. A telnet or nc that
// cannot do it has the sandbox do it on its behalf, with the name it
// connected to for SNI.
func (c *Conn) Secure() sandbox.TLS {
	t := c.d.tls()
	if c.d.Program != OpenSSL && isDNSName(c.d.Host) {
		t.ServerName = c.d.Host
	}
	return t
}

// Closed is what the program prints when the server closed the
// connection, once; nothing after that.
func (c *Conn) Closed() []Line {
	if !c.ready.Load() || !c.done.CompareAndSwap(false, true) {
		return nil
	}
	switch {
	case c.d.Program == Telnet:
		return []Line{out("shell.telnet.closed")}
	case c.d.Program == OpenSSL && !c.d.Quiet:
		return []Line{out("shell.openssl.closed")}
	}
	return nil
}

// Hangup closes the connection from the client's side (telnet's escape
// character then quit, or the end of what openssl reads), once.
func (c *Conn) Hangup(l Link) {
	if !c.done.CompareAndSwap(false, true) {
		return
	}
	switch {
	case c.d.Program == Telnet:
		l.Print(out("shell.telnet.quit"))
	case c.d.Program == OpenSSL && c.d.Commands:
		l.Print(fail("shell.openssl.done"))
	}
	l.Hangup()
}

// Done reports whether the connection is over.
func (c *Conn) Done() bool { return c.done.Load() }

// Dial is what the connection was opened with.
func (c *Conn) Dial() Dial { return c.d }

func octets(o sandbox.Output) int {
	n := 0
	for _, r := range o.Replies {
		n += r.Octets()
	}
	return n
}

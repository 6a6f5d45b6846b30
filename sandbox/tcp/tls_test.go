package tcp

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"smtplab/certs"
	"smtplab/sandbox"
)

// fakeSession is a line protocol small enough to see what the transport
// does: it greets with what it was told of its peer, answers STARTTLS
// with "220" and a request to start TLS (dropping the rest of the read, as
// the engines do), QUIT with "221", anything else with "250 <line> <tls>".
type fakeSession struct {
	peer sandbox.Peer
	idle time.Duration

	mu      sync.Mutex
	buf     []byte
	closed  bool
	hungUp  bool
	secured *sandbox.TLS
	after   []byte // everything fed once secured
}

func (f *fakeSession) ID() string               { return "fake" }
func (f *fakeSession) Proto() sandbox.Proto     { return sandbox.SMTP }
func (f *fakeSession) Idle() time.Duration      { return f.idle }
func (f *fakeSession) Closed() bool             { f.mu.Lock(); defer f.mu.Unlock(); return f.closed }
func (f *fakeSession) Timeout() sandbox.Output  { return f.end("421 timeout") }
func (f *fakeSession) Shutdown() sandbox.Output { return f.end("421 shutdown") }
func (f *fakeSession) Refuse() sandbox.Output   { return f.end("421 full") }

func (f *fakeSession) Start() sandbox.Output {
	return say("220 fake tls=" + version(f.peer.TLS) + " starttls=" + yes(f.peer.CanStartTLS) + " service=" + string(f.peer.Service))
}

func (f *fakeSession) Feed(p []byte) sandbox.Output {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.secured != nil {
		f.after = append(f.after, p...)
	}
	f.buf = append(f.buf, p...)
	var out sandbox.Output
	for {
		line, rest, ok := strings.Cut(string(f.buf), "\r\n")
		if !ok {
			return out
		}
		f.buf = []byte(rest)
		out.Lines++
		switch line {
		case "STARTTLS":
			out.Replies = append(out.Replies, reply("220 go ahead"))
			out.StartTLS = true
			f.buf = nil // what came after it came in clear
			return out
		case "QUIT":
			out.Replies = append(out.Replies, reply("221 bye"))
			out.Close, f.closed = true, true
			return out
		}
		out.Replies = append(out.Replies, reply("250 "+line+" tls="+version(f.secured)))
	}
}

func (f *fakeSession) Hangup() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed, f.hungUp = true, true
}

func (f *fakeSession) Secured(t sandbox.TLS) sandbox.Output {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secured = &t
	return sandbox.Output{}
}

func (f *fakeSession) end(line string) sandbox.Output {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	out := say(line)
	out.Close = true
	return out
}

func (f *fakeSession) state() (secured *sandbox.TLS, after string, hungUp bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.secured, string(f.after), f.hungUp
}

func reply(line string) *sandbox.Reply { return &sandbox.Reply{Lines: []string{line}} }
func say(line string) sandbox.Output   { return sandbox.Output{Replies: []*sandbox.Reply{reply(line)}} }

func version(t *sandbox.TLS) string {
	if t == nil {
		return "none"
	}
	return strings.ReplaceAll(t.Version, " ", "")
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// testCert is one certificate for the whole package: generating is cheap,
// but the client side needs the same one.
var testCert = sync.OnceValue(func() *certs.Cert {
	c, err := certs.Load(certs.Config{Names: []string{"localhost", "127.0.0.1"}})
	if err != nil {
		panic(err)
	}
	return c
})

// clientTLS trusts the test certificate, and nothing else.
func clientTLS() *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(testCert().Leaf)
	return &tls.Config{RootCAs: roots, ServerName: "localhost"}
}

// fakeServer serves fake sessions, with TLS; it hands each session to the
// test on sessions.
type fakeServer struct {
	*Server
	sessions chan *fakeSession
}

func serveFake(t *testing.T, configure func(*Server)) *fakeServer {
	t.Helper()
	fs := &fakeServer{sessions: make(chan *fakeSession, 16)}
	fs.Server = &Server{Name: "fake", TLS: testCert().Config(), NewSession: func(p sandbox.Peer) sandbox.Session {
		f := &fakeSession{peer: p, idle: 10 * time.Second}
		fs.sessions <- f
		return f
	}}
	if configure != nil {
		configure(fs.Server)
	}
	if err := fs.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go fs.Serve()
	t.Cleanup(func() { fs.Shutdown(context.Background()) })
	return fs
}

func (fs *fakeServer) session(t *testing.T) *fakeSession {
	t.Helper()
	select {
	case f := <-fs.sessions:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no session opened in 5s")
		return nil
	}
}

// lines is a client connection read line by line, in clear or not.
type lines struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *lines {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &lines{t: t, c: c, rd: bufio.NewReader(c)}
}

func dialTLS(t *testing.T, addr string) *lines {
	t.Helper()
	l := dialRaw(t, addr)
	l.secure()
	return l
}

// secure runs the client side of a TLS handshake over the connection.
func (l *lines) secure() {
	l.t.Helper()
	if l.rd.Buffered() > 0 {
		l.t.Fatalf("%d octets from the server before the handshake", l.rd.Buffered())
	}
	tc := tls.Client(l.c, clientTLS())
	if err := tc.Handshake(); err != nil {
		l.t.Fatalf("TLS handshake: %v", err)
	}
	l.c, l.rd = tc, bufio.NewReader(tc)
}

func (l *lines) line() string {
	l.t.Helper()
	s, err := l.rd.ReadString('\n')
	if err != nil {
		l.t.Fatalf("read: %v (partial %q)", err, s)
	}
	return strings.TrimSuffix(s, "\r\n")
}

func (l *lines) write(s string) {
	l.t.Helper()
	if _, err := io.WriteString(l.c, s); err != nil {
		l.t.Fatalf("write %q: %v", s, err)
	}
}

func (l *lines) cmd(s string) string {
	l.t.Helper()
	l.write(s + "\r\n")
	return l.line()
}

// eof fails unless the server ends the connection with nothing more.
func (l *lines) eof() {
	l.t.Helper()
	rest, err := io.ReadAll(l.rd)
	if err != nil || len(rest) > 0 {
		l.t.Fatalf("expected a clean end, got %q, %v", rest, err)
	}
}

// TestStartTLSUpgradesInPlace: the session is told it may ask for TLS; on
// its request the "220" goes out in clear, the handshake follows on the
// same connection, the session hears of the encryption, and what the
// client had pipelined after STARTTLS in clear is never fed again.
func TestStartTLSUpgradesInPlace(t *testing.T) {
	s := serveFake(t, func(s *Server) { s.Service = sandbox.Submission })
	c := dialRaw(t, s.Addr().String())
	if g := c.line(); g != "220 fake tls=none starttls=yes service=submission" {
		t.Fatalf("greeting %q", g)
	}
	f := s.session(t)
	if r := c.cmd("NOOP"); r != "250 NOOP tls=none" {
		t.Fatalf("in clear: %q", r)
	}
	c.write("STARTTLS\r\nMAIL FROM:<injected@example.test>\r\n")
	if r := c.line(); r != "220 go ahead" {
		t.Fatalf("STARTTLS: %q", r)
	}
	c.secure()
	if r := c.cmd("NOOP"); r != "250 NOOP tls=TLS1.3" {
		t.Fatalf("under TLS: %q", r)
	}
	secured, after, _ := f.state()
	if secured == nil || secured.Version != "TLS 1.3" || secured.Cipher == "" || secured.ServerName != "localhost" {
		t.Errorf("Secured got %+v", secured)
	}
	if after != "NOOP\r\n" {
		t.Errorf("fed after the handshake %q, want only the NOOP sent under TLS", after)
	}
	if r := c.cmd("QUIT"); r != "221 bye" {
		t.Fatalf("QUIT: %q", r)
	}
	c.eof() // a close_notify, not a cut
}

// TestImplicitTLS: on an implicit-TLS service the handshake comes first,
// and the session starts knowing the encryption; it is not offered
// STARTTLS.
func TestImplicitTLS(t *testing.T) {
	s := serveFake(t, func(s *Server) { s.Implicit, s.Service = true, sandbox.Submission })
	c := dialTLS(t, s.Addr().String())
	if g := c.line(); g != "220 fake tls=TLS1.3 starttls=no service=submission" {
		t.Fatalf("greeting %q", g)
	}
	if r := c.cmd("QUIT"); r != "221 bye" {
		t.Fatalf("QUIT: %q", r)
	}
	c.eof()
}

// TestNoTLSConfigNoStartTLS: without a certificate the session is not told
// it may ask for TLS.
func TestNoTLSConfigNoStartTLS(t *testing.T) {
	s := serveFake(t, func(s *Server) { s.TLS = nil })
	c := dialRaw(t, s.Addr().String())
	if g := c.line(); g != "220 fake tls=none starttls=no service=" {
		t.Fatalf("greeting %q", g)
	}
}

// TestStalledHandshakes: a client that connects to an implicit-TLS port
// and sends nothing is cut after the handshake timeout, without a session,
// and meanwhile others are served; the same after STARTTLS, where the
// session hears the client is gone.
func TestStalledHandshakes(t *testing.T) {
	const timeout = 300 * time.Millisecond
	t.Run("implicit", func(t *testing.T) {
		const timeout = 1500 * time.Millisecond // long enough to tell a blocked accept loop
		s := serveFake(t, func(s *Server) { s.Implicit, s.HandshakeTimeout = true, timeout })
		stalled := dialRaw(t, s.Addr().String())
		start := time.Now()
		other := dialTLS(t, s.Addr().String())
		if g := other.line(); !strings.HasPrefix(g, "220 fake tls=TLS1.3") {
			t.Fatalf("a second client got %q while the first stalled", g)
		}
		if d := time.Since(start); d > timeout/2 {
			t.Errorf("a second client waited %s for its greeting while the first stalled in its handshake", d)
		}
		s.session(t)
		if _, err := stalled.rd.ReadByte(); err == nil {
			t.Fatal("the stalled client got data")
		}
		if d := time.Since(start); d < timeout*3/4 || d > timeout+2*time.Second {
			t.Errorf("stalled client cut after %s, want about %s", d, timeout)
		}
		select {
		case <-s.sessions:
			t.Error("a session was opened for a client that never finished its handshake")
		default:
		}
	})
	t.Run("starttls", func(t *testing.T) {
		s := serveFake(t, func(s *Server) { s.HandshakeTimeout = timeout })
		c := dialRaw(t, s.Addr().String())
		c.line()
		f := s.session(t)
		if r := c.cmd("STARTTLS"); r != "220 go ahead" {
			t.Fatalf("STARTTLS: %q", r)
		}
		if _, err := c.rd.ReadByte(); err == nil {
			t.Fatal("the stalled client got data")
		}
		waitFor(t, func() bool { _, _, h := f.state(); return h && s.Sessions() == 0 })
	})
}

// TestFailedHandshakeEndsTheSession: clear text where the handshake should
// be ends the session; nothing of it is fed to the engine.
func TestFailedHandshakeEndsTheSession(t *testing.T) {
	s := serveFake(t, nil)
	c := dialRaw(t, s.Addr().String())
	c.line()
	f := s.session(t)
	c.cmd("STARTTLS")
	c.write("NOOP\r\nNOOP\r\n")
	waitFor(t, func() bool { _, _, h := f.state(); return h && s.Sessions() == 0 })
	if secured, after, _ := f.state(); secured != nil || after != "" {
		t.Errorf("after a failed handshake: secured %+v, fed %q", secured, after)
	}
}

// TestIdleTimeoutOverTLS: the idle timer counts lines under TLS as in
// clear: a client that dribbles single bytes inside TLS records still times
// out, and hears why over TLS.
func TestIdleTimeoutOverTLS(t *testing.T) {
	s := serveFake(t, func(s *Server) {
		s.Implicit = true
		s.NewSession = func(p sandbox.Peer) sandbox.Session { return &fakeSession{peer: p, idle: 400 * time.Millisecond} }
	})
	c := dialTLS(t, s.Addr().String())
	c.line()
	got := make(chan string, 1)
	go func() {
		l, _ := c.rd.ReadString('\n')
		got <- l
	}()
	deadline := time.After(3 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case l := <-got:
			if l != "421 timeout\r\n" {
				t.Fatalf("got %q, want the timeout reply", l)
			}
			return
		case <-tick.C:
			c.c.Write([]byte("N"))
		case <-deadline:
			t.Fatal("a byte every 100 ms under TLS kept a 400 ms idle timer from firing")
		}
	}
}

// TestShutdownOverTLS: open sessions hear the goodbye encrypted; a client
// still in its handshake does not hold Shutdown up.
func TestShutdownOverTLS(t *testing.T) {
	s := serveFake(t, func(s *Server) { s.Implicit = true })
	c := dialTLS(t, s.Addr().String())
	c.line()
	s.session(t)
	dialRaw(t, s.Addr().String()) // stalls in the handshake
	waitFor(t, func() bool { return s.Sessions() == 2 })
	start := time.Now()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > DefaultHandshakeTimeout/2 {
		t.Errorf("Shutdown took %s with a client in its handshake", d)
	}
	if r := c.line(); r != "421 shutdown" {
		t.Fatalf("got %q", r)
	}
	c.eof()
}

// TestRefusedOverImplicitTLS: a client turned away from a full
// implicit-TLS service reads why over TLS, not clear text it cannot parse.
func TestRefusedOverImplicitTLS(t *testing.T) {
	s := serveFake(t, func(s *Server) { s.Implicit, s.MaxSessions = true, 1 })
	first := dialTLS(t, s.Addr().String())
	first.line()
	second := dialTLS(t, s.Addr().String())
	if r := second.line(); r != "421 full" {
		t.Fatalf("second client got %q", r)
	}
	second.eof()
}

// TestOutOfDescriptorsOverImplicitTLS: the refusal on the descriptor held
// back goes over TLS too, and its handshake does not stop the accept loop.
func TestOutOfDescriptorsOverImplicitTLS(t *testing.T) {
	s := &Server{Name: "fake", TLS: testCert().Config(), Implicit: true,
		NewSession: func(p sandbox.Peer) sandbox.Session { return &fakeSession{peer: p, idle: time.Second} }}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	flaky(t, s, syscall.EMFILE, 1)
	go s.Serve()
	t.Cleanup(func() { s.Shutdown(t.Context()) })
	c := dialTLS(t, s.Addr().String())
	if r := c.line(); r != "421 full" {
		t.Fatalf("reply %q, want the refusal", r)
	}
	if g := dialTLS(t, s.Addr().String()).line(); !strings.HasPrefix(g, "220 fake tls=TLS1.3") {
		t.Fatalf("after recovery: %q", g)
	}
}

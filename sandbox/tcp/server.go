// Package tcp serves protocol sessions to real clients over TCP: telnet, nc,
// swaks, curl, Python's smtplib and poplib, mail clients. It only moves
// bytes, in clear or under TLS (from the first byte, or once the session
// asks for it after STARTTLS or STLS); what to answer, when a line ends and
// how long to wait are the session's decisions.
package tcp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/drive"
)

// DefaultMaxSessions bounds concurrent sessions per listener.
const DefaultMaxSessions = 100

// WriteTimeout bounds how long a reply may take to send, so a client that
// stops reading cannot hold a session forever.
const WriteTimeout = 30 * time.Second

// AcceptBackoffMax bounds the wait between two failed Accepts. Accept fails
// for reasons that pass, above all a process out of file descriptors; the
// service waits and tries again instead of stopping for good.
const AcceptBackoffMax = time.Second

// readSize is how much is read from a client at a time. A larger write is
// simply read in several pieces; lines longer than this are put together by
// the session.
const readSize = 4096

// DefaultHandshakeTimeout bounds a TLS handshake, at the start of an
// implicit-TLS connection or after STARTTLS/STLS: a client that stalls in
// it holds a session slot no longer than this.
const DefaultHandshakeTimeout = 10 * time.Second

// Server serves one protocol on one address.
type Server struct {
	Name        string // for logs: "smtp", "pop3", "pop2"
	NewSession  func(sandbox.Peer) sandbox.Session
	MaxSessions int // 0 means DefaultMaxSessions
	Logger      *slog.Logger
	// Service is the role of this port, told to every session.
	Service sandbox.Service
	// TLS, when set, lets sessions encrypt: from the first byte with
	// Implicit (RFC 8314), else when the engine asks (STARTTLS, STLS).
	TLS      *tls.Config
	Implicit bool
	// HandshakeTimeout: 0 means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration

	ln    net.Listener
	mu    sync.Mutex
	conns map[*conn]struct{}
	wg    sync.WaitGroup
	done  bool
	fault error // the last Accept error, until an Accept succeeds
	spare *os.File
}

// Listen binds addr. A clear error says which service could not start.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err
		}
		return fmt.Errorf("cannot listen for %s on %s: %w", s.Name, addr, err)
	}
	s.ln = ln
	s.spare = reserveDescriptor()
	return nil
}

// reserveDescriptor holds one file descriptor back, so that a process out
// of them can still accept one client and tell it why it is turned away.
func reserveDescriptor() *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	return f
}

// Addr is the address actually bound (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts clients until Shutdown. It returns nil after Shutdown. An
// Accept error does not end it: it waits (longer each time, at most
// AcceptBackoffMax), says so in the log and in Health, and goes on.
func (s *Server) Serve() error {
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if err == nil {
			delay = 0
			s.setFault(nil)
			s.start(c)
			continue
		}
		if s.stopped() {
			return nil
		}
		if errors.Is(err, net.ErrClosed) {
			return err
		}
		if s.setFault(err) == nil {
			s.logger().Error("cannot accept clients; retrying", "err", err)
		}
		if isOutOfDescriptors(err) {
			s.refuseOne()
		}
		delay = min(max(2*delay, 5*time.Millisecond), AcceptBackoffMax)
		time.Sleep(delay)
	}
}

func (s *Server) stopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

// setFault records the state of Accept and returns the previous one.
func (s *Server) setFault(err error) (was error) {
	s.mu.Lock()
	was, s.fault = s.fault, err
	s.mu.Unlock()
	if was != nil && err == nil {
		s.logger().Info("accepting clients again")
	}
	return was
}

// Health is nil while the service accepts clients, else the error that
// keeps it from doing so.
func (s *Server) Health() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault != nil {
		return fmt.Errorf("%s: %w", s.Name, s.fault)
	}
	return nil
}

func isOutOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// refuseOne spends the reserved descriptor on the first waiting client: it
// gets the engine's "too many sessions" reply instead of silence. The
// descriptor is reserved again once that client is gone.
func (s *Server) refuseOne() {
	s.mu.Lock()
	spare := s.spare
	s.spare = nil
	s.mu.Unlock()
	if spare == nil {
		return
	}
	spare.Close()
	nc, err := s.ln.Accept()
	if err != nil {
		s.reserveAgain()
		return
	}
	// The refusal may need a TLS handshake: never in the accept loop.
	go func() {
		s.newConn(nc).refuse()
		s.reserveAgain()
	}()
}

func (s *Server) reserveAgain() {
	s.mu.Lock()
	if !s.done && s.spare == nil {
		s.spare = reserveDescriptor()
	}
	s.mu.Unlock()
}

func (s *Server) newConn(nc net.Conn) *conn {
	return &conn{srv: s, raw: nc, nc: nc, log: s.logger()}
}

// start hands a new client to a goroutine of its own, which opens its
// session (after the TLS handshake, for implicit TLS) or, when the service
// is full, refuses it.
func (s *Server) start(nc net.Conn) {
	c := s.newConn(nc)
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*conn]struct{}{}
	}
	full := s.done || len(s.conns) >= s.max()
	if !full {
		s.conns[c] = struct{}{}
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if full {
		go c.refuse()
		return
	}
	go func() {
		defer s.wg.Done()
		c.serve()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
}

func (s *Server) handshakeTimeout() time.Duration {
	if s.HandshakeTimeout > 0 {
		return s.HandshakeTimeout
	}
	return DefaultHandshakeTimeout
}

func (s *Server) max() int {
	if s.MaxSessions > 0 {
		return s.MaxSessions
	}
	return DefaultMaxSessions
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger.With("service", s.Name)
	}
	return slog.New(slog.DiscardHandler)
}

// Sessions reports how many sessions are open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Shutdown stops accepting, tells every open session the server is going
// away (SMTP's 421, POP's -ERR), and waits for them to end or ctx to expire.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.done = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	if s.spare != nil {
		s.spare.Close()
		s.spare = nil
	}
	s.mu.Unlock()
	err := s.ln.Close()
	// Each goodbye is sent on its own: a client that stopped reading, or
	// one in the middle of a failed-login delay, must not hold up the others.
	for _, c := range conns {
		go c.shutdown()
	}
	waited := make(chan struct{})
	go func() { s.wg.Wait(); close(waited) }()
	select {
	case <-waited:
		return err
	case <-ctx.Done():
		// Out of time: cut whatever is left, so blocked writes return.
		for _, c := range conns {
			c.raw.Close()
		}
		<-waited
		return ctx.Err()
	}
}

// conn is one client connection. Its session is driven by a
// drive.Session, which serialises every call into it (the reading
// goroutine and Shutdown both talk to it) and calls back Send, StartTLS
// and Close. nc is what is read and written, raw under TLS; it only
// changes, inside the driver's StartTLS, in the goroutine that reads it.
type conn struct {
	srv      *Server
	raw      net.Conn
	nc       net.Conn
	log      *slog.Logger
	mu       sync.Mutex
	d        *drive.Session // nil until open
	id       string         // the session's, for logs
	stopping bool           // Shutdown came before the session was open
	wbuf     []byte         // what Send writes, reused: most replies fit in it
}

// maxKeptWrite bounds the write buffer a connection keeps between two
// sends, so one big RETR does not pin its size for the whole session.
const maxKeptWrite = 64 << 10

// open makes the connection's session, after the TLS handshake for an
// implicit-TLS service. It is false if the connection must end instead.
func (c *conn) open() bool {
	peer := sandbox.Peer{Remote: c.raw.RemoteAddr().String(), Transport: "tcp", Service: c.srv.Service}
	var tc *tls.Conn
	switch {
	case c.srv.TLS != nil && c.srv.Implicit:
		var err error
		if tc, err = c.handshake(); err != nil {
			c.log.Info("TLS handshake failed", "remote", peer.Remote, "err", err)
			return false
		}
		peer.TLS = describe(tc)
	case c.srv.TLS != nil:
		peer.CanStartTLS = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		return false
	}
	if tc != nil {
		c.nc = tc
	}
	sess := c.srv.NewSession(peer)
	c.id = sess.ID()
	c.d = drive.New(sess, c)
	return true
}

// handshake runs a TLS handshake as the server over the connection as it
// is, within the server's handshake timeout.
func (c *conn) handshake() (*tls.Conn, error) {
	tc := tls.Server(c.nc, c.srv.TLS)
	c.raw.SetDeadline(time.Now().Add(c.srv.handshakeTimeout()))
	err := tc.Handshake()
	c.raw.SetDeadline(time.Time{})
	if err != nil {
		return nil, err
	}
	return tc, nil
}

// describe is what a session is told of the encryption in force.
func describe(tc *tls.Conn) *sandbox.TLS {
	st := tc.ConnectionState()
	return &sandbox.TLS{
		Version:    tls.VersionName(st.Version),
		Cipher:     tls.CipherSuiteName(st.CipherSuite),
		ServerName: st.ServerName,
	}
}

func (c *conn) serve() {
	defer c.raw.Close()
	if !c.open() {
		return
	}
	c.log.Info("session opened", "session", c.id, "remote", c.raw.RemoteAddr().String(), "tls", c.nc != c.raw)
	defer func() { c.log.Info("session closed", "session", c.id) }()
	c.d.Start()
	buf := make([]byte, readSize)
	for !c.d.Closed() {
		// The deadline is the session's idle time, restarted by each whole
		// line (see drive.Session.Deadline).
		c.nc.SetReadDeadline(c.d.Deadline())
		n, err := c.nc.Read(buf)
		if n > 0 {
			// After STARTTLS the rest of buf is never fed again: it came in
			// clear, and the engine dropped it (CVE-2011-0411).
			c.d.Feed(buf[:n])
		}
		if err != nil {
			c.ended(err)
			return
		}
	}
}

// ended handles a read error: an idle timeout, or the client hanging up.
func (c *conn) ended(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.d.Timeout()
		return
	}
	c.d.Hangup()
}

// Send writes one step's replies (drive.Link). A client that stops
// reading blocks it, and so holds up the rest of a pipelined burst, for
// at most WriteTimeout.
func (c *conn) Send(out sandbox.Output) error {
	b := out.AppendTo(c.wbuf[:0])
	if len(b) == 0 {
		return nil
	}
	c.nc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	_, err := c.nc.Write(b)
	if cap(b) <= maxKeptWrite {
		c.wbuf = b
	}
	return err
}

// StartTLS turns the connection into TLS in place, after the engine's
// "go ahead" (220, +OK) is on the wire (drive.Link).
func (c *conn) StartTLS() (sandbox.TLS, error) {
	if c.srv.TLS == nil || c.nc != c.raw {
		c.log.Error("session asked for TLS the connection cannot give", "session", c.id)
		return sandbox.TLS{}, errNoTLS
	}
	tc, err := c.handshake()
	if err != nil {
		c.log.Info("TLS handshake failed", "session", c.id, "err", err)
		return sandbox.TLS{}, err
	}
	c.nc = tc
	return *describe(tc), nil
}

var errNoTLS = errors.New("no TLS on this connection")

// Close ends the connection after the last reply (drive.Link). Closing
// only our side first lets the client read everything we sent. Under TLS
// that is a close_notify alert, then the TCP half-close.
func (c *conn) Close() {
	if tc, ok := c.nc.(*tls.Conn); ok {
		tc.SetWriteDeadline(time.Now().Add(WriteTimeout))
		tc.CloseWrite()
	}
	if tc, ok := c.raw.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	c.raw.SetReadDeadline(time.Now())
}

// shutdown says goodbye to an open session. A connection still in its
// implicit-TLS handshake has nobody to say it to yet: it is cut.
func (c *conn) shutdown() {
	c.mu.Lock()
	c.stopping = true
	d := c.d
	c.mu.Unlock()
	if d == nil {
		c.raw.Close()
		return
	}
	d.Shutdown()
}

// refuse turns the client away with the engine's "too many sessions"
// reply, over TLS on an implicit-TLS service.
func (c *conn) refuse() {
	defer c.raw.Close()
	c.log.Warn("session refused: too many sessions", "remote", c.raw.RemoteAddr().String())
	if !c.open() {
		return
	}
	c.d.Refuse()
}

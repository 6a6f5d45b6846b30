package tcp

import (
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

func smtpSessions() func(sandbox.Peer) sandbox.Session {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	return func(p sandbox.Peer) sandbox.Session { return newSMTP(w, p) }
}

// flakyListener fails Accept with err while fails is above zero.
type flakyListener struct {
	net.Listener
	err   error
	fails atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails.Load() > 0 {
		l.fails.Add(-1)
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", l.err)}
	}
	return l.Listener.Accept()
}

func flaky(t *testing.T, s *Server, err error, fails int32) *flakyListener {
	l := &flakyListener{Listener: s.ln, err: err}
	l.fails.Store(fails)
	s.mu.Lock()
	s.ln = l
	s.mu.Unlock()
	return l
}

// TestAcceptErrorsDoNotStopTheService: a failing Accept (here a connection
// aborted before it was taken) is retried; the service reports the fault in
// Health meanwhile and answers the next client once Accept works again.
func TestAcceptErrorsDoNotStopTheService(t *testing.T) {
	s := &Server{Name: "smtp", NewSession: smtpSessions()}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	l := flaky(t, s, syscall.ECONNABORTED, 1<<30)
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() { s.Shutdown(t.Context()) })

	deadline := time.Now().Add(5 * time.Second)
	for s.Health() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := s.Health(); err == nil || !strings.Contains(err.Error(), "smtp") {
		t.Fatalf("Health during failures = %v", err)
	}
	l.fails.Store(0)
	c := dial(t, s)
	if r := c.reply(); !strings.HasPrefix(r, "220 ") {
		t.Fatalf("banner %q", r)
	}
	if err := s.Health(); err != nil {
		t.Errorf("Health after recovery = %v", err)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v", err)
	default:
	}
}

// TestOutOfDescriptorsRefusesWithAReply: when the process has no descriptor
// left, the waiting client is accepted on the one held back and told why
// (421) instead of hanging without a banner.
func TestOutOfDescriptorsRefusesWithAReply(t *testing.T) {
	s := &Server{Name: "smtp", NewSession: smtpSessions()}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	flaky(t, s, syscall.EMFILE, 1) // the descriptor held back then makes the next Accept work
	go s.Serve()
	t.Cleanup(func() { s.Shutdown(t.Context()) })
	c := dial(t, s)
	if r := c.reply(); !strings.HasPrefix(r, "421 4.3.2 ") {
		t.Fatalf("reply %q, want 421 4.3.2", r)
	}
	if r := dial(t, s).reply(); !strings.HasPrefix(r, "220 ") {
		t.Fatalf("after recovery: %q", r)
	}
}

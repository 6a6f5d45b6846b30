package tcp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
	smtpengine "smtplab/sandbox/smtp"
)

// serve starts an SMTP service of w on a free loopback port.
func serve(t *testing.T, w *sandbox.World, maxSessions int) *Server {
	t.Helper()
	s := &Server{Name: "smtp", MaxSessions: maxSessions, NewSession: func(p sandbox.Peer) sandbox.Session {
		return smtpengine.NewSession(w, p)
	}}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

type client struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{t: t, c: c, rd: bufio.NewReader(c)}
}

// reply reads one whole reply, multi-line included.
func (c *client) reply() string {
	c.t.Helper()
	var b strings.Builder
	for {
		l, err := c.rd.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read: %v (so far %q)", err, b.String())
		}
		b.WriteString(l)
		if len(l) < 4 || l[3] != '-' {
			return b.String()
		}
	}
}

func (c *client) send(line string) string {
	c.t.Helper()
	if _, err := c.c.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatal(err)
	}
	return c.reply()
}

func (c *client) expectEOF() {
	c.t.Helper()
	if l, err := c.rd.ReadString('\n'); err == nil {
		c.t.Fatalf("expected the connection to close, got %q", l)
	}
}

func TestNetSMTPCcAndBcc(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	s := serve(t, w, 0)
	msg := "From: Alice <alice@example.test>\r\n" +
		"To: Bob <bob@example.test>\r\n" +
		"Cc: dan@example.test\r\n" +
		"Subject: meeting\r\n" +
		"\r\n" +
		"See you at ten.\r\n.\r\nA line with a single dot above.\r\n"
	// carol is a Bcc: she is in the envelope only; dan is in Cc but gets no RCPT.
	err := smtp.SendMail(s.Addr().String(), nil, "alice@example.test",
		[]string{"bob@example.test", "carol@example.test"}, []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	for box, n := range map[string]int{"alice": 0, "bob": 1, "carol": 1} {
		if got := len(w.Store.Messages(box)); got != n {
			t.Errorf("%s has %d messages, want %d", box, got, n)
		}
	}
	carol := string(w.Store.Messages("carol")[0].Raw)
	if !strings.Contains(carol, "\r\n.\r\nA line with a single dot above.") || !strings.HasPrefix(carol, "Return-Path: <alice@example.test>\r\nReceived: from ") {
		t.Errorf("carol's copy:\n%s", carol)
	}
	verdicts := map[string]string{}
	for _, e := range rec.Events() {
		if e.Message != nil {
			for _, v := range e.Message.Analysis.Verdicts {
				verdicts[v.Address] = v.Verdict
			}
		}
	}
	want := map[string]string{
		"bob@example.test":   sandbox.DeliveredListed,
		"carol@example.test": sandbox.DeliveredHidden,
		"dan@example.test":   sandbox.ListedNotDelivered,
	}
	for a, v := range want {
		if verdicts[a] != v {
			t.Errorf("verdict for %s = %q, want %q", a, verdicts[a], v)
		}
	}
}

func TestRelayRefusedOverTCP(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	s := serve(t, w, 0)
	err := smtp.SendMail(s.Addr().String(), nil, "alice@example.test", []string{"joe@elsewhere.test"}, []byte("Subject: x\r\n\r\ny\r\n"))
	var perr *textproto.Error
	if !errors.As(err, &perr) || perr.Code != 554 || !strings.HasPrefix(perr.Msg, "5.7.1 ") {
		t.Fatalf("relay to a foreign domain: err = %v, want 554 5.7.1", err)
	}
}

func TestTooManySessions(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	s := serve(t, w, 1)
	first := dial(t, s)
	if r := first.reply(); !strings.HasPrefix(r, "220 ") {
		t.Fatalf("greeting %q", r)
	}
	second := dial(t, s)
	if r := second.reply(); !strings.HasPrefix(r, "421 4.3.2 ") {
		t.Fatalf("second client got %q, want 421", r)
	}
	second.expectEOF()
	first.send("QUIT")
	first.expectEOF()
	waitFor(t, func() bool { return s.Sessions() == 0 })
	third := dial(t, s)
	if r := third.reply(); !strings.HasPrefix(r, "220 ") {
		t.Fatalf("after the first left, a client got %q", r)
	}
}

func TestIdleTimeout(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{CommandTimeout: 200 * time.Millisecond})
	s := serve(t, w, 0)
	c := dial(t, s)
	c.reply()
	c.send("HELO c.test")
	if r := c.reply(); !strings.HasPrefix(r, "421 4.4.2 ") {
		t.Fatalf("idle client got %q, want 421 4.4.2", r)
	}
	c.expectEOF()
}

func TestShutdownSays421(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	s := serve(t, w, 0)
	c := dial(t, s)
	c.reply()
	c.send("MAIL FROM:<alice@example.test>")
	waitFor(t, func() bool { return s.Sessions() == 1 })
	done := make(chan error)
	go func() { done <- s.Shutdown(context.Background()) }()
	if r := c.reply(); !strings.HasPrefix(r, "421 4.3.2 ") {
		t.Fatalf("got %q, want 421 4.3.2", r)
	}
	c.expectEOF()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Error("still accepting after shutdown")
	}
}

func TestHangupDeliversNothing(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	s := serve(t, w, 0)
	c := dial(t, s)
	c.reply()
	c.send("HELO c.test")
	c.send("MAIL FROM:<alice@example.test>")
	c.send("RCPT TO:<bob@example.test>")
	c.send("DATA")
	c.c.Write([]byte("Subject: unfinished\r\n\r\nhalf\r\n"))
	c.c.Close()
	waitFor(t, func() bool { return s.Sessions() == 0 })
	if n := len(w.Store.Messages("bob")); n != 0 {
		t.Errorf("bob has %d messages after a hang-up", n)
	}
	last := rec.Events()[len(rec.Events())-1]
	if last.Close == nil || last.Close.Reason != "hangup" {
		t.Errorf("last event %+v, want close: hangup", last)
	}
}

func TestListenError(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	s := serve(t, w, 0)
	other := &Server{Name: "smtp"}
	err := other.Listen(s.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "cannot listen for smtp on "+s.Addr().String()) ||
		!strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("err = %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

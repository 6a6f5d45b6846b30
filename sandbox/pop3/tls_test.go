package pop3

import (
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// tlsPeer is a client on a TCP port whose transport can start TLS.
func tlsPeer() sandbox.Peer {
	p := sandboxtest.Peer
	p.Transport, p.CanStartTLS = "tcp", true
	return p
}

// TestSTLSDropsPipelinedInput: what follows STLS in the same write came in
// clear and must never be read as if it came under TLS (RFC 2595 §4,
// CVE-2011-0411); nor may a name given by USER before the handshake count.
func TestSTLSDropsPipelinedInput(t *testing.T) {
	for _, writes := range [][]string{
		{"USER alice\r\nSTLS\r\nPASS alice\r\nQUIT\r\n"},
		{"USER alice\r\nST", "LS\r\nPASS alice\r\nQUIT\r\nUSER ev"},
	} {
		w, _ := newTestWorld(t, 1)
		rec := sandboxtest.Record(w)
		s := NewSession(w, tlsPeer())
		s.Start()
		var out sandbox.Output
		for _, p := range writes {
			out = s.Feed([]byte(p))
		}
		last := out.Replies[len(out.Replies)-1]
		if !out.StartTLS || out.More || last.Reason != "pop3.stls" || firstLine(string(last.AppendWire(nil))) != "+OK Begin TLS negotiation" {
			t.Fatalf("%q: StartTLS %v, More %v, last reply %q", writes, out.StartTLS, out.More, last.Lines)
		}
		if s.Closed() || s.State() != Authorization {
			t.Fatalf("%q: after STLS closed %v, state %s", writes, s.Closed(), s.State())
		}
		if got := string(s.Secured(testTLS).Bytes()); got != "" {
			t.Errorf("Secured answered %q", got)
		}
		if !s.Encrypted() || !hasTLSEvent(rec) {
			t.Errorf("after Secured: encrypted %v, TLS event %v", s.Encrypted(), hasTLSEvent(rec))
		}
		if got := firstLine(send(s, "PASS alice")); got != "-ERR send USER first" {
			t.Errorf("%q: PASS under TLS answered %q: a line sent in clear was kept", writes, got)
		}
		if got := send(s, "USER alice", "PASS alice"); !strings.Contains(got, "\r\n+OK alice's maildrop") {
			t.Errorf("login under TLS:\n%s", got)
		}
	}
}

func hasTLSEvent(rec *sandboxtest.Recorder) bool {
	for _, e := range rec.Events() {
		if e.Kind == sandbox.EventTLS && e.TLS != nil && e.TLS.Version == testTLS.Version {
			return true
		}
	}
	return false
}

// TestSTLSRefused: STLS only where the transport can upgrade and the
// connection is still in clear; each refusal has its own reason.
func TestSTLSRefused(t *testing.T) {
	implicit := tlsPeer()
	implicit.TLS = &testTLS
	for _, tc := range []struct {
		name   string
		peer   sandbox.Peer
		before []string
		reason string
	}{
		{"browser terminal", sandboxtest.Peer, nil, "pop3.stls.unavailable"},
		{"implicit TLS", implicit, nil, "pop3.stls.active"},
		{"logged in", tlsPeer(), []string{"USER alice", "PASS alice"}, "pop3.logged_in"},
		{"argument", tlsPeer(), nil, "pop3.no_args"},
	} {
		w, _ := newTestWorld(t, 1)
		rec := sandboxtest.Record(w)
		s := NewSession(w, tc.peer)
		s.Start()
		send(s, tc.before...)
		line := "STLS"
		if tc.name == "argument" {
			line = "STLS now"
		}
		out := sandbox.FeedAll(s, []byte(line+"\r\n"))
		replies := rec.Replies()
		if got := replies[len(replies)-1]; out.StartTLS || got.Status != ERR || got.Reason != tc.reason {
			t.Errorf("%s: StartTLS %v, reply %q (%s), want -ERR %s", tc.name, out.StartTLS, got.Lines[0], got.Reason, tc.reason)
		}
	}
	// Once secured, a second STLS is refused too.
	w, _ := newTestWorld(t, 0)
	s := NewSession(w, tlsPeer())
	s.Start()
	s.Feed([]byte("STLS\r\n"))
	s.Secured(testTLS)
	if got := firstLine(send(s, "STLS")); got != "-ERR TLS already active" {
		t.Errorf("STLS under TLS: %q", got)
	}
}

// TestCapaTags: CAPA lists STLS only when it would work, and the tags of
// the commands in their declared order.
func TestCapaTags(t *testing.T) {
	implicit := tlsPeer()
	implicit.TLS = &testTLS
	for _, tc := range []struct {
		name  string
		peer  sandbox.Peer
		login bool
		want  string
	}{
		{"browser terminal", sandboxtest.Peer, false, "USER TOP UIDL SASL PLAIN"},
		{"STLS port", tlsPeer(), false, "USER TOP UIDL SASL PLAIN STLS"},
		{"STLS port, logged in", tlsPeer(), true, "USER TOP UIDL SASL PLAIN"},
		{"implicit TLS", implicit, false, "USER TOP UIDL SASL PLAIN"},
	} {
		w, _ := newTestWorld(t, 0)
		s := NewSession(w, tc.peer)
		s.Start()
		if tc.login {
			send(s, "USER alice", "PASS alice")
		}
		lines := strings.Split(strings.TrimSuffix(send(s, "CAPA"), "\r\n"), "\r\n")
		got := strings.Join(lines[1:len(lines)-1], " ")
		if want := tc.want + " " + strings.Join(extensions, " "); got != want {
			t.Errorf("%s: CAPA lists\n%q, want\n%q", tc.name, got, want)
		}
	}
}

package pop3

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// plainResponse is the base64 PLAIN message of RFC 4616 §2.
func plainResponse(authzid, user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(authzid + "\x00" + user + "\x00" + pass))
}

// TestMaxSASLLine: the longest PLAIN message a server must take, three
// fields of MaxPlainField octets, fits the limit exactly; one octet more
// is refused, and the exchange ends with the command limit back.
func TestMaxSASLLine(t *testing.T) {
	f := strings.Repeat("x", MaxPlainField)
	longest := plainResponse(f, f, f)
	if got := len(longest) + 2; got != MaxSASLLine {
		t.Fatalf("the longest PLAIN response takes %d octets with CRLF, MaxSASLLine is %d", got, MaxSASLLine)
	}
	w, _ := newTestWorld(t, 0)
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	if got := send(s, "AUTH PLAIN", longest); !strings.HasSuffix(got, "-ERR [AUTH] authentication failed\r\n") {
		t.Errorf("a response of MaxSASLLine octets was not read as credentials:\n%s", got)
	}
	limit := "-ERR authentication line too long (the limit is " + strconv.Itoa(MaxSASLLine) + " octets, CRLF included)"
	if got := send(s, "AUTH PLAIN", longest+"="); !strings.HasSuffix(got, limit+"\r\n") {
		t.Errorf("a response of MaxSASLLine+1 octets:\n%s", got)
	}
	if got := firstLine(send(s, "USER "+strings.Repeat("x", sandbox.MaxPOP3Line))); !strings.HasPrefix(got, "-ERR line too long (the limit is 255 ") {
		t.Errorf("after the exchange, a long command line got %q", got)
	}
}

// TestAuthDelay: a wrong AUTH login waits as long as a wrong PASS; a
// cancel, bad base64 or a right login do not.
func TestAuthDelay(t *testing.T) {
	const d = 2 * time.Second
	for _, tc := range []struct {
		lines []string
		delay time.Duration
	}{
		{[]string{"AUTH PLAIN " + plainResponse("", "alice", "wrong")}, d},
		{[]string{"AUTH PLAIN", plainResponse("", "nobody", "nobody")}, d},
		{[]string{"AUTH PLAIN", "*"}, 0},
		{[]string{"AUTH PLAIN !!!!"}, 0},
		{[]string{"AUTH PLAIN " + plainResponse("", "alice", "alice")}, 0},
	} {
		w := sandboxtest.NewWorld(sandbox.Limits{AuthFailDelay: d})
		s := NewSession(w, sandboxtest.Peer)
		s.Start()
		var b []byte
		for _, l := range tc.lines {
			b = append(b, l+"\r\n"...)
		}
		if o := sandbox.FeedAll(s, b); o.Delay != tc.delay {
			t.Errorf("%q: delay %v, want %v", tc.lines, o.Delay, tc.delay)
		}
	}
}

// TestAuthCancelIsNotAFailure: cancels and malformed responses end the
// exchange without counting towards MaxLoginFailures.
func TestAuthCancelIsNotAFailure(t *testing.T) {
	w, _ := newTestWorld(t, 1)
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	for range MaxLoginFailures + 1 {
		send(s, "AUTH PLAIN", "*")
		send(s, "AUTH PLAIN =")
		send(s, "AUTH PLAIN", "%%%")
	}
	bad := "AUTH PLAIN " + plainResponse("", "alice", "wrong")
	for range MaxLoginFailures - 1 {
		send(s, bad)
	}
	if s.Closed() {
		t.Fatal("the session ended before MaxLoginFailures real failures")
	}
	if got := firstLine(send(s, "AUTH PLAIN "+plainResponse("alice", "alice", "alice"))); got != "+OK alice's maildrop has 1 messages (168 octets)" {
		t.Errorf("AUTH with authzid = user: %q", got)
	}
}

// TestAuthKeepsCredentialsOffTheRecord: the lines that carry credentials
// are marked secret for watchers; the command event shows the mechanism
// only; no wire text holds the password; and the password reaches the
// explanation only when it crossed the network in clear.
func TestAuthKeepsCredentialsOffTheRecord(t *testing.T) {
	const pass = "alice"
	for _, encrypted := range []bool{false, true} {
		w, _ := newTestWorld(t, 1)
		rec := sandboxtest.Record(w)
		peer := sandboxtest.Peer
		if encrypted {
			peer.TLS = &testTLS
		}
		s := NewSession(w, peer)
		s.Start()
		resp := plainResponse("", "alice", "wrong")
		wire := send(s, "AUTH PLAIN "+resp, "AUTH PLAIN", plainResponse("", "alice", pass), "USER alice")
		secret := map[string]bool{}
		for _, e := range rec.Events() {
			switch {
			case e.Input != nil:
				secret[e.Input.Text] = e.Input.Secret
			case e.Command != nil && e.Command.Verb == "AUTH":
				if e.Command.Arg != "PLAIN" {
					t.Errorf("AUTH command event shows %q", e.Command.Arg)
				}
			case e.Reply != nil:
				_, shown := e.Reply.Args["password"]
				verdict := strings.HasPrefix(e.Reply.Reason, "pop3.auth.fail") || strings.HasPrefix(e.Reply.Reason, "pop3.auth.ok")
				if shown != (verdict && !encrypted) {
					t.Errorf("encrypted %v: reply %s shows the password: %v", encrypted, e.Reply.Reason, shown)
				}
			}
		}
		for line, want := range map[string]bool{
			"AUTH PLAIN " + resp: true, "AUTH PLAIN": true, plainResponse("", "alice", pass): true, "USER alice": false,
		} {
			if secret[line] != want {
				t.Errorf("input %q: secret %v, want %v", line, secret[line], want)
			}
		}
		if strings.Contains(wire, "wrong") {
			t.Errorf("the wire repeats a password:\n%s", wire)
		}
	}
}

// TestWrongStateFromDeclarations: each command is refused, with the reply
// of the state, in every state its declaration leaves out.
func TestWrongStateFromDeclarations(t *testing.T) {
	refusal := map[string]string{Authorization: "is only valid after login", Transaction: "is not valid now"}
	for _, state := range []string{Authorization, Transaction} {
		for _, name := range verbs.AllNames() {
			v, _ := verbs.Lookup(name)
			w, _ := newTestWorld(t, 1)
			s := NewSession(w, tlsPeer())
			s.Start()
			if state == Transaction {
				send(s, "USER alice", "PASS alice")
			}
			got := firstLine(send(s, name+" 1"))
			if refused := strings.HasPrefix(got, "-ERR "+name+" "+refusal[state]); refused == v.In(state) {
				t.Errorf("%s in %s answered %q; declared for %v", name, state, got, v.States)
			}
		}
	}
}

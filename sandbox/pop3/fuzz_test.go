package pop3

import (
	"bytes"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// FuzzPOP3 feeds arbitrary bytes to a session, cut in two writes at an
// arbitrary point, then hangs up; on an odd cut the transport can start TLS,
// and does whenever STLS asks. Whatever comes in, the engine must not
// panic, every line it sends must end in CRLF and fit in 512 octets, a step
// that starts TLS must end with STLS's +OK, and once the session is over
// the maildrop must be unlocked and, unless the input held a QUIT, hold
// all its messages.
func FuzzPOP3(f *testing.F) {
	for _, seed := range []string{
		"USER alice\r\nPASS alice\r\nSTAT\r\nLIST\r\nRETR 2\r\nDELE 1\r\nQUIT\r\n",
		"APOP alice dc7976b1f0910fd33975c4fe12112eeb\r\nUIDL\r\nTOP 2 1\r\nRSET\r\nLAST\r\n",
		"CAPA\r\nUSER nobody\r\nPASS x\r\nUSER alice\r\nPASS alice\r\nDELE 2\r\nLIST 2\r\nNOOP\r\n",
		"user alice\npass alice\n",
		"\x1b[A\r\n\r\n\xff\xfe\r\nRETR 1\r\n",
		"USER " + string(bytes.Repeat([]byte("x"), 300)) + "\r\n",
		"USER alice\r\nPASS al",
		"AUTH PLAIN AGFsaWNlAGFsaWNl\r\nDELE 1\r\nQUIT\r\n",
		"AUTH\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN\r\nAGFsaWNlAHdyb25n\r\nAUTH PLAIN =\r\nAUTH PLAIN\r\nAGFsaWNlAGFsaWNl\r\n",
		"CAPA\r\nSTLS\r\nUSER alice\r\nPASS alice\r\nSTLS\r\nCAPA\r\n",
		"AUTH PLAIN\r\nAGFsaWNlAGFsaWNl\nSTLS\r\nAUTH PLAIN\r\n" + string(bytes.Repeat([]byte("A"), 1100)) + "\r\n",
	} {
		f.Add([]byte(seed), uint8(len(seed)/2))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		w := sandboxtest.NewWorld(sandbox.Limits{})
		fillMailbox(t, w, "alice", 3)
		peer := sandboxtest.Peer
		peer.CanStartTLS = cut%2 == 1
		s := NewSession(w, peer)
		out := s.Start().Bytes()
		at := min(int(cut), len(in))
		out = append(out, feedSecuring(t, s, in[:at])...)
		out = append(out, feedSecuring(t, s, in[at:])...)
		out = append(out, s.Timeout().Bytes()...)
		s.Hangup()
		checkWire(t, out)
		if !s.Closed() {
			t.Fatal("session open after Timeout and Hangup")
		}
		if !w.Store.Lock("alice") {
			t.Fatal("maildrop still locked after the session ended")
		}
		if n := len(w.Store.Messages("alice")); n != 3 && !bytes.Contains(bytes.ToUpper(in), []byte("QUIT")) {
			t.Fatalf("%d messages left without a QUIT", n)
		}
	})
}

// checkWire fails unless out is a sequence of lines, each ended by CRLF,
// with no CR or LF inside, none longer than 512 octets with its CRLF.
func checkWire(t *testing.T, out []byte) {
	t.Helper()
	for len(out) > 0 {
		i := bytes.Index(out, []byte("\r\n"))
		if i < 0 {
			t.Fatalf("output ends without CRLF: %q", out)
		}
		line := out[:i]
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("bare CR or LF in output line %q", line)
		}
		if len(line)+2 > 512 {
			t.Fatalf("output line of %d octets: %q", len(line)+2, line)
		}
		out = out[i+2:]
	}
}

// feedSecuring feeds p as a transport would: each step sent, Feed(nil)
// while input is left, and TLS started when a step asks for it.
func feedSecuring(t *testing.T, s *Session, p []byte) []byte {
	t.Helper()
	var wire []byte
	for out := s.Feed(p); ; out = s.Feed(nil) {
		wire = out.AppendTo(wire)
		if out.StartTLS {
			if n := len(out.Replies); n == 0 || out.Replies[n-1].Reason != "pop3.stls" || out.More {
				t.Fatalf("a step starts TLS without ending with STLS's +OK, or keeps input: %q", out.Bytes())
			}
			wire = s.Secured(testTLS).AppendTo(wire)
			return wire
		}
		if !out.More {
			return wire
		}
	}
}

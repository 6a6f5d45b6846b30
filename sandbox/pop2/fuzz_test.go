package pop2

import (
	"bytes"
	"slices"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// FuzzPOP2 feeds arbitrary bytes to a session, then hangs up. The engine
// must not panic, every line it sends must end in CRLF with no CR or LF
// inside and none may pass 512 octets, a "-" reply must be the session's
// last word, and the mailbox must end unlocked, with all its messages
// unless the input held a QUIT or a FOLD.
func FuzzPOP2(f *testing.F) {
	for _, seed := range []string{
		"HELO alice alice\r\nREAD\r\nRETR\r\nACKD\r\nRETR\r\nNACK\r\nRETR\r\nACKS\r\nQUIT\r\n",
		"HELO alice alice\r\nREAD 2\r\nFOLD Archive\r\nREAD\r\nFOLD INBOX\r\nQUIT\r\n",
		"helo alice alice\nREAD\n",
		"\x1b[A\r\n",
		"HELO alice alice\r\nREAD 99999999999999999999\r\nRETR\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		w := sandboxtest.NewWorld(sandbox.Limits{})
		fillMailbox(t, w, "alice", 3)
		rec := sandboxtest.Record(w)
		s := NewSession(w, sandboxtest.Peer)
		out := s.Start().Bytes()
		out = append(out, sandbox.FeedAll(s, in).Bytes()...)
		s.Hangup()
		checkMinusEnds(t, rec.Events())
		for len(out) > 0 {
			i := bytes.Index(out, []byte("\r\n"))
			if i < 0 {
				t.Fatalf("output ends without CRLF: %q", out)
			}
			line := out[:i]
			if bytes.ContainsAny(line, "\r\n") || len(line)+2 > 512 {
				t.Fatalf("bad output line %q", line)
			}
			out = out[i+2:]
		}
		if !w.Store.Lock("alice") {
			t.Fatal("mailbox still locked after the session ended")
		}
		up := bytes.ToUpper(in)
		if n := len(w.Store.Messages("alice")); n != 3 && !bytes.Contains(up, []byte("QUIT")) && !bytes.Contains(up, []byte("FOLD")) {
			t.Fatalf("%d messages left without QUIT or FOLD", n)
		}
	})
}

// checkMinusEnds fails unless every "-" reply is followed by the close of
// the session, before anything else is read or answered.
func checkMinusEnds(t *testing.T, events []sandbox.Event) {
	t.Helper()
	for i, e := range events {
		if e.Reply == nil || e.Reply.Status != "-" {
			continue
		}
		for _, next := range events[i+1:] {
			if next.Close != nil {
				break
			}
			if next.Input != nil || next.Reply != nil {
				t.Fatalf("after %q the session went on", e.Reply.Lines[0])
			}
		}
		if !slices.ContainsFunc(events[i:], func(e sandbox.Event) bool { return e.Close != nil }) {
			t.Fatalf("%q did not end the session", e.Reply.Lines[0])
		}
	}
}

package pop3

import (
	"bytes"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// bigMessage stores a message of about size octets in box.
func bigMessage(t *testing.T, w *sandbox.World, box string, size int) *sandbox.Message {
	t.Helper()
	m := sandboxtest.TestMessage(w, box, 1)
	line := strings.Repeat("x", 76) + "\r\n"
	m.Raw = append(m.Raw, bytes.Repeat([]byte(line), size/len(line))...)
	if err := w.Store.Deliver(m, 1<<30, 1<<30); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPipelinedRetrIsAnsweredOneAtATime: twenty RETRs of a 2 MB message in
// one write are answered one per step, so no more than one copy of the
// message is ever waiting to be sent; every copy still reaches the client.
func TestPipelinedRetrIsAnsweredOneAtATime(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	m := bigMessage(t, w, "alice", 2<<20)
	s := open(t, w, "alice")
	const n = 20
	burst := []byte(strings.Repeat("RETR 1\r\n", n) + "QUIT\r\n")
	out := s.Feed(burst)
	steps, retrs := 1, 0
	for {
		if len(out.Replies) > 1 && out.Replies[0].Octets() > sandbox.MaxStepOutput {
			t.Fatalf("step %d holds %d replies after a large one", steps, len(out.Replies))
		}
		for _, r := range out.Replies {
			if strings.HasPrefix(r.Lines[0], "+OK") && len(r.Lines) > 10 {
				retrs++
				if got := r.Octets(); got < m.Size() {
					t.Fatalf("RETR sent %d octets of %d", got, m.Size())
				}
			}
		}
		if !out.More {
			break
		}
		out = s.Feed(nil)
		steps++
	}
	if retrs != n || !s.Closed() {
		t.Fatalf("%d RETRs answered in %d steps, closed %v; want %d and QUIT", retrs, steps, s.Closed(), n)
	}
}

// TestReplyEventsAreExcerpts: what watchers keep of a RETR (a terminal, the
// live view, a lesson) is its start and its end, not the whole message.
func TestReplyEventsAreExcerpts(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	m := bigMessage(t, w, "alice", 1<<20)
	rec := sandboxtest.Record(w)
	s := open(t, w, "alice")
	wire := send(s, "RETR 1", "TOP 1 100000")
	if got := strings.Count(wire, "\r\n"); got < 2*(m.Size()/78) {
		t.Fatalf("the client got only %d lines", got)
	}
	kept := 0
	for _, r := range rec.Replies() {
		kept += r.Octets()
		if len(r.Lines) > sandbox.MaxEventReplyLines || r.Octets() > sandbox.MaxEventReplyOctets+100 {
			t.Errorf("an event keeps %d lines, %d octets", len(r.Lines), r.Octets())
		}
		if strings.HasPrefix(r.Lines[0], "+OK") && len(r.Lines) > 10 {
			if r.Omitted == 0 || r.OmittedOctets == 0 || r.Lines[len(r.Lines)-1] != "." {
				t.Errorf("excerpt does not say what it left out: omitted %d lines %d octets, last %q", r.Omitted, r.OmittedOctets, r.Lines[len(r.Lines)-1])
			}
			if total := r.Octets() + r.OmittedOctets; total != len(r.Lines[0])+2+m.Size()+3+countDots(m) {
				t.Errorf("excerpt accounts for %d octets", total)
			}
		}
	}
	if kept > 4*sandbox.MaxEventReplyOctets {
		t.Errorf("events keep %d octets of two replies", kept)
	}
}

func countDots(m *sandbox.Message) int {
	n := 0
	for _, l := range strings.Split(string(m.Raw), "\r\n") {
		if strings.HasPrefix(l, ".") {
			n++
		}
	}
	return n
}

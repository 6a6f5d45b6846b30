package smtp

import (
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/pop3"
	"smtplab/sandbox/sandboxtest"
)

// TestNeighborJourney sends a message over this world's SMTP to a user of a
// neighbour world and reads it back over this world's POP3, as a student
// does through the shared TCP ports.
func TestNeighborJourney(t *testing.T) {
	w, _ := neighborWorld(t, false)
	out := converse(t, w, "HELO c.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<lea@2nde-b.test>",
		"DATA", "Subject: devoir", "", "pour lundi", ".", "QUIT")
	if !strings.Contains(out, "250 2.0.0 Ok: queued as ") {
		t.Fatalf("not accepted:\n%s", out)
	}
	s := pop3.NewSession(w, sandboxtest.Peer)
	s.Start()
	got := string(sandbox.FeedAll(s, []byte("USER lea@2nde-b.test\r\nPASS plume\r\nRETR 1\r\nQUIT\r\n")).Bytes())
	for _, want := range []string{"+OK lea@2nde-b.test's maildrop has 1 messages", "\tby mail.2nde-b.test (smtplab) with SMTP",
		"Subject: devoir\r\n", "pour lundi\r\n.\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("POP3 session lacks %q:\n%s", want, got)
		}
	}
}

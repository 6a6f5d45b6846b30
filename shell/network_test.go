package shell_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/sandboxtest"
	"smtplab/shell"
)

// texts is what the lines print in English, by kind.
func texts(lines []shell.Line, kind shell.Kind) []string {
	var out []string
	for _, l := range lines {
		if l.Kind == kind {
			out = append(out, strings.Split(l.Text(catalog.EN), "\n")...)
		}
	}
	return out
}

// TestWithoutNetwork: a shell given no DNS and no queue has no dig, host,
// nslookup or mailq, as a machine without those programs, and its help
// and its list of commands do not offer them.
func TestWithoutNetwork(t *testing.T) {
	sh := &shell.Shell{Host: "mail.example.test"}
	for _, cmd := range []string{"dig MX other.test", "host other.test", "nslookup other.test", "mailq"} {
		name, _, _ := strings.Cut(cmd, " ")
		r := sh.Run(cmd)
		if errs := texts(r.Lines, shell.Err); !slices.Equal(errs, []string{name + ": command not found"}) {
			t.Errorf("%s: %q", cmd, errs)
		}
		if notes := strings.Join(texts(r.Lines, shell.Note), "\n"); strings.Contains(notes, "dig") || strings.Contains(notes, "mailq") {
			t.Errorf("%s: the shell offers what it lacks: %s", cmd, notes)
		}
	}
	if help := strings.Join(texts(sh.Run("help").Lines, shell.Note), "\n"); strings.Contains(help, "dig") || strings.Contains(help, "mailq") {
		t.Errorf("help offers what the shell lacks:\n%s", help)
	}
}

// TestMailqBlocks: mailq prints each message as Postfix does: a star on a
// message not tried yet, MAILER-DAEMON for the null sender, a reason
// once for the recipients that share it, "reason unavailable" for one
// without after one with, a blank line between messages, the total in
// whole kilobytes; then the explanations.
func TestMailqBlocks(t *testing.T) {
	now := sandboxtest.Clock
	busy := &sandbox.Attempt{At: now, Host: "mx1.univ.test", Status: "4.2.0", Reply: []string{"450-4.2.0 busy", "450 4.2.0 try later"},
		Stage: "RCPT TO", Reason: "queue.deferred.reply"}
	queue := []sandbox.Queued{
		{ID: "3F2A1C0D12", From: "", Raw: make([]byte, 2000), Arrived: now.Add(-time.Hour), Attempts: 2, NextTry: now.Add(5 * time.Minute),
			Rcpts: []sandbox.QueuedRcpt{{Addr: "ines@univ.test", Last: busy}, {Addr: "jules@univ.test", Last: busy}, {Addr: "hugo@corp.test"}}},
		{ID: "4B3C2D1E00", From: "alice@example.test", Raw: make([]byte, 1100), Arrived: now,
			Rcpts: []sandbox.QueuedRcpt{{Addr: "bob@other.test"}}},
	}
	sh := &shell.Shell{Host: "mail.example.test", Queue: func() []sandbox.Queued { return queue }, Now: func() time.Time { return now }}
	r := sh.Run("mailq")
	reason := "(host mx1.univ.test said: 450-4.2.0 busy 450 4.2.0 try later (in reply to RCPT TO command))"
	indent := strings.Repeat(" ", 41)
	want := []string{
		"-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------",
		"3F2A1C0D12     2000 Fri Jan  2 02:04:05  MAILER-DAEMON",
		strings.Repeat(" ", max(76+2-len(reason), 0)) + reason,
		indent + "ines@univ.test",
		indent + "jules@univ.test",
		strings.Repeat(" ", 76-len("reason unavailable")) + "(reason unavailable)",
		indent + "hugo@corp.test",
		"",
		"4B3C2D1E00*    1100 Fri Jan  2 03:04:05  alice@example.test",
		indent + "bob@other.test",
		"",
		"-- 3 Kbytes in 2 Requests.",
	}
	if got := texts(r.Lines, shell.Out); !slices.Equal(got, want) {
		t.Errorf("mailq prints\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	notes := texts(r.Lines, shell.Note)
	if len(notes) != 3 || !strings.HasPrefix(notes[0], "mailq lists the queue of mail.example.test") ||
		!strings.Contains(notes[1], "The next server, mx1.univ.test, answered 450-4.2.0 busy 450 4.2.0 try later") ||
		!strings.Contains(notes[1], "tried again in 5 min (attempts so far: 2)") || !strings.Contains(notes[2], "4B3C2D1E00") {
		t.Errorf("the explanations:\n%s", strings.Join(notes, "\n"))
	}
	if one := sh.Run("mailq -v"); !slices.Equal(texts(one.Lines, shell.Out), want) {
		t.Errorf("an option changes the listing: %q", texts(one.Lines, shell.Out))
	}
}

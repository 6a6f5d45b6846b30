package lessons

import (
	"strings"
	"testing"

	"smtplab/sandbox"
)

func cond(t *testing.T, line string) Condition {
	t.Helper()
	c, err := parseCondition(line)
	if err != "" {
		t.Fatalf("%s: %s", line, err)
	}
	return c
}

var smtpSession = []string{
	"telnet mail.example.test 25",
	"EHLO client.example.test",
	"MAIL FROM:<alice@example.test>",
	"RCPT TO:<bob@example.test>",
	"RCPT TO:<carol@example.test>",
	"DATA",
	"From: alice@example.test",
	"To: bob@example.test",
	"Cc: dave.unknown@example.test",
	"Subject: Weekly meeting",
	"",
	"..a stuffed line",
	".",
	"MAIL FROM:<alice@example.test>",
	"RCPT TO:<full@example.test>",
	"DATA",
	"no header here",
	".",
	"RCTP TO:<x@example.test>",
	"QUIT",
}

// TestGoalKinds checks each kind of condition on a real session, with a
// case that holds and a case that does not.
func TestGoalKinds(t *testing.T) {
	w, evs := play(t, smtpSession...)
	facts := Facts{Events: evs, World: w}
	tests := []struct {
		line string
		want bool
	}{
		{"session proto=smtp", true},
		{"session proto=pop3", false},
		{"command verb=RCPT count=3", true},
		{"command verb=RCPT count=4", false},
		{"command verb=RCTP", false}, // unknown verbs are not commands
		{"reply verb=GREETING code=220", true},
		{"reply verb=RCPT code=250 count=2 scope=transaction", true},
		{"reply verb=RCPT code=250 count=3 scope=transaction", false},
		{"reply verb=RCPT code=250 count=3", true},
		{"reply code=500", true},
		{"reply code=503", false},
		{"reply verb=DATA code=3xx count=2", true},
		{"reply verb=DATA code=5xx", false},
		{"message rcpts=2 hidden=1 undelivered=1", true},
		{"message hidden=2", false},
		{"message rcpts=2 listed=1 hidden=1", true},
		{"message listed=2", false},
		{"message listed=0", true},               // the second message has no header
		{"message rcpts=2 listed=0", false},      // the first lists bob
		{"message undelivered=0", true},          // the second message
		{"message rcpts=2 undelivered=0", false}, // the first lists dave, who got nothing
		{"message hidden=0", false},              // both hide someone
		{"message self=no rcpts=2", true},        // alice did not write to herself
		{"message self=yes", false},
		{"message bcc=yes", false},
		{"message warning=no_header", true},
		{"message warning=eight_bit", false},
		{"message subject=weekly_meeting", true},
		{"message subject=monthly", false},
		{"message body=8BITMIME", false},

		{"delivery status=bounced user=full", true},
		{"delivery status=delivered user=carol", true},
		{"delivery status=delivered user=alice", true}, // the bounce
		{"delivery status=dropped", false},
		{"mailbox user=bob subject=weekly", true},
		{"mailbox user=bob count=2", false},
		{"mailbox user=alice subject=undelivered", true},
		{"state proto=smtp to=IN_DATA", true},
		{"state proto=pop3 to=UPDATE", false},
		{"input data=yes prefix=..", true},
		{"input data=no prefix=..", false},
		{"closed reason=quit", true},
		{"closed reason=timeout", false},
	}
	for _, tt := range tests {
		if got := cond(t, tt.line).Holds(facts); got != tt.want {
			t.Errorf("%s: holds = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestGoalKindsPOP(t *testing.T) {
	w, evs := play(t, append(smtpSession,
		"telnet mail.example.test 110", "USER bob", "PASS bob", "RETR 1", "DELE 1", "QUIT")...)
	facts := Facts{Events: evs, World: w}
	for line, want := range map[string]bool{
		"reply verb=RETR code=+OK proto=pop3":  true,
		"reply verb=PASS code=-ERR proto=pop3": false,
		"state proto=pop3 to=UPDATE":           true,
		"mailbox user=bob":                     false, // deleted at QUIT
		"session proto=pop3":                   true,
	} {
		if got := cond(t, line).Holds(facts); got != want {
			t.Errorf("%s: holds = %v, want %v", line, got, want)
		}
	}
}

func TestQuizGoal(t *testing.T) {
	c := cond(t, "quiz found=2")
	if c.Holds(Facts{Found: 1}) || !c.Holds(Facts{Found: 2}) {
		t.Error("quiz found=2 must need two mistakes found")
	}
	if !c.Holds(Facts{Found: 2, Misses: MaxQuizMisses}) || c.Holds(Facts{Found: 2, Misses: MaxQuizMisses + 1}) {
		t.Errorf("quiz found=2 must allow %d wrong picks and no more", MaxQuizMisses)
	}
}

func TestConditionErrors(t *testing.T) {
	for line, want := range map[string]string{
		"teleport where=moon":                `unknown goal condition "teleport"`,
		"reply colour=blue":                  `condition reply has no key "colour"`,
		"reply code=999":                     `bad value "999" for code`,
		"reply count":                        `goal arguments look like key=value`,
		"message warning=nonsense":           `bad value "nonsense" for warning`,
		"session proto=imap":                 `bad value "imap" for proto`,
		"reply verb=RCPT count=0":            `bad value "0" for count`,
		"message rcpts=0":                    `bad value "0" for rcpts`,
		"message listed=01":                  `bad value "01" for listed`,
		"message self=maybe":                 `bad value "maybe" for self`,
		"message hidden=0 self=yes":          "",
		"message blind=x":                    `bad value "x" for blind`,
		"message sender=alice":               `bad value "alice" for sender`,
		"message without=eight_bit,nonsense": `bad value "eight_bit,nonsense" for without`,
		"reply verb=HELO|ehlo":               `bad value "HELO|ehlo" for verb`,
		"reply verb=HELO|EHLO route=no":      "",
		"message cc=1 blind=0 size=no dots=yes rcpt=team sender=null without=eight_bit,no_body": "",
		"delivery status=delivered": "",
	} {
		_, err := parseCondition(line)
		if want == "" && err != "" || want != "" && !strings.Contains(err, want) {
			t.Errorf("%s: error %q, want %q", line, err, want)
		}
	}
}

// TestMessageCounts checks listed, hidden, undelivered=0 and self on one
// message that Alice also sends to herself, hidden.
func TestMessageCounts(t *testing.T) {
	w, evs := play(t, "telnet mail.example.test 25", "HELO x.test", "MAIL FROM:<alice@example.test>",
		"RCPT TO:<bob@example.test>", "RCPT TO:<carol@example.test>", "RCPT TO:<Alice@example.test>",
		"DATA", "From: alice@example.test", "To: bob@example.test", "Cc: carol@example.test", "", "Hi", ".")
	facts := Facts{Events: evs, World: w}
	for line, want := range map[string]bool{
		"message self=yes": true,
		"message self=no":  false,
		"message rcpts=3 listed=2 hidden=1 undelivered=0": true,
		"message listed=3":      false,
		"message hidden=2":      false,
		"message undelivered=1": false,
	} {
		if got := cond(t, line).Holds(facts); got != want {
			t.Errorf("%s: holds = %v, want %v", line, got, want)
		}
	}
}

// TestMessageKeys checks the keys that tell a right answer from its near
// misses: cc, blind, rcpt, sender, size, dots, without, verb alternatives
// and route.
func TestMessageKeys(t *testing.T) {
	w, evs := play(t, "telnet mail.example.test 25", "EHLO x.test",
		"MAIL FROM:<alice@example.test> SIZE=300", "RCPT TO:<bob@example.test>", "RCPT TO:<@one.test:carol@example.test>", "RCPT TO:<team@example.test>",
		"DATA", "From: alice@example.test", "Date: Mon, 5 Jan 2026 10:00:00 +0100", "To: bob@example.test", "Cc: team@example.test", "Bcc: carol@example.test", "Bcc: dave.unknown@example.test", "", "..", ".",
		"MAIL FROM:<joe@elsewhere.test>", "RCPT TO:<bob@example.test>", "DATA", "Subject: plain", "", "..", "QUIT")
	facts := Facts{Events: evs, World: w}
	for line, want := range map[string]bool{
		"message cc=1 blind=1 undelivered=1":         true,
		"message cc=2":                               false,
		"message blind=2":                            false,
		"message rcpt=team rcpt=bob":                 true, // one value per key: the last
		"message rcpt=team@example.test":             true,
		"message rcpt=alice":                         false,
		"message sender=local size=yes dots=yes":     true,
		"message sender=foreign":                     false, // its DATA never ended
		"message size=no":                            false,
		"message without=missing_from,missing_date":  true,
		"message without=missing_message_id":         false,
		"reply verb=HELO|EHLO code=250":              true,
		"envelope rcpts=3":                           true,
		"envelope rcpts=4":                           false,
		"reply verb=HELO|NOOP code=250":              false,
		"command verb=RCPT route=yes":                true,
		"reply verb=RCPT code=250 route=yes":         true,
		"reply verb=RCPT code=250 route=yes count=2": false,
	} {
		if got := cond(t, line).Holds(facts); got != want {
			t.Errorf("%s: holds = %v, want %v", line, got, want)
		}
	}
}

// TestCheckerKeepsTheRecentPast: after a paste longer than
// MaxCheckedEvents, what the student does next still ticks the step.
func TestCheckerKeepsTheRecentPast(t *testing.T) {
	l := &Lesson{Steps: []Step{{ID: "quit", Goal: Goal{{Kind: "command", Args: map[string]string{"verb": "QUIT"}}}}}}
	c := NewChecker(l, nil)
	for i := range MaxCheckedEvents + MaxCheckedEvents/8 + 10 {
		c.Observe(sandbox.Event{Seq: uint64(i), Session: "smtp-1", Proto: sandbox.SMTP, Kind: sandbox.EventCommand, Command: &sandbox.Command{Verb: "NOOP", Known: true}})
	}
	if !c.Observe(sandbox.Event{Session: "smtp-1", Proto: sandbox.SMTP, Kind: sandbox.EventCommand, Command: &sandbox.Command{Verb: "QUIT", Known: true}}) {
		t.Fatal("QUIT after a long paste did not tick the step")
	}
	c.mu.Lock()
	n := len(c.events)
	c.mu.Unlock()
	if n > MaxCheckedEvents+MaxCheckedEvents/8 {
		t.Errorf("the checker keeps %d events", n)
	}
}

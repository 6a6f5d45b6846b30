package lessons

import (
	"strings"
	"testing"
	"testing/fstest"

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

// secureSessions are a mail program's sessions, and the teaching port's:
// 587 refusing MAIL and AUTH in clear, then STARTTLS, EHLO again and AUTH
// LOGIN; 465, encrypted from the start; 25, AUTH PLAIN in clear.
var secureSessions = []string{
	"telnet mail.example.test 587",
	"EHLO client.example.test",
	"MAIL FROM:<alice@example.test>",
	"AUTH PLAIN AGFsaWNlAGFsaWNl",
	"STARTTLS",
	"EHLO client.example.test",
	"AUTH LOGIN", "YWxpY2U=", "YWxpY2U=",
	"MAIL FROM:<alice@example.test>",
	"RCPT TO:<bob@example.test>",
	"DATA", "From: alice@example.test", "To: bob@example.test", "Subject: Under TLS", "", "Hello.", ".",
	"QUIT",
	"openssl s_client -connect mail.example.test:465 -crlf",
	"EHLO client.example.test",
	"QUIT",
	"telnet mail.example.test 25",
	"EHLO client.example.test",
	"AUTH PLAIN AGFsaWNlAGFsaWNl",
	"MAIL FROM:<alice@example.test>",
	"RCPT TO:<joe@elsewhere.test>",
	"RCPT TO:<bob@example.test>",
	"DATA", "From: alice@example.test", "To: bob@example.test", "Subject: In clear", "", "Hello.", ".",
	"QUIT",
}

// TestConnectionKeys checks tls=, auth= and mech=: they look at the
// connection as the command found it. The world relays nothing, so the
// logged-in user's RCPT for elsewhere.test is refused, for its own reason.
func TestConnectionKeys(t *testing.T) {
	w, evs := playAlone(t, secureSessions...)
	facts := Facts{Events: evs, World: w}
	for line, want := range map[string]bool{
		"reply verb=MAIL code=530 tls=no auth=no":                    true,
		"reply verb=AUTH code=538 tls=no mech=PLAIN":                 true,
		"reply verb=STARTTLS code=220 tls=no":                        true, // the 220 is the last reply in clear
		"reply verb=STARTTLS code=220 tls=yes":                       false,
		"reply verb=EHLO code=250 tls=starttls":                      true,
		"reply verb=EHLO code=250 tls=implicit":                      true,
		"reply verb=EHLO code=250 tls=no count=2":                    true, // 587 before STARTTLS, and 25
		"reply verb=EHLO code=250 tls=yes count=2":                   true,
		"reply verb=EHLO code=250 tls=yes count=3":                   false,
		"reply verb=AUTH code=235 auth=no count=2":                   true, // a 235 answers a session not yet logged in
		"reply verb=AUTH code=235 auth=yes":                          false,
		"reply verb=AUTH code=235 mech=LOGIN tls=starttls":           true,
		"reply verb=AUTH code=235 mech=PLAIN tls=no":                 true,
		"reply verb=AUTH code=235 mech=PLAIN tls=yes":                false,
		"reply verb=AUTH code=334 mech=PLAIN":                        false,
		"reply verb=AUTH code=334 mech=LOGIN count=2":                true,
		"reply verb=MAIL code=250 auth=yes tls=starttls":             true,
		"reply verb=MAIL code=250 auth=no":                           false,
		"reply verb=RCPT code=554 auth=yes tls=no":                   true,
		"reply verb=RCPT code=554 auth=no":                           false,
		"reply verb=RCPT because=smtp.rcpt.relay.auth":               true,
		"reply verb=RCPT because=smtp.rcpt.relay":                    false, // the stranger's refusal, not the logged-in user's
		"reply verb=RCPT because=smtp.rcpt.x.y|smtp.rcpt.relay.auth": true,
		"message auth=yes tls=starttls subject=under_tls":            true,
		"message auth=yes tls=no subject=in_clear":                   true,
		"message tls=starttls subject=in_clear":                      false,
		"message auth=no":                                            false,
		"message tls=implicit":                                       false,
	} {
		if got := cond(t, line).Holds(facts); got != want {
			t.Errorf("%s: holds = %v, want %v", line, got, want)
		}
	}
	for line, want := range map[string]string{
		"reply tls=maybe":    `bad value "maybe" for tls`,
		"reply mech=plain":   `bad value "plain" for mech`,
		"message auth=bob":   `bad value "bob" for auth`,
		"command tls=yes":    `condition command has no key "tls"`,
		"message mech=LOGIN": `condition message has no key "mech"`,
		"reply because=RCPT": `bad value "RCPT" for because`,
	} {
		if _, err := parseCondition(line); !strings.Contains(err, want) {
			t.Errorf("%s: error %q, want %q", line, err, want)
		}
	}
}

// TestGoalTextsInEveryLanguage: each language's file words its own subject
// in a goal; once the languages are paired, either subject ticks the step
// in both, so a student who switches language halfway keeps what they did.
// Anything else in a goal must stay the same.
func TestGoalTextsInEveryLanguage(t *testing.T) {
	lesson := func(subject, rcpts string) []byte {
		return []byte("---\ntitle: T\nsummary: S.\n---\n\n## Send {#send}\n\nText.\n\n```goal\nmessage rcpts=" + rcpts + " subject=" + subject + "\n```\n")
	}
	lib, errs := Load(fstest.MapFS{"01-t.en.md": {Data: lesson("Surprise_party", "1")}, "01-t.fr.md": {Data: lesson("Pique-nique", "1")}}, ".")
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	sent := func(subject string) Facts {
		w, evs := play(t, mail("alice@example.test", []string{"bob@example.test"}, "Subject: "+subject, "", "x")...)
		return Facts{Events: evs, World: w}
	}
	for _, loc := range []string{"fr", "en"} {
		l, _ := lib.Get(loc, "t")
		g := l.Steps[0].Goal
		for subject, want := range map[string]bool{"Pique-nique dimanche": true, "A surprise party for Bob": true, "Dinner": false} {
			if got := g.Holds(sent(subject)); got != want {
				t.Errorf("%s: subject %q ticks %v, want %v", loc, subject, got, want)
			}
		}
	}
	_, errs = Load(fstest.MapFS{"01-t.en.md": {Data: lesson("Party", "1")}, "01-t.fr.md": {Data: lesson("Fete", "2")}}, ".")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "different goal") {
		t.Errorf("errors %v, want a different goal", errs)
	}
}

// TestTypedShape: the lines to type are the same in every language but for
// a message's subject and body.
func TestTypedShape(t *testing.T) {
	en := []string{"MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA", "From: alice@example.test", "To: bob@example.test",
		"Subject: Holiday photos", "", "The photos are too big.", "See you.", ".", "QUIT"}
	fr := []string{"MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA", "From: alice@example.test", "To: bob@example.test",
		"Subject: Photos des vacances", "", "Les photos sont trop lourdes pour un e-mail.", ".", "QUIT"}
	if typedShape(en) != typedShape(fr) {
		t.Errorf("the shapes differ:\n%s\n---\n%s", typedShape(en), typedShape(fr))
	}
	for i, change := range []func([]string) []string{
		func(l []string) []string { l[1] = "RCPT TO:<carol@example.test>"; return l },           // another recipient
		func(l []string) []string { l[4] = "To: carol@example.test"; return l },                 // another header
		func(l []string) []string { return append(l[:6:6], append([]string{""}, l[8:]...)...) }, // no body
		func(l []string) []string { return append(l[:8:8], l[9:]...) },                          // no final dot
	} {
		if changed := change(append([]string(nil), fr...)); typedShape(changed) == typedShape(en) {
			t.Errorf("change %d: the shapes are the same:\n%s", i, strings.Join(changed, "\n"))
		}
	}
}

// TestAccentedSubjects: a French subject typed with its accents is not
// refused (the analysis warns about 8-bit text without BODY=8BITMIME), and
// the same subject written as an RFC 2047 encoded word, as mail programs
// write it, is matched once decoded, with no warning.
func TestAccentedSubjects(t *testing.T) {
	w, evs := play(t, mail("alice@example.test", []string{"bob@example.test"},
		"From: alice@example.test", "To: bob@example.test", "Subject: Fête surprise pour Bob", "", "Samedi soir.")...)
	raw := Facts{Events: evs, World: w}
	w, evs = play(t, mail("alice@example.test", []string{"bob@example.test"},
		"From: alice@example.test", "To: bob@example.test", "Subject: =?UTF-8?Q?F=C3=AAte_surprise_pour_Bob?=", "", "Samedi soir.")...)
	encoded := Facts{Events: evs, World: w}
	for _, c := range []struct {
		line  string
		facts Facts
		want  bool
	}{
		{"message subject=Fête_surprise", raw, true},
		{"message warning=eight_bit", raw, true},
		{"mailbox user=bob subject=fête", raw, true},
		{"message subject=Fête_surprise without=eight_bit", encoded, true},
		{"mailbox user=bob subject=Fête_surprise", encoded, true},
		{"message subject=Fete", encoded, false},
	} {
		if got := cond(t, c.line).Holds(c.facts); got != c.want {
			t.Errorf("%s: holds = %v, want %v", c.line, got, c.want)
		}
	}
}

package lessons

import (
	"strings"
	"testing"
)

// whyOf plays lines and asks a checker of a one-step lesson with the goal
// lines why the step has not ticked.
func whyOf(t *testing.T, goal []string, lines ...string) []Why {
	t.Helper()
	var g Goal
	for _, line := range goal {
		g = append(g, cond(t, line))
	}
	l := &Lesson{Steps: []Step{{ID: "s", Goal: g}}}
	w, evs := play(t, lines...)
	c := NewChecker(l, w)
	for _, ev := range evs {
		c.Observe(ev)
	}
	step, whys := c.Why()
	if len(c.Done()) != 0 {
		t.Fatalf("%v ticked", goal)
	}
	if step != "s" {
		t.Fatalf("Why names step %q", step)
	}
	return whys
}

func mail(from string, rcpts []string, text ...string) []string {
	lines := []string{"telnet mail.example.test 25", "HELO client.example.test", "MAIL FROM:<" + from + ">"}
	for _, r := range rcpts {
		lines = append(lines, "RCPT TO:<"+r+">")
	}
	lines = append(lines, "DATA")
	lines = append(lines, text...)
	return append(lines, ".")
}

// TestWhyConcrete: the reasons name what the student did and what the
// step wants, in the terms of the session.
func TestWhyConcrete(t *testing.T) {
	for _, c := range []struct {
		name  string
		goal  []string
		lines []string
		key   string
		args  map[string]string
		n     int
	}{
		{"no RCPT for the list", []string{"message rcpts=2 rcpt=team"},
			mail("alice@example.test", []string{"bob@example.test", "carol@example.test"}, "Subject: x", "", "x"),
			"why.message.rcpt", map[string]string{"rcpt": "team"}, 0},
		{"a Bcc line with no RCPT TO", []string{"message rcpts=2 listed=1 hidden=1 undelivered=0 self=no"},
			mail("alice@example.test", []string{"bob@example.test", "postmaster@example.test"},
				"From: alice@example.test", "To: bob@example.test", "Bcc: carol@example.test", "", "x"),
			"why.message.undelivered.none", map[string]string{"addrs": "carol@example.test"}, 0},
		{"one recipient short", []string{"message rcpts=2 listed=1 hidden=1 undelivered=0 self=no"},
			mail("alice@example.test", []string{"bob@example.test"}, "To: bob@example.test", "", "x"),
			"why.message.rcpts", map[string]string{"want": "2"}, 1},
		{"no BODY=8BITMIME", []string{"message body=8BITMIME"},
			mail("alice@example.test", []string{"bob@example.test"}, "Subject: Café", "", "x"),
			"why.message.body", map[string]string{"want": "8BITMIME"}, 0},
		{"refused, not accepted", []string{"reply verb=RCPT code=250"},
			[]string{"telnet mail.example.test 25", "HELO x.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<nobody@example.test>"},
			"why.reply.code", map[string]string{"verb": "RCPT", "got": "550", "want": "250"}, 0},
		{"never typed", []string{"reply verb=HELO|EHLO code=250"},
			[]string{"telnet mail.example.test 25"},
			"why.command", map[string]string{"verb": "HELO / EHLO"}, 0},
		{"no message yet", []string{"message rcpts=1"},
			[]string{"telnet mail.example.test 25", "HELO x.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA", "x"},
			"why.message.none", nil, 0},
		{"a plain address", []string{"reply verb=RCPT code=250 route=yes"},
			[]string{"telnet mail.example.test 25", "HELO x.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>"},
			"why.command.route", map[string]string{"verb": "RCPT"}, 0},
		{"two recipients, one transaction", []string{"reply verb=RCPT code=250 count=2 scope=transaction"},
			[]string{"telnet mail.example.test 25", "HELO x.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>",
				"RSET", "MAIL FROM:<alice@example.test>", "RCPT TO:<carol@example.test>"},
			"why.reply.transaction", map[string]string{"verb": "RCPT", "want": "250", "count": "2"}, 1},
		{"the wrong subject", []string{"message subject=Lunch"},
			mail("alice@example.test", []string{"bob@example.test"}, "Subject: Dinner", "", "x"),
			"why.message.subject", map[string]string{"want": "Lunch", "got": "Dinner"}, 0},
		{"no second EHLO after STARTTLS", []string{"reply verb=EHLO code=250 tls=starttls"},
			[]string{"telnet mail.example.test 587", "EHLO client.example.test", "STARTTLS", "AUTH PLAIN AGFsaWNlAGFsaWNl"},
			"why.reply.tls.starttls", map[string]string{"verb": "EHLO", "want": "250"}, 0},
		{"logged in with the other mechanism", []string{"reply verb=AUTH code=235 mech=PLAIN"},
			[]string{"telnet mail.example.test 25", "EHLO client.example.test", "AUTH LOGIN", "YWxpY2U=", "YWxpY2U="},
			"why.reply.mech", map[string]string{"verb": "AUTH", "want": "235", "mech": "PLAIN"}, 0},
		{"the stranger's refusal", []string{"reply verb=RCPT because=smtp.rcpt.relay.auth"},
			[]string{"telnet mail.example.test 25", "EHLO client.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<joe@elsewhere.test>"},
			"why.reply.because", map[string]string{"verb": "RCPT"}, 0},
		{"a relay refused to a stranger", []string{"reply verb=RCPT code=554 auth=yes"},
			[]string{"telnet mail.example.test 25", "EHLO client.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<joe@elsewhere.test>"},
			"why.reply.auth.yes", map[string]string{"verb": "RCPT", "want": "554"}, 0},
		{"the PLAIN string without its first NUL", []string{"reply verb=AUTH code=235 mech=PLAIN"},
			[]string{"telnet mail.example.test 25", "EHLO client.example.test", "AUTH PLAIN YWxpY2UAYWxpY2U="},
			"why.reply.code", map[string]string{"verb": "AUTH", "want": "235", "got": "501"}, 0},
		{"a message sent without logging in", []string{"message auth=yes"},
			mail("alice@example.test", []string{"bob@example.test"}, "Subject: x", "", "x"),
			"why.message.auth.yes", nil, 0},
		{"a message sent in clear", []string{"message tls=yes"},
			mail("alice@example.test", []string{"bob@example.test"}, "Subject: x", "", "x"),
			"why.message.tls.yes", nil, 0},
	} {
		whys := whyOf(t, c.goal, c.lines...)
		if len(whys) == 0 {
			t.Errorf("%s: no reason given", c.name)
			continue
		}
		w := whys[0]
		if w.Key != c.key || w.N != c.n {
			t.Errorf("%s: %+v, want %s (n=%d)", c.name, whys, c.key, c.n)
			continue
		}
		for k, v := range c.args {
			if w.Args[k] != v {
				t.Errorf("%s: %s=%q, want %q", c.name, k, w.Args[k], v)
			}
		}
	}
}

// TestWhyWithout: a warning the step wants gone is handed over whole, for
// the page to tell it in the catalog's words.
func TestWhyWithout(t *testing.T) {
	whys := whyOf(t, []string{"message without=missing_from,missing_date"},
		mail("alice@example.test", []string{"bob@example.test"}, "To: bob@example.test", "Subject: x", "", "x")...)
	if len(whys) != 1 || whys[0].Key != "why.message.without" || whys[0].Warning == nil || whys[0].Warning.Key != "missing_from" {
		t.Errorf("whys: %+v", whys)
	}
}

// TestWhyEveryStep: for every step of every built-in lesson, in both
// languages, after the solutions of the steps before it and after each of
// its near misses, the checker gives at least one reason, each with a
// known key; once every step is done it says so.
func TestWhyEveryStep(t *testing.T) {
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range lib.Slugs() {
		for _, loc := range []string{"fr", "en"} {
			l := lib.bySlug[slug][loc]
			if l.World == WorldClass {
				l = l.ForClass(testClass)
			}
			var before []string
			for i, s := range l.Steps {
				attempts := append([][]string{nil}, s.NearMisses...)
				for _, attempt := range attempts {
					lines := append(append([]string(nil), before...), attempt...)
					w, evs := playLesson(t, l, lines...)
					c := NewChecker(l, w)
					for _, ev := range evs {
						c.Observe(ev)
					}
					for _, prev := range l.Steps[:i] {
						if prev.Quiz != nil {
							answerQuiz(c, prev)
						}
					}
					step, whys := c.Why()
					if step != s.ID || len(whys) == 0 {
						t.Errorf("%s.%s/%s after %q: Why = %q, %+v", slug, loc, s.ID, strings.Join(attempt, " | "), step, whys)
					}
					for _, w := range whys {
						if _, ok := whyKeys[w.Key]; !ok {
							t.Errorf("%s.%s/%s: unknown key %q", slug, loc, s.ID, w.Key)
						}
					}
				}
				before = append(before, s.Solution...)
			}
			w, evs := playLesson(t, l, before...)
			c := NewChecker(l, w)
			for _, ev := range evs {
				c.Observe(ev)
			}
			for _, s := range l.Steps {
				if s.Quiz != nil {
					answerQuiz(c, s)
				}
			}
			if step, whys := c.Why(); step != "" || len(whys) != 1 || whys[0].Key != "why.done" {
				t.Errorf("%s.%s done: Why = %q %+v", slug, loc, step, whys)
			}
		}
	}
}

package lessons

import (
	"slices"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// TestBuiltinLessonsLoad: every built-in lesson loads, in both languages,
// with the same steps.
func TestBuiltinLessonsLoad(t *testing.T) {
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Slugs()) == 0 {
		t.Fatal("no built-in lessons")
	}
	for _, slug := range lib.Slugs() {
		fr, en := lib.bySlug[slug]["fr"], lib.bySlug[slug]["en"]
		if fr == nil || en == nil {
			t.Errorf("%s: missing a language (fr %v, en %v)", slug, fr != nil, en != nil)
			continue
		}
		if msg := sameSteps(fr, en); msg != "" {
			t.Errorf("%s: %s", slug, msg)
		}
		for i := range fr.Steps {
			// The commands are the same; a message's subject and body are
			// written in the lesson's language.
			if typedShape(fr.Steps[i].Solution) != typedShape(en.Steps[i].Solution) {
				t.Errorf("%s/%s: the solutions differ between languages", slug, fr.Steps[i].ID)
			}
		}
		if fr.World != en.World {
			t.Errorf("%s: world %s in French, %s in English", slug, fr.World, en.World)
		}
		for _, l := range []*Lesson{fr, en} {
			if l.World == WorldClass {
				l = l.ForClass(testClass)
			}
			if text := lessonText(l); placeholder.MatchString(text) {
				t.Errorf("%s: placeholders left: %v", l.File, placeholder.FindAllString(text, -1))
			}
		}
	}
}

// lessonText is everything of l a student reads or types.
func lessonText(l *Lesson) string {
	parts := []string{l.Title, l.Summary, l.Intro}
	for _, s := range l.Steps {
		parts = append(parts, s.Title, s.Text, s.Hint)
		parts = append(parts, s.Hints...)
		parts = append(parts, s.Solution...)
		for _, nm := range s.NearMisses {
			parts = append(parts, nm...)
		}
	}
	return strings.Join(parts, "\n")
}

// TestBuiltinSolutions replays each lesson's reference solution through the
// engines and checks every step ticks, so no lesson is impossible; then, for
// each step, replays only the steps before it and checks that step is not
// ticked, so no goal is met by accident. A class lesson is played as lea
// of class.test, with tom and zoe for classmates (testClass).
func TestBuiltinSolutions(t *testing.T) {
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range lib.Slugs() {
		for _, loc := range []string{"fr", "en"} {
			l := lib.bySlug[slug][loc]
			if l == nil {
				continue
			}
			if l.World == WorldClass {
				l = l.ForClass(testClass)
			}
			t.Run(slug+"."+loc, func(t *testing.T) { checkSolution(t, l) })
		}
	}
}

func checkSolution(t *testing.T, l *Lesson) {
	for upTo := 0; upTo <= len(l.Steps); upTo++ {
		var lines []string
		for _, s := range l.Steps[:upTo] {
			lines = append(lines, s.Solution...)
		}
		w, evs := playLesson(t, l, lines...)
		c := NewChecker(l, w)
		for _, ev := range evs {
			c.Observe(ev)
		}
		for i, s := range l.Steps {
			if s.Quiz != nil && i < upTo {
				answerQuiz(c, s)
			}
		}
		done := len(c.Done())
		switch {
		case upTo == len(l.Steps) && done != upTo:
			t.Errorf("the full solution ticks %d of %d steps; step %q stays unmet",
				done, upTo, l.Steps[done].ID)
		case upTo < len(l.Steps) && done > upTo:
			t.Errorf("the solutions of the first %d steps already tick step %q", upTo, l.Steps[upTo].ID)
		}
	}
}

// TestBuiltinNearMisses replays, for every step, the solutions of the steps
// before it and then each of the step's near misses, and checks that none
// ticks it: a goal must hold for the right answer (TestBuiltinSolutions)
// and for none of the usual wrong ones. Every step that has a solution
// must have near misses, in both languages.
func TestBuiltinNearMisses(t *testing.T) {
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, slug := range lib.Slugs() {
		for _, loc := range []string{"fr", "en"} {
			l := lib.bySlug[slug][loc]
			if l == nil {
				continue
			}
			if l.World == WorldClass {
				l = l.ForClass(testClass)
			}
			t.Run(slug+"."+loc, func(t *testing.T) {
				for i, s := range l.Steps {
					if s.Solution != nil && len(s.NearMisses) == 0 {
						t.Errorf("step %q has a solution but no near miss", s.ID)
					}
					for k, nm := range s.NearMisses {
						if ticks(t, l, i, nm) {
							t.Errorf("step %q: near miss %d ticks it:\n%s", s.ID, k+1, strings.Join(nm, "\n"))
						}
					}
				}
			})
		}
	}
}

// ticks plays the solutions of the steps of l before step i, then attempt,
// and reports whether step i is ticked.
func ticks(t *testing.T, l *Lesson, i int, attempt []string) bool {
	t.Helper()
	var lines []string
	for _, s := range l.Steps[:i] {
		lines = append(lines, s.Solution...)
	}
	lines = append(lines, attempt...)
	w, evs := playLesson(t, l, lines...)
	c := NewChecker(l, w)
	for _, ev := range evs {
		c.Observe(ev)
	}
	for _, s := range l.Steps[:i] {
		if s.Quiz != nil {
			answerQuiz(c, s)
		}
	}
	done := len(c.Done())
	if done < i {
		t.Fatalf("the solutions before step %q tick only %d steps", l.Steps[i].ID, done)
	}
	return done > i
}

// TestBuiltinRightAnswers: answers other than the reference solution that
// the step's text asks for, or allows, tick it too.
func TestBuiltinRightAnswers(t *testing.T) {
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		slug, step string
		lines      []string
	}{
		{"first-session", "helo", []string{"EHLO client.example.test"}},
		{"first-session", "data", []string{"DATA", "Subject: Hi", "", "Hello Alice.", "."}},
		{"cc", "headers", []string{"DATA", "From: alice@example.test", "To: bob@example.test", "Cc: carol@example.test", "Subject: Thursday", "", "Hello both.", "."}},
		{"cc", "list", []string{"MAIL FROM:<alice@example.test>", "RCPT TO:<team@example.test>", "RCPT TO:<bob@example.test>", "DATA", "To: team@example.test", "Subject: Coffee", "", "It has arrived.", ".", "QUIT"}},
		{"inside-data", "headers", []string{"telnet mail.example.test 25", "HELO client.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA",
			"Subject: Agenda", "Message-ID: <m1@example.test>", "Date: Mon, 5 Jan 2026 10:00:00 +0100", "From: alice@example.test", "To: bob@example.test", "", "Budget.", "."}},
		{"inside-data", "dot-stuffing", []string{"MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA", "Subject: Dots", "", "..", "."}},
		{"class-bcc", "connect", []string{"telnet mail.class.test 25", "HELO pc-lea.class.test"}},
		{"submission", "refused", []string{"telnet mail.example.test 587", "HELO client.example.test", "MAIL FROM:<alice@example.test>"}},
		// PLAIN with its answer after the 334, and with alice as her own authorisation identity.
		{"submission", "clear", []string{"QUIT", "telnet mail.example.test 25", "EHLO client.example.test", "AUTH PLAIN", "AGFsaWNlAGFsaWNl"}},
		{"submission", "clear", []string{"QUIT", "telnet mail.example.test 25", "EHLO client.example.test", "AUTH PLAIN YWxpY2UAYWxpY2UAYWxpY2U="}},
		{"submission", "login", []string{"QUIT", "telnet mail.example.test 25", "EHLO client.example.test", "AUTH LOGIN YWxpY2U=", "Ym9i", "AUTH LOGIN YWxpY2U=", "YWxpY2U="}},
		// The handshake a terminal plays for telnet, then EHLO again.
		{"starttls", "ehlo-again", []string{"QUIT", "telnet mail.example.test 587", "EHLO client.example.test", "STARTTLS", "EHLO client.example.test"}},
		{"starttls", "send", []string{"AUTH LOGIN", "YWxpY2U=", "YWxpY2U=", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>",
			"DATA", "From: alice@example.test", "To: bob@example.test", "Subject: Hi", "", "Hello.", "."}},
		// The other question, the other exchanger of equal preference, HELO.
		{"mx", "ask", []string{"host -t mx univ.test", "telnet mx1.univ.test 25", "HELO mail.example.test"}},
		{"mx", "shared", []string{"telnet mx-a.corp.test 25", "EHLO mail.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<nina@corp.test>",
			"DATA", "From: alice@example.test", "To: nina@corp.test", "Subject: Order", "", "Hello.", ".", "QUIT"}},
		// Port 465, encrypted from the first byte, submits as well as 587.
		{"two-servers", "submit", []string{"openssl s_client -connect mail.example.test:465 -crlf -ign_eof", "EHLO client.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl",
			"MAIL FROM:<alice@example.test>", "RCPT TO:<bob@other.test>", "DATA", "From: alice@example.test", "To: bob@other.test", "Subject: Hi", "", "Hello.", ".", "QUIT"}},
		{"bounces", "deferred", []string{"openssl s_client -connect mail.example.test:465 -crlf -ign_eof", "EHLO client.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl",
			"MAIL FROM:<alice@example.test>", "RCPT TO:<zoe@down.test>", "DATA", "From: alice@example.test", "To: zoe@down.test", "Subject: Hi", "", "Hello.", ".", "QUIT"}},
	} {
		for _, loc := range []string{"fr", "en"} {
			l := lib.bySlug[tc.slug][loc]
			if l == nil {
				t.Fatalf("no lesson %s.%s", tc.slug, loc)
			}
			if l.World == WorldClass {
				l = l.ForClass(testClass)
			}
			i := slices.IndexFunc(l.Steps, func(s Step) bool { return s.ID == tc.step })
			if i < 0 {
				t.Fatalf("%s: no step %s", l.File, tc.step)
			}
			if !ticks(t, l, i, tc.lines) {
				t.Errorf("%s, step %q: a right answer does not tick it:\n%s", l.File, tc.step, strings.Join(tc.lines, "\n"))
			}
		}
	}
}

// TestBuiltinSolutionsExemplary: the messages a lesson's solution sends
// get no warning from the analysis, except those the step is about (its
// goal names them) and those the lesson sets aside as minor; a student
// who follows a solution learns to read warnings, not to ignore them.
func TestBuiltinSolutionsExemplary(t *testing.T) {
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
			for _, s := range l.Steps {
				_, prev := playLesson(t, l, before...)
				before = append(before, s.Solution...)
				_, evs := playLesson(t, l, before...)
				allowed := append(append([]string(nil), l.Minor...), s.Warnings()...)
				for _, ev := range messages(evs)[len(messages(prev)):] {
					for _, w := range ev.Message.Analysis.Warnings {
						if !slices.Contains(allowed, w.Key) {
							t.Errorf("%s.%s/%s: the solution's message gets the warning %s, which the step does not teach (minor: %v)",
								slug, loc, s.ID, w.Key, l.Minor)
						}
					}
				}
			}
		}
	}
}

func messages(evs []sandbox.Event) []sandbox.Event {
	var out []sandbox.Event
	for _, ev := range evs {
		if ev.Message != nil {
			out = append(out, ev)
		}
	}
	return out
}

// TestMinorWarnings: minor in the front matter lists warnings, and a key
// that is not one stops the file from loading.
func TestMinorWarnings(t *testing.T) {
	src := "---\ntitle: T\nsummary: S.\nminor: missing_date, missing_message_id\n---\n\n## One {#one}\n\nText.\n\n```goal\nsession proto=smtp\n```\n"
	l, err := Parse("01-t.en.md", []byte(src))
	if err != nil || strings.Join(l.Minor, ",") != "missing_date,missing_message_id" {
		t.Fatalf("minor = %v, %v", l.Minor, err)
	}
	if _, err := Parse("01-t.en.md", []byte(strings.Replace(src, "missing_date", "missing_cake", 1))); err == nil || !strings.Contains(err.Error(), "missing_cake") {
		t.Errorf("an unknown minor warning: %v", err)
	}
}

// TestBuiltinBecauseKeys: every because= of a built-in goal names at least
// one explanation the engines can give, so a misspelt key cannot leave a
// step that never ticks. (Others may name replies an engine is still to
// give in some setups, such as a relay.)
func TestBuiltinBecauseKeys(t *testing.T) {
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, k := range catalog.Keys(catalog.EN) {
		known[strings.TrimPrefix(k, "reason.")] = true
	}
	for _, slug := range lib.Slugs() {
		l, _ := lib.Get("en", slug)
		for _, s := range l.Steps {
			for _, c := range s.Goal {
				if v, ok := c.Args["because"]; ok && !slices.ContainsFunc(strings.Split(v, "|"), func(k string) bool { return known[k] }) {
					t.Errorf("%s/%s: because=%s names no explanation of the catalog", slug, s.ID, v)
				}
			}
		}
	}
}

package lessons

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"smtplab/sandbox"
)

// classBcc is the built-in class lesson, filled in for lea (testClass).
func classBcc(t *testing.T, locale string) *Lesson {
	t.Helper()
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	l := lib.bySlug["class-bcc"][locale]
	if l == nil {
		t.Fatalf("no built-in lesson class-bcc in %s", locale)
	}
	if l.World != WorldClass {
		t.Fatalf("class-bcc: world %q", l.World)
	}
	return l.ForClass(testClass)
}

// send is one SMTP transaction from lea, with these recipients and header
// lines (From, Date and Message-ID are added).
func send(rcpts []string, header ...string) []string {
	lines := []string{"MAIL FROM:<lea@class.test>"}
	for _, r := range rcpts {
		lines = append(lines, "RCPT TO:<"+r+">")
	}
	lines = append(lines, "DATA", "From: lea@class.test", "Date: Fri, 16 Jan 2026 10:30:00 +0100",
		"Message-ID: <try@class.test>")
	lines = append(lines, header...)
	return append(lines, "Subject: Thursday", "", "Shall we study together?", ".")
}

// TestClassBccWrongAttempts plays the usual wrong answers to the message
// step of class-bcc: none may tick it, while the right ones do.
func TestClassBccWrongAttempts(t *testing.T) {
	l := classBcc(t, "en")
	connect := []string{"telnet mail.class.test 25", "EHLO pc-lea.class.test"}
	tom, zoe, lea := "tom@class.test", "zoe@class.test", "lea@class.test"
	tests := []struct {
		name  string
		lines []string
		done  string // steps ticked
	}{
		{"right, with a Bcc line", send([]string{tom, zoe}, "To: "+tom, "Bcc: "+zoe), "connect,send"},
		{"right, without a Bcc line", send([]string{tom, zoe}, "To: "+tom), "connect,send"},
		{"right, in Cc and Bcc", send([]string{tom, zoe}, "Cc: "+tom, "Bcc: "+zoe), "connect,send"},
		{"right, with the teacher hidden as well", send([]string{tom, zoe, "postmaster@class.test"}, "To: "+tom), "connect,send"},

		{"a Bcc line but no RCPT TO for it", send([]string{tom}, "To: "+tom, "Bcc: "+zoe), "connect"},
		{"a Bcc line with no RCPT TO, and a copy to oneself", send([]string{tom, lea}, "To: "+tom, "Bcc: "+zoe), "connect"},
		{"a Bcc line with no RCPT TO, and the teacher", send([]string{tom, "postmaster@class.test"}, "To: "+tom, "Bcc: "+zoe), "connect"},
		{"both in To", send([]string{tom, zoe}, "To: "+tom+", "+zoe), "connect"},
		{"one in To, one in Cc", send([]string{tom, zoe}, "To: "+tom, "Cc: "+zoe), "connect"},
		{"both in To, a hidden copy to oneself", send([]string{tom, zoe, lea}, "To: "+tom+", "+zoe), "connect"},
		{"both hidden", send([]string{tom, zoe}, "To: undisclosed-recipients:;"), "connect"},
		{"only one classmate", send([]string{tom}, "To: "+tom), "connect"},
		{"one classmate, and oneself in Bcc", send([]string{tom, lea}, "To: "+tom, "Bcc: "+lea), "connect"},
		{"the same classmate twice", send([]string{tom, tom}, "To: "+tom), "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, evs := playLesson(t, l, append(connect, tt.lines...)...)
			c := NewChecker(l, w)
			for _, ev := range evs {
				c.Observe(ev)
			}
			if got := strings.Join(c.Done(), ","); got != tt.done {
				t.Errorf("done %q, want %q", got, tt.done)
			}
		})
	}
}

// TestClassBccPracticeServer: the right message, sent on the practice
// server beside the class's, ticks nothing of a class lesson.
func TestClassBccPracticeServer(t *testing.T) {
	l := classBcc(t, "fr")
	w, evs := playLesson(t, l, "telnet mail.example.test 25", "EHLO client.example.test",
		"MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "RCPT TO:<carol@example.test>",
		"DATA", "From: alice@example.test", "To: bob@example.test", "Subject: Party", "", "Hi", ".",
		"EXPN team", "QUIT")
	c := NewChecker(l, w)
	for _, ev := range evs {
		c.Observe(ev)
	}
	if got := c.Done(); len(got) != 0 {
		t.Errorf("the practice server ticked %v", got)
	}
	// The same lesson not filled in for a class has no server to tell
	// them apart, and counts everything.
	c = NewChecker(lessonsByID(t, "class-bcc"), w)
	for _, ev := range evs {
		c.Observe(ev)
	}
	if got := len(c.Done()); got != 3 {
		t.Errorf("unfilled lesson: %d steps done, want 3", got)
	}
}

func lessonsByID(t *testing.T, slug string) *Lesson {
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	l, _ := lib.Get("en", slug)
	return l
}

// TestClassBccSolutionMessage checks what the lesson says of its solution:
// the only analysis warning is the removed Bcc line, and each copy names
// only what its reader may know.
func TestClassBccSolutionMessage(t *testing.T) {
	l := classBcc(t, "en")
	var lines []string
	for _, s := range l.Steps {
		lines = append(lines, s.Solution...)
	}
	w, evs := playLesson(t, l, lines...)
	var msgs []*sandbox.Accepted
	for _, ev := range evs {
		if ev.Message != nil {
			msgs = append(msgs, ev.Message)
		}
	}
	if len(msgs) != 1 {
		t.Fatalf("%d messages accepted, want 1", len(msgs))
	}
	a := msgs[0].Analysis
	var warnings []string
	for _, w := range a.Warnings {
		warnings = append(warnings, w.Key)
	}
	if strings.Join(warnings, ",") != "bcc_removed" {
		t.Errorf("warnings %v, want only bcc_removed", warnings)
	}
	verdicts := map[string]string{}
	for _, v := range a.Verdicts {
		verdicts[v.Address] = v.Verdict
	}
	if verdicts["tom@class.test"] != sandbox.DeliveredListed || verdicts["zoe@class.test"] != sandbox.DeliveredHidden || len(verdicts) != 2 {
		t.Errorf("verdicts %v", verdicts)
	}
	copyOf := func(box string) string {
		ms := w.Store.Messages(box)
		if len(ms) != 1 {
			t.Fatalf("%s has %d messages, want 1", box, len(ms))
		}
		return string(ms[0].Raw)
	}
	toms, zoes := copyOf("tom"), copyOf("zoe")
	if strings.Contains(strings.ToLower(toms), "zoe") {
		t.Errorf("tom's copy names zoe:\n%s", toms)
	}
	if strings.Contains(zoes, "Bcc:") || !strings.Contains(zoes, "To: tom@class.test") || !strings.Contains(zoes, "for <zoe@class.test>") {
		t.Errorf("zoe's copy is not as the lesson describes it:\n%s", zoes)
	}
	if n := len(w.Store.Messages("lea")); n != 0 {
		t.Errorf("lea got %d copies of her own message", n)
	}
}

// TestClassLessonFrenchTypography: the French prose of the class lesson
// (outside code) has non-breaking spaces before : ; ? ! and inside
// guillemets, and typographic apostrophes.
func TestClassLessonFrenchTypography(t *testing.T) {
	src, err := builtin.ReadFile("content/17-class-bcc.fr.md")
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile("`[^`]*`")
	bad := []struct {
		re  *regexp.Regexp
		why string
	}{
		{regexp.MustCompile(`[^\x{00a0}][;?!]|[^\x{00a0}\S]:|[^\s\x{00a0}]:\s`), "no non-breaking space before : ; ? !"},
		{regexp.MustCompile(`«[^\x{00a0}]|[^\x{00a0}]»`), "no non-breaking space inside « »"},
		{regexp.MustCompile(`'`), "a straight apostrophe"},
		{regexp.MustCompile(`"`), "straight quotes"},
	}
	inFence, front := false, 0
	for i, line := range strings.Split(string(src), "\n") {
		if front < 2 {
			if line == "---" {
				front++
			}
			continue
		}
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if inFence || strings.HasPrefix(line, "```") {
			continue
		}
		prose := code.ReplaceAllString(line, "CODE")
		for _, b := range bad {
			if m := b.re.FindString(prose); m != "" {
				t.Errorf("line %d: %s: %q", i+1, b.why, m)
			}
		}
	}
}

func TestForClass(t *testing.T) {
	src := "---\ntitle: Class\nsummary: S\nworld: class\n---\n\nHello {{me}}, on `{{host}}`.\n\n" +
		"## Send {#send}\n\nWrite to **{{mate1}}** and {{mate2}} at {{domain}}.\n\n" +
		"```goal\nmessage rcpts=2\n```\n\n```hint\n`RCPT TO:<{{mate1}}@{{domain}}>`\n```\n\n" +
		"```solution\ntelnet {{host}} 25\nMAIL FROM:<{{me}}@{{domain}}>\n```\n"
	l, err := Parse("01-class.en.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	v := ClassVars{Host: "mail.b.test", Domain: "b.test", Me: `<i>"me"&'you'</i>`, Mate1: "tom", Mate2: "<script>x</script>"}
	c := l.ForClass(v)
	if c == l || &c.Steps[0] == &l.Steps[0] {
		t.Fatal("ForClass did not copy the lesson")
	}
	for _, want := range []string{"Hello &lt;i&gt;&#34;me&#34;&amp;&#39;you&#39;&lt;/i&gt;,", "<code>mail.b.test</code>"} {
		if !strings.Contains(c.Intro, want) {
			t.Errorf("intro %s lacks %s", c.Intro, want)
		}
	}
	s := c.Steps[0]
	if !strings.Contains(s.Text, "<strong>tom</strong> and &lt;script&gt;x&lt;/script&gt; at b.test") || strings.Contains(s.Text, "<script>") {
		t.Errorf("text %s", s.Text)
	}
	if !strings.Contains(s.Hint, "<code>RCPT TO:&lt;tom@b.test&gt;</code>") {
		t.Errorf("hint %s", s.Hint)
	}
	if want := []string{"telnet mail.b.test 25", `MAIL FROM:<<i>"me"&'you'</i>@b.test>`}; !slices.Equal(s.Solution, want) {
		t.Errorf("solution %q, want %q", s.Solution, want)
	}
	// The lesson itself keeps its placeholders, for the next student.
	if !strings.Contains(l.Intro, "{{me}}") || l.Steps[0].Solution[0] != "telnet {{host}} 25" || l.class != nil {
		t.Errorf("ForClass changed the lesson: %s %v", l.Intro, l.Steps[0].Solution)
	}
	if c.World != WorldClass || l.World != WorldClass {
		t.Errorf("world %q", c.World)
	}
	// A lesson without world: is a practice lesson.
	p, err := Parse("01-p.en.md", []byte("---\ntitle: T\nsummary: S\n---\n## A {#a}\n```goal\nsession\n```\n"))
	if err != nil || p.World != WorldPractice {
		t.Errorf("default world %q, %v", p.World, err)
	}
}

// TestPlaceholderErrors: each misuse of a placeholder, or a bad world,
// stops the file with its name and the line of the mistake.
func TestPlaceholderErrors(t *testing.T) {
	head := func(world string) string {
		return "---\ntitle: T\nsummary: S\n" + world + "---\n\nIntro.\n\n## Step {#one}\n\n"
	}
	goal := "\n```goal\nsession proto=smtp\n```\n"
	class := head("world: class\n")
	tests := []struct {
		src, at, want string // at: text on the line the error names
	}{
		{head("") + "Connect to {{host}}.\n" + goal, "Connect to",
			"placeholder {{host}} in a practice lesson: placeholders need world: class in the front matter"},
		{head("") + "Text.\n" + goal + "\n```solution\ntelnet {{host}} 25\n```\n", "telnet",
			"placeholder {{host}} in a practice lesson"},
		{head("") + "Text.\n" + goal + "\n```hint\nType {{me}}.\n```\n", "Type",
			"placeholder {{me}} in a practice lesson"},
		{class + "Write to {{teacher}}.\n" + goal, "Write to",
			"unknown placeholder {{teacher}} (known: {{host}}, {{domain}}, {{me}}, {{mate1}}, {{mate2}})"},
		{class + "Write to {{ me }}.\n" + goal, "Write to", "unknown placeholder {{ me }}"},
		{head("") + "Write to {{Me}}.\n" + goal, "Write to", "unknown placeholder {{Me}}"},
		{class + "Text.\n\n```goal\nmailbox user={{mate1}}\n```\n", "mailbox",
			"placeholder {{mate1}} cannot be used in a goal, only in the text, hints, solutions and near misses"},
		{class + "Text.\n" + goal + "\n```replay\nproto: smtp\nC: HELO {{host}}\n```\n", "HELO",
			"placeholder {{host}} cannot be used in a replay"},
		{class + "Text.\n" + goal + "\n```quiz\nC: MAIL TO:<{{me}}@x> !! no\n```\n", "MAIL TO",
			"placeholder {{me}} cannot be used in a quiz"},
		{"---\ntitle: Hello {{me}}\nsummary: S\nworld: class\n---\n## A {#a}\n" + goal, "title:",
			"placeholder {{me}} cannot be used in the front matter"},
		{class + "Text.\n" + goal + "## Write to {{mate1}} {#two}\n" + goal, "## Write",
			"placeholder {{mate1}} cannot be used in a step title"},
		{class + "Text {{host}}.\n\nSee [the server](http://{{host}}/).\n" + goal, "See [",
			"placeholder {{host}} is lost when the text is rendered"},
		{class + "Text.\n" + goal + "\n```hint\nAsk\n\n<div>{{me}}</div>\n```\n", "<div>",
			"placeholder {{me}} is lost when the text is rendered"},
		{head("world: school\n") + "Text.\n" + goal, "world:", `world must be practice or class, not "school"`},
	}
	for _, tt := range tests {
		line := strings.Count(tt.src[:strings.Index(tt.src, tt.at)], "\n") + 1
		want := "01-x.en.md:" + strconv.Itoa(line) + ": " + tt.want
		_, err := Parse("01-x.en.md", []byte(tt.src))
		var le *Error
		if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v\nwant  %s\nin:\n%s", err, want, tt.src)
		}
	}
}

// TestWorldMismatch: a lesson whose languages disagree on its world is left
// out, with the reason.
func TestWorldMismatch(t *testing.T) {
	dir := t.TempDir()
	body := "---\ntitle: T\nsummary: S\n%s---\n## A {#a}\n```goal\nsession\n```\n"
	os.WriteFile(filepath.Join(dir, "01-w.fr.md"), []byte(fmt.Sprintf(body, "world: class\n")), 0o644)
	os.WriteFile(filepath.Join(dir, "01-w.en.md"), []byte(fmt.Sprintf(body, "")), 0o644)
	lib, errs := LoadDir(dir)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "01-w.en.md: world is practice here but class in the other language") {
		t.Errorf("errors %v", errs)
	}
	if len(lib.Slugs()) != 0 {
		t.Errorf("loaded %v", lib.Slugs())
	}
}

package lessons

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseLesson(t *testing.T) {
	src, err := os.ReadFile("testdata/good/01-demo.en.md")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Parse("01-demo.en.md", src)
	if err != nil {
		t.Fatal(err)
	}
	if l.Slug != "demo" || l.Number != 1 || l.Locale != "en" || l.Title != "Demo" {
		t.Errorf("lesson = %+v", l)
	}
	if strings.Contains(l.Intro, "<script") || !strings.Contains(l.Intro, "<em>introduction</em>") {
		t.Errorf("intro = %s", l.Intro)
	}
	if len(l.Steps) != 3 {
		t.Fatalf("%d steps", len(l.Steps))
	}
	s := l.Steps[0]
	if s.ID != "hello" || s.Title != "Say hello" || len(s.Goal) != 2 || !strings.Contains(s.Hint, "<strong>HELO</strong>") ||
		len(s.Solution) != 2 || strings.Contains(s.Text, "goal") || !strings.Contains(s.Text, "<code>HELO</code>") {
		t.Errorf("step 1 = %+v", s)
	}
	if r := l.Steps[1].Replay; r == nil || r.Proto != "smtp" || len(r.Lines) != 2 {
		t.Errorf("replay = %+v", r)
	}
	q := l.Steps[2].Quiz
	if q == nil || len(q.Lines) != 6 || q.Mistakes() != 2 || q.Lines[2].Text != "MAIL TO:<bob@example.test>" || !q.Lines[2].Client {
		t.Errorf("quiz = %+v", q)
	}
}

// TestBrokenFiles checks that each broken lesson is refused with its file
// and line, and that the good lesson beside them still loads.
func TestBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	for _, pattern := range []string{"testdata/broken/*", "testdata/good/*"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			b, _ := os.ReadFile(f)
			os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644)
		}
	}
	lib, errs := LoadDir(dir)
	var all []string
	for _, e := range errs {
		all = append(all, e.Error())
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{
		"02-unknown.en.md:10: unknown goal condition \"teleport\"",
		"03-badkey.en.md:9: condition reply has no key \"colour\"",
		"04-nogoal.en.md:6: step one has no goal block",
		"05-noid.en.md:6: a step heading must end with its id",
		"06-nofront.en.md:1: the file must start with front matter",
		"07-mismatch.en.md: step two has a different goal in the other language",
		"08-unclosed.en.md:6: a fenced block is not closed",
		"09-placeholder.en.md:8: placeholder {{host}} in a practice lesson",
		"bad-name.md: file name must look like",
	} {
		if !strings.Contains(joined, filepath.Join(dir, want)) && !strings.Contains(joined, want) {
			t.Errorf("no error %q in:\n%s", want, joined)
		}
		if !strings.Contains(joined, dir) {
			t.Errorf("errors do not name the directory %s", dir)
		}
	}
	if got := lib.Slugs(); len(got) != 1 || got[0] != "demo" {
		t.Errorf("loaded %v, want only demo", got)
	}
}

func TestLoadDirMissing(t *testing.T) {
	_, errs := LoadDir(filepath.Join(t.TempDir(), "nope"))
	if len(errs) != 1 {
		t.Fatalf("errors %v", errs)
	}
}

func TestCheckerTicksInOrder(t *testing.T) {
	src, _ := os.ReadFile("testdata/good/01-demo.en.md")
	l, _ := Parse("01-demo.en.md", src)
	w, evs := play(t, "telnet mail.example.test 25", "EHLO x.test", "MAIL FROM:<alice@example.test>",
		"RCPT TO:<bob@example.test>", "RCPT TO:<carol@example.test>")
	c := NewChecker(l, w)
	for _, ev := range evs {
		c.Observe(ev)
	}
	// EHLO is not HELO: step 1 is not done, so step 2 waits even though it holds.
	if got := c.Done(); len(got) != 0 {
		t.Fatalf("done %v, want none", got)
	}
	w2, evs2 := play(t, "telnet mail.example.test 25", "HELO x.test", "MAIL FROM:<alice@example.test>",
		"RCPT TO:<bob@example.test>", "RCPT TO:<carol@example.test>")
	c = NewChecker(l, w2)
	for _, ev := range evs2 {
		c.Observe(ev)
	}
	if got := strings.Join(c.Done(), ","); got != "hello,two" {
		t.Fatalf("done %q, want hello,two", got)
	}
	if !answerQuiz(c, l.Steps[2]) || strings.Join(c.Done(), ",") != "hello,two,quiz" {
		t.Errorf("quiz not ticked: %v", c.Done())
	}
	c.Restart()
	if len(c.Done()) != 0 {
		t.Error("restart kept progress")
	}
}

// TestLessonFileTooBig: a teacher's huge file is reported and skipped
// without being read; the other lessons load.
func TestLessonFileTooBig(t *testing.T) {
	fsys := fstest.MapFS{
		"01-demo.en.md": {Data: []byte("---\ntitle: Demo\nsummary: A demo.\n---\n\n## One {#one}\n\nText.\n\n```goal\nsession proto=smtp\n```\n")},
		"02-huge.en.md": {Data: make([]byte, MaxLessonFile+1)},
	}
	lib, errs := Load(fsys, ".")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "02-huge.en.md") || !strings.Contains(errs[0].Error(), "MaxLessonFile") {
		t.Fatalf("errors: %v", errs)
	}
	if _, ok := lib.Get("en", "demo"); !ok {
		t.Error("the good lesson did not load")
	}
}

const nearMissLesson = `---
title: Near misses
summary: Hints and near misses.
---

## Greet {#greet}

` + "```goal\nreply verb=HELO|EHLO code=250\n```\n\n```hint\nA nudge.\n```\n\n```hint\nThe **answer** in words.\n```\n\n" +
	"```solution\ntelnet mail.example.test 25\nHELO client.example.test\n```\n\n" +
	"```nearmiss\ntelnet mail.example.test 25\nHELO\n---\ntelnet mail.example.test 25\nHELLO client.example.test\n```\n\n" +
	"```nearmiss\ntelnet mail.example.test 110\n```\n"

// TestHintsAndNearMisses: several hint blocks keep the first in Hint; near
// misses are attempts separated by ---, from one or more blocks.
func TestHintsAndNearMisses(t *testing.T) {
	l, err := Parse("01-nm.en.md", []byte(nearMissLesson))
	if err != nil {
		t.Fatal(err)
	}
	s := l.Steps[0]
	if len(s.Hints) != 2 || s.Hint != s.Hints[0] || !strings.Contains(s.Hint, "nudge") || !strings.Contains(s.Hints[1], "<strong>answer</strong>") {
		t.Errorf("hints = %q, hint = %q", s.Hints, s.Hint)
	}
	want := "telnet mail.example.test 25\nHELO|telnet mail.example.test 25\nHELLO client.example.test|telnet mail.example.test 110"
	var got []string
	for _, nm := range s.NearMisses {
		got = append(got, strings.Join(nm, "\n"))
	}
	if strings.Join(got, "|") != want {
		t.Errorf("near misses = %q", s.NearMisses)
	}
	for _, bad := range []string{"```nearmiss\n---\nHELO\n```\n", "```nearmiss\n```\n", "```nearmiss\nHELO\n---\n```\n"} {
		src := strings.Replace(nearMissLesson, "```nearmiss\ntelnet mail.example.test 110\n```\n", bad, 1)
		if _, err := Parse("01-nm.en.md", []byte(src)); err == nil || !strings.Contains(err.Error(), "empty near miss") {
			t.Errorf("%q: error %v, want an empty near miss", bad, err)
		}
	}
	// The languages must have the same near misses, and as many hints.
	fr := strings.Replace(nearMissLesson, "HELLO client", "HELO client", 1)
	_, errs := Load(fstest.MapFS{"01-nm.en.md": {Data: []byte(nearMissLesson)}, "01-nm.fr.md": {Data: []byte(fr)}}, ".")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "different near misses") {
		t.Errorf("errors %v, want different near misses", errs)
	}
	fr = strings.Replace(nearMissLesson, "```hint\nA nudge.\n```\n", "", 1)
	_, errs = Load(fstest.MapFS{"01-nm.en.md": {Data: []byte(nearMissLesson)}, "01-nm.fr.md": {Data: []byte(fr)}}, ".")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "different number of hints") {
		t.Errorf("errors %v, want a different number of hints", errs)
	}
}

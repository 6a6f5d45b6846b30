package lessons

import (
	"strings"
	"testing"
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
			if strings.Join(fr.Steps[i].Solution, "\n") != strings.Join(en.Steps[i].Solution, "\n") {
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
		parts = append(parts, s.Solution...)
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
				c.Quiz(s.ID, s.Quiz.Mistakes())
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

package lessons

import (
	"os"
	"strings"
	"testing"
)

// answerQuiz marks the faulty lines of s's quiz one by one, as a student
// who found them all would; it reports whether an answer ticked more steps.
func answerQuiz(c *Checker, s Step) bool {
	more := false
	for i, l := range s.Quiz.Lines {
		if l.Mistake != "" {
			_, m, _ := c.AnswerQuiz(s.ID, []int{i})
			more = more || m
		}
	}
	return more
}

func demoQuiz(t *testing.T) (*Lesson, Step) {
	t.Helper()
	src, err := os.ReadFile("testdata/good/01-demo.en.md")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Parse("01-demo.en.md", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Steps {
		if s.Quiz != nil {
			return l, s
		}
	}
	t.Fatal("the demo lesson has no quiz")
	return nil, Step{}
}

// quizOnly is the demo lesson cut down to its quiz step, so that picks
// alone decide whether it ticks.
func quizOnly(t *testing.T) (*Checker, Step) {
	l, s := demoQuiz(t)
	cut := *l
	cut.Steps = []Step{s}
	return NewChecker(&cut, nil), s
}

func every(s Step) []int {
	all := make([]int, len(s.Quiz.Lines))
	for i := range all {
		all[i] = i
	}
	return all
}

// TestQuizEveryLine: a student who marks every line finds every mistake,
// and the quiz still does not tick, and takes no more answers; after
// QuizAgain, the mistakes alone tick it.
func TestQuizEveryLine(t *testing.T) {
	c, s := quizOnly(t)
	if right := len(s.Quiz.Lines) - s.Quiz.Mistakes(); right <= MaxQuizMisses {
		t.Fatalf("the demo quiz has %d right lines: too few to test MaxQuizMisses (%d)", right, MaxQuizMisses)
	}
	st, more, ok := c.AnswerQuiz(s.ID, every(s))
	if !ok || more || len(c.Done()) != 0 {
		t.Fatalf("marking every line ticked the quiz: %+v", st)
	}
	if !st.Locked || st.Found != s.Quiz.Mistakes() || st.Misses != len(s.Quiz.Lines)-s.Quiz.Mistakes() {
		t.Errorf("after every line: %+v, want every line scored and the quiz locked", st)
	}
	if st, _, _ := c.AnswerQuiz(s.ID, nil); len(c.Done()) != 0 || !st.Locked {
		t.Errorf("a locked quiz ticked: %+v", st)
	}
	st, ok = c.QuizAgain(s.ID)
	if !ok || len(st.Picks) != 0 || st.Locked {
		t.Fatalf("QuizAgain: %+v %v", st, ok)
	}
	if !answerQuiz(c, s) || len(c.Done()) != 1 {
		t.Errorf("finding the mistakes after QuizAgain does not tick: %v", c.Done())
	}
}

// TestQuizPicks: an answer says whether each line is wrong, with the
// lesson's reason; a line answered twice counts once; a few wrong picks
// are allowed; a step or line that does not exist is refused.
func TestQuizPicks(t *testing.T) {
	c, s := quizOnly(t)
	wrong, right := -1, -1
	for i, l := range s.Quiz.Lines {
		if l.Mistake != "" && wrong < 0 {
			wrong = i
		}
		if l.Mistake == "" && right < 0 {
			right = i
		}
	}
	st, _, ok := c.AnswerQuiz(s.ID, []int{wrong})
	if !ok || st.Found != 1 || len(st.Picks) != 1 || st.Picks[0].Mistake != s.Quiz.Lines[wrong].Mistake {
		t.Fatalf("picking a wrong line: %+v", st)
	}
	st, _, _ = c.AnswerQuiz(s.ID, []int{wrong, wrong})
	if st.Found != 1 || len(st.Picks) != 1 {
		t.Errorf("the same line twice: %+v", st)
	}
	for range MaxQuizMisses {
		st, _, _ = c.AnswerQuiz(s.ID, []int{right})
	}
	if st.Misses != 1 || st.Picks[1].Mistake != "" {
		t.Errorf("a right line: %+v", st)
	}
	for _, bad := range []struct {
		step string
		line int
	}{{s.ID, -1}, {s.ID, len(s.Quiz.Lines)}, {"no-such-step", 0}} {
		if _, _, ok := c.AnswerQuiz(bad.step, []int{bad.line}); ok {
			t.Errorf("AnswerQuiz(%q, %d) accepted", bad.step, bad.line)
		}
	}
	if got := c.QuizStates(); len(got) != 1 || got[0].Found != 1 {
		t.Errorf("QuizStates: %+v", got)
	}
	for i, l := range s.Quiz.Lines {
		if l.Mistake != "" && i != wrong {
			c.AnswerQuiz(s.ID, []int{i})
		}
	}
	if len(c.Done()) != 1 {
		t.Errorf("every mistake found with one wrong pick: not ticked")
	}
}

// TestBuiltinQuizzesEveryLine: no built-in quiz, in either language,
// ticks when every line is marked.
func TestBuiltinQuizzesEveryLine(t *testing.T) {
	lib, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, slug := range lib.Slugs() {
		for _, loc := range []string{"fr", "en"} {
			l := lib.bySlug[slug][loc]
			for _, s := range l.Steps {
				if s.Quiz == nil {
					continue
				}
				n++
				cut := *l
				cut.Steps = []Step{s}
				c := NewChecker(&cut, nil)
				if c.AnswerQuiz(s.ID, every(s)); len(c.Done()) != 0 {
					t.Errorf("%s.%s/%s: marking every line ticks the quiz", slug, loc, s.ID)
				}
				if right := len(s.Quiz.Lines) - s.Quiz.Mistakes(); right <= MaxQuizMisses {
					t.Errorf("%s.%s/%s: only %d right lines, so marking every line passes", slug, loc, s.ID, right)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no built-in quiz")
	}
}

// TestQuizTooLong: a quiz of more than MaxQuizLines lines stops its file
// from loading, with the limit named.
func TestQuizTooLong(t *testing.T) {
	var b strings.Builder
	b.WriteString("---\ntitle: Long\nsummary: A long quiz.\n---\n\n## Quiz {#quiz}\n\nFind it.\n\n```quiz\nC: MAIL TO:<x@example.test> !! wrong\n")
	for range MaxQuizLines {
		b.WriteString("S: 250 ok\n")
	}
	b.WriteString("```\n\n```goal\nquiz found=1\n```\n")
	if _, err := Parse("01-long.en.md", []byte(b.String())); err == nil || !strings.Contains(err.Error(), "MaxQuizLines") {
		t.Errorf("a quiz of %d lines: %v", MaxQuizLines+1, err)
	}
	// At the limit, it loads.
	at := strings.Replace(b.String(), "S: 250 ok\n", "", 1)
	if _, err := Parse("01-long.en.md", []byte(at)); err != nil {
		t.Errorf("a quiz of %d lines: %v", MaxQuizLines, err)
	}
}

package server_test

import (
	"encoding/json"
	"html"
	"slices"
	"strings"
	"testing"

	"smtplab/lessons"
	"smtplab/web"
)

// quizLesson is the first built-in lesson with a quiz, in locale loc, and
// its first quiz step.
func quizLesson(t *testing.T, loc string) (*lessons.Lesson, lessons.Step) {
	t.Helper()
	for _, l := range builtin(t).List(loc) {
		for _, s := range l.Steps {
			if s.Quiz != nil && l.World != lessons.WorldClass {
				return l, s
			}
		}
	}
	t.Fatal("no built-in lesson with a quiz")
	return nil, lessons.Step{}
}

type quizAnswer struct {
	T     string `json:"t"`
	Step  string `json:"step"`
	Picks []struct {
		Line  int    `json:"line"`
		Wrong bool   `json:"wrong"`
		Why   string `json:"why"`
	} `json:"picks"`
	Found     int  `json:"found"`
	Misses    int  `json:"misses"`
	Mistakes  int  `json:"mistakes"`
	Locked    bool `json:"locked"`
	MaxMisses int  `json:"maxMisses"`
}

func asQuiz(t *testing.T, m srvMsg) quizAnswer {
	t.Helper()
	var q quizAnswer
	if err := json.Unmarshal([]byte(m.frame), &q); err != nil || q.T != "quiz" {
		t.Fatalf("not a quiz answer: %s", m)
	}
	return q
}

// TestQuizPageHidesAnswers: a quiz page says nothing of which lines are
// wrong, nor why, in either language: not in an attribute, not in hidden
// text.
func TestQuizPageHidesAnswers(t *testing.T) {
	ts, _ := app(t)
	for _, loc := range []string{"fr", "en"} {
		l, _ := quizLesson(t, loc)
		body := get(t, ts.URL+"/lessons/"+l.Slug, map[string]string{"Cookie": "smtplab_lang=" + loc}).body
		if !strings.Contains(body, `class="quiz-line`) {
			t.Fatalf("%s: the page shows no quiz", loc)
		}
		if strings.Contains(body, "data-wrong") {
			t.Errorf("%s: the page marks the wrong lines (data-wrong)", loc)
		}
		for _, s := range l.Steps {
			if s.Quiz == nil {
				continue
			}
			for _, line := range s.Quiz.Lines {
				if line.Mistake != "" && (strings.Contains(body, html.EscapeString(line.Mistake)) || strings.Contains(body, line.Mistake)) {
					t.Errorf("%s/%s: the page holds the explanation of a mistake: %q", loc, s.ID, line.Mistake)
				}
			}
		}
	}
}

// TestWSQuiz: marking every line finds every mistake and ticks nothing,
// and the quiz locks; started again, the faulty lines alone tick it, and
// each answer tells, for the lines marked only, whether they were wrong
// and why. A page opened later gets the answers already made.
func TestWSQuiz(t *testing.T) {
	ts, _ := app(t)
	l, s := quizLesson(t, "en")
	first := -1
	for i, st := range l.Steps {
		if st.ID == s.ID {
			first = i
		}
	}
	var done []string
	for _, st := range l.Steps[:first] {
		done = append(done, st.ID)
	}
	visitor := newVisitor(ts)
	c := connect(t, ts, visitor, "en")
	welcome, _, _ := c.hello(map[string]any{"page": "lesson", "lesson": l.Slug, "done": done})

	every := make([]int, len(s.Quiz.Lines))
	for i := range every {
		every[i] = i
	}
	c.send(map[string]any{"t": "quiz", "step": s.ID, "picks": every})
	m, _ := c.untilT("quiz")
	q := asQuiz(t, m)
	if !q.Locked || q.Found != s.Quiz.Mistakes() || q.Misses != len(every)-s.Quiz.Mistakes() || q.MaxMisses != lessons.MaxQuizMisses {
		t.Errorf("every line marked: %+v", q)
	}
	if got := c.sync(); slices.ContainsFunc(got, func(m srvMsg) bool { return m.T == "progress" && slices.Contains(m.Done, s.ID) }) {
		t.Fatalf("marking every line ticked the quiz:\n%s", dump(got))
	}

	c.send(map[string]any{"t": "quiz-again", "step": s.ID})
	if q := asQuiz(t, c.read()); len(q.Picks) != 0 || q.Locked || q.Found != 0 {
		t.Fatalf("after quiz-again: %+v", q)
	}
	// One right line: told it is right, in the page's language.
	right := slices.IndexFunc(s.Quiz.Lines, func(l lessons.QuizLine) bool { return l.Mistake == "" })
	c.send(map[string]any{"t": "quiz", "step": s.ID, "picks": []int{right}})
	q = asQuiz(t, c.read())
	if len(q.Picks) != 1 || q.Picks[0].Wrong || q.Picks[0].Why != web.T("en", "quiz.fine") || q.Misses != 1 {
		t.Errorf("a right line marked: %+v", q)
	}
	// Then each faulty line, one by one: only the last one ticks the step.
	for i, line := range s.Quiz.Lines {
		if line.Mistake == "" {
			continue
		}
		c.send(map[string]any{"t": "quiz", "step": s.ID, "picks": []int{i}})
		q = asQuiz(t, c.read())
		p := q.Picks[len(q.Picks)-1]
		if p.Line != i || !p.Wrong || p.Why != line.Mistake {
			t.Errorf("line %d: %+v, want it wrong because %q", i, p, line.Mistake)
		}
		if len(q.Picks) != q.Found+q.Misses {
			t.Errorf("the answer tells of lines not marked: %+v", q)
		}
	}
	c.until("the quiz ticked", progressWith(s.ID))

	// Lines that do not exist, or too many at once, are refused.
	for _, picks := range [][]int{{-1}, {len(s.Quiz.Lines)}, make([]int, lessons.MaxQuizLines+1)} {
		c.send(map[string]any{"t": "quiz", "step": s.ID, "picks": picks})
		if m := c.read(); !m.isError("bad_message") {
			t.Errorf("picks %v: %s", picks[:min(3, len(picks))], m)
		}
	}

	// A reload gets the quiz as it stands.
	c.ws.Close()
	c2 := connect(t, ts, visitor, "en")
	_, _, rest := c2.hello(map[string]any{"page": "lesson", "lesson": l.Slug, "terminal": welcome.Terminal})
	i := slices.IndexFunc(rest, func(m srvMsg) bool { return m.T == "quiz" })
	if i < 0 {
		t.Fatalf("a reload does not get the quiz back:\n%s", dump(rest))
	}
	if q := asQuiz(t, rest[i]); q.Found != s.Quiz.Mistakes() || q.Misses != 1 {
		t.Errorf("after a reload: %+v", q)
	}
}

// TestWSWhy: asked why a step has not ticked, the server answers with the
// checker's reasons, in the page's language; once the lesson is done, it
// says so.
func TestWSWhy(t *testing.T) {
	ts, _ := app(t)
	var l *lessons.Lesson
	for _, cand := range builtin(t).List("en") {
		if cand.Slug == "bcc" {
			l = cand
		}
	}
	if l == nil || len(l.Steps) < 2 || len(l.Steps[1].NearMisses) == 0 {
		t.Fatal("lesson bcc: no second step with near misses")
	}
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(map[string]any{"page": "lesson", "lesson": l.Slug})
	for _, line := range l.Steps[0].Solution {
		playLine(t, c, line)
	}
	c.until("the first step", progressWith(l.Steps[0].ID))
	// Bob in To, Carol in Cc: nobody hidden.
	for _, line := range l.Steps[1].NearMisses[0] {
		playLine(t, c, line)
	}
	c.untilReply(250)
	c.send(map[string]string{"t": "why"})
	m, _ := c.untilT("why")
	var why struct {
		Step    string   `json:"step"`
		Reasons []string `json:"reasons"`
	}
	json.Unmarshal([]byte(m.frame), &why)
	want := web.N("en", "why.message.hidden", 0, "want", "1")
	if why.Step != l.Steps[1].ID || len(why.Reasons) == 0 || why.Reasons[0] != want {
		t.Errorf("why: %+v, want first %q", why, want)
	}
	if strings.Contains(strings.Join(why.Reasons, " "), "{") {
		t.Errorf("a placeholder left in %q", why.Reasons)
	}
}

// TestWhyTextsExist: every reason the checker can give has its text in
// both languages, with its plural forms where it has them.
func TestWhyTextsExist(t *testing.T) {
	for _, loc := range web.Locales {
		keys := web.Keys(loc)
		for key, plural := range lessons.WhyKeys() {
			want := []string{key}
			if plural {
				want = []string{key + ".one", key + ".other"}
			}
			for _, k := range want {
				if !slices.Contains(keys, k) {
					t.Errorf("%s: no text %q", loc, k)
				}
			}
		}
	}
}

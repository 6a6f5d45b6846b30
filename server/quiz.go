package server

import (
	"smtplab/lessons"
	"smtplab/sandbox/catalog"
	"smtplab/web"
)

// A quiz's answers stay on the server. The page sends
// {"t":"quiz","step":S,"picks":[lines marked]} and hears back a quizMsg
// that says, for the lines marked only, whether each was wrong and why;
// {"t":"quiz-again","step":S} forgets the picks. {"t":"why"} asks why the
// current step has not ticked, answered by a whyMsg.

// quizMsg is how a quiz stands after an answer, or when a page opens.
type quizMsg struct {
	T        string     `json:"t"` // "quiz"
	Step     string     `json:"step"`
	Picks    []quizPick `json:"picks"`
	Found    int        `json:"found"`
	Misses   int        `json:"misses"`
	Mistakes int        `json:"mistakes"`
	Locked   bool       `json:"locked,omitempty"`
	// MaxMisses is how many right lines may be marked before the quiz
	// locks (lessons.MaxQuizMisses).
	MaxMisses int `json:"maxMisses"`
}

// quizPick is one line the student marked, as it turned out.
type quizPick struct {
	Line  int    `json:"line"`
	Wrong bool   `json:"wrong"`
	Why   string `json:"why"`
}

func newQuizMsg(st lessons.QuizState, l catalog.Locale) quizMsg {
	m := quizMsg{T: "quiz", Step: st.Step, Picks: []quizPick{}, Found: st.Found, Misses: st.Misses,
		Mistakes: st.Mistakes, Locked: st.Locked, MaxMisses: lessons.MaxQuizMisses}
	for _, p := range st.Picks {
		why := p.Mistake
		if why == "" {
			why = web.T(string(l), "quiz.fine")
		}
		m.Picks = append(m.Picks, quizPick{Line: p.Line, Wrong: p.Mistake != "", Why: why})
	}
	return m
}

// answerQuiz checks the lines the student marked in a step's quiz.
func (c *wsConn) answerQuiz(step string, lines []int) {
	run := c.lesson
	if run == nil {
		return
	}
	if len(lines) > lessons.MaxQuizLines {
		c.fail("bad_message")
		return
	}
	st, more, ok := run.checker.AnswerQuiz(step, lines)
	if !ok {
		c.fail("bad_message")
		return
	}
	c.sendJSON(newQuizMsg(st, c.locale))
	if more {
		run.progressed()
	}
}

// quizAgain lets the student answer a step's quiz anew.
func (c *wsConn) quizAgain(step string) {
	if c.lesson == nil {
		return
	}
	if st, ok := c.lesson.checker.QuizAgain(step); ok {
		c.sendJSON(newQuizMsg(st, c.locale))
	}
}

// sendQuizzes tells a page that opens how its quizzes stand.
func (c *wsConn) sendQuizzes() {
	for _, st := range c.lesson.checker.QuizStates() {
		if len(st.Picks) > 0 {
			c.sendJSON(newQuizMsg(st, c.locale))
		}
	}
}

// whyMsg tells the student why the current step has not ticked.
type whyMsg struct {
	T       string   `json:"t"` // "why"
	Step    string   `json:"step"`
	Reasons []string `json:"reasons"`
}

// why answers the student who asks why the current step has not ticked.
func (c *wsConn) why() {
	if c.lesson == nil {
		return
	}
	step, whys := c.lesson.checker.Why()
	m := whyMsg{T: "why", Step: step, Reasons: []string{}}
	for _, w := range whys {
		m.Reasons = append(m.Reasons, whyText(c.locale, w))
	}
	c.sendJSON(m)
}

// whyText writes one reason in locale l.
func whyText(l catalog.Locale, w lessons.Why) string {
	var kv []string
	for k, v := range w.Args {
		kv = append(kv, k, v)
	}
	if w.Warning != nil {
		text, _ := catalog.Text(l, "warning."+w.Warning.Key, w.Warning.Args)
		kv = append(kv, "warning", text)
	}
	if w.Plural {
		return web.N(string(l), w.Key, w.N, kv...)
	}
	return web.Tf(string(l), w.Key, kv...)
}

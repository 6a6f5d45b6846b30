package lessons

// A quiz is answered on the server: only the checker knows which lines are
// wrong, and the page learns whether a line holds a mistake once the
// student has marked it and asked, never before.

// MaxQuizLines bounds the lines of one quiz: a transcript a student reads
// through, and what one answer may name.
const MaxQuizLines = 100

// Pick is one line the student marked in a quiz, and what it turned out to be.
type Pick struct {
	Line    int    // index in Quiz.Lines
	Mistake string // why the line is wrong, from the lesson; "" for a right line
}

// QuizState is where a student stands in one step's quiz.
type QuizState struct {
	Step     string
	Picks    []Pick // in the order they were made
	Found    int    // mistakes found
	Misses   int    // right lines picked
	Mistakes int    // mistakes in the quiz
	// Locked: more than MaxQuizMisses right lines were picked; the quiz
	// takes no more picks until QuizAgain.
	Locked bool
}

// quizPicks is what a checker keeps of one quiz.
type quizPicks struct {
	picks         []Pick
	picked        map[int]bool
	found, misses int
}

func (q *quizPicks) locked() bool { return q.misses > MaxQuizMisses }

// quizStep finds the step with a quiz of that id. Called with mu held.
func (c *Checker) quizStep(step string) (Step, bool) {
	for _, s := range c.lesson.Steps {
		if s.ID == step && s.Quiz != nil {
			return s, true
		}
	}
	return Step{}, false
}

// AnswerQuiz checks the lines the student marked as wrong in step's quiz,
// all at once: each right line marked counts as a miss, each faulty one as
// found, and only then is the goal checked, so that marking every line
// finds every mistake and fails. It reports the quiz's state and whether
// more steps are now done; ok is false for a step with no quiz or a line
// that does not exist. A line already answered counts once; a locked quiz
// takes no answer.
func (c *Checker) AnswerQuiz(step string, lines []int) (st QuizState, more, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.quizStep(step)
	if !ok {
		return QuizState{}, false, false
	}
	for _, i := range lines {
		if i < 0 || i >= len(s.Quiz.Lines) {
			return QuizState{}, false, false
		}
	}
	q := c.quizzes[step]
	if q == nil {
		q = &quizPicks{picked: map[int]bool{}}
		c.quizzes[step] = q
	}
	if !q.locked() {
		for _, i := range lines {
			if q.picked[i] {
				continue
			}
			q.picked[i] = true
			p := Pick{Line: i, Mistake: s.Quiz.Lines[i].Mistake}
			q.picks = append(q.picks, p)
			if p.Mistake != "" {
				q.found++
			} else {
				q.misses++
			}
		}
		more = c.advance()
	}
	return c.quizState(s), more, true
}

// QuizAgain forgets the picks of step's quiz, so that the student can
// answer it anew (a ticked step stays ticked).
func (c *Checker) QuizAgain(step string) (QuizState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.quizStep(step)
	if !ok {
		return QuizState{}, false
	}
	delete(c.quizzes, step)
	return c.quizState(s), true
}

// QuizStates is the state of every quiz of the lesson, for a page that
// opens on it.
func (c *Checker) QuizStates() []QuizState {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []QuizState
	for _, s := range c.lesson.Steps {
		if s.Quiz != nil {
			out = append(out, c.quizState(s))
		}
	}
	return out
}

// quizState describes step s's quiz. Called with mu held.
func (c *Checker) quizState(s Step) QuizState {
	st := QuizState{Step: s.ID, Mistakes: s.Quiz.Mistakes()}
	if q := c.quizzes[s.ID]; q != nil {
		st.Picks = append([]Pick(nil), q.picks...)
		st.Found, st.Misses, st.Locked = q.found, q.misses, q.locked()
	}
	return st
}

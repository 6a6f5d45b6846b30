package lessons

import (
	"slices"
	"sync"

	"smtplab/sandbox"
)

// MaxCheckedEvents bounds the history a checker keeps for one lesson.
const MaxCheckedEvents = 20000

// Checker follows one student through one lesson: it sees the events of
// the student's terminal and ticks steps, in order, as their goals hold.
// A ticked step stays ticked. It is safe for concurrent use.
type Checker struct {
	lesson *Lesson
	world  *sandbox.World

	mu     sync.Mutex
	events []sandbox.Event
	found  map[string]int // step id → mistakes found in its quiz
	done   int            // steps ticked, from the first
}

// NewChecker starts checking l for a student whose mailboxes are in w.
func NewChecker(l *Lesson, w *sandbox.World) *Checker {
	return &Checker{lesson: l, world: w, found: map[string]int{}}
}

// Observe takes one event and reports whether more steps are now done.
func (c *Checker) Observe(ev sandbox.Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) < MaxCheckedEvents {
		c.events = append(c.events, ev)
	}
	return c.advance()
}

// Quiz records how many mistakes the student found in a step's quiz.
func (c *Checker) Quiz(step string, found int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.lesson.Steps {
		if s.ID == step && s.Quiz != nil {
			c.found[step] = max(c.found[step], min(found, s.Quiz.Mistakes()))
		}
	}
	return c.advance()
}

// Restart forgets everything: the student starts the lesson again.
func (c *Checker) Restart() {
	c.mu.Lock()
	c.events, c.found, c.done = nil, map[string]int{}, 0
	c.mu.Unlock()
}

// Done lists the ids of the steps ticked so far.
func (c *Checker) Done() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, c.done)
	for i := range c.done {
		ids[i] = c.lesson.Steps[i].ID
	}
	return ids
}

// advance ticks the next steps while their goals hold. Called with mu held.
func (c *Checker) advance() bool {
	before := c.done
	for c.done < len(c.lesson.Steps) {
		s := c.lesson.Steps[c.done]
		if !s.Goal.Holds(Facts{Events: c.events, World: c.world, Found: c.found[s.ID]}) {
			break
		}
		c.done++
	}
	return c.done > before
}

// Resume marks as done the leading steps whose ids are in done: what the
// student's browser remembers from an earlier visit.
func (c *Checker) Resume(done []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.done < len(c.lesson.Steps) && slices.Contains(done, c.lesson.Steps[c.done].ID) {
		c.done++
	}
	c.advance()
}

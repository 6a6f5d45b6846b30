package lessons

import (
	"slices"
	"strings"
	"sync"

	"smtplab/sandbox"
)

// MaxCheckedEvents bounds the history a checker keeps for one lesson: the
// most recent events (a lesson is a few hundred lines typed; a long paste
// pushes out the oldest, never what the student does next). A lesson whose
// steps are all done keeps nothing more.
const MaxCheckedEvents = 5000

// MaxQuizMisses is how many right lines a student may wrongly pick in one
// quiz and still have it count: past that, the quiz stops taking picks
// until it is started again. Clicking every line finds every mistake, and
// must not pass.
const MaxQuizMisses = 2

// Checker follows one student through one lesson: it sees the events of
// the student's terminal and ticks steps, in order, as their goals hold.
// A ticked step stays ticked. It is safe for concurrent use.
//
// For a class lesson filled in by ForClass, only the events of sessions
// opened with the class's server count: what the student does on the
// practice server beside it ticks nothing.
type Checker struct {
	lesson *Lesson
	world  *sandbox.World
	host   string // a class lesson's server, or "": every session counts

	mu      sync.Mutex
	events  []sandbox.Event
	quizzes map[string]*quizPicks // step id → the lines picked in its quiz
	done    int                   // steps ticked, from the first
	open    map[string]bool       // session → opened with host (class lessons)
}

// NewChecker starts checking l for a student whose mailboxes are in w: for
// a class lesson, the lesson returned by ForClass and the class's world.
func NewChecker(l *Lesson, w *sandbox.World) *Checker {
	c := &Checker{lesson: l, world: w, quizzes: map[string]*quizPicks{}, open: map[string]bool{}}
	if l.World == WorldClass && l.class != nil {
		c.host = l.class.Host
	}
	return c
}

// counts reports whether ev belongs to a session the lesson looks at.
// Called with mu held.
func (c *Checker) counts(ev sandbox.Event) bool {
	if c.host == "" {
		return true
	}
	if ev.Kind == sandbox.EventOpen {
		// Session ids are unique within a world only: an open event
		// always says anew which server the id is talking to.
		c.open[ev.Session] = ev.Open != nil && strings.EqualFold(ev.Open.Host, c.host)
	}
	ok := c.open[ev.Session]
	if ev.Kind == sandbox.EventClose {
		delete(c.open, ev.Session)
	}
	return ok
}

// Observe takes one event and reports whether more steps are now done.
func (c *Checker) Observe(ev sandbox.Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.counts(ev) {
		return false
	}
	if c.done == len(c.lesson.Steps) {
		return false
	}
	if len(c.events) >= MaxCheckedEvents+MaxCheckedEvents/8 {
		// Dropped in chunks, so a long paste copies the history now and then.
		c.events = append([]sandbox.Event(nil), c.events[len(c.events)-MaxCheckedEvents:]...)
	}
	c.events = append(c.events, ev)
	return c.advance()
}

// Restart forgets everything: the student starts the lesson again.
func (c *Checker) Restart() {
	c.mu.Lock()
	c.events, c.quizzes, c.done = nil, map[string]*quizPicks{}, 0
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
		if !s.Goal.Holds(c.facts(s)) {
			break
		}
		c.done++
	}
	return c.done > before
}

// facts are what step s is checked against. Called with mu held.
func (c *Checker) facts(s Step) Facts {
	f := Facts{Events: c.events, World: c.world}
	if q := c.quizzes[s.ID]; q != nil {
		f.Found, f.Misses = q.found, q.misses
	}
	return f
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

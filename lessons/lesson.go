// Package lessons loads smtplab's guided lessons — Markdown files with steps
// and goals, one per lesson and language — and checks goals against the
// events of a student's sessions. The format is described in README.md.
package lessons

import (
	"fmt"
	"strings"
)

// Lesson is one lesson in one language.
type Lesson struct {
	Slug    string
	Number  int
	Locale  string
	Title   string
	Summary string
	Intro   string // HTML
	Steps   []Step
	File    string // where it was read from, for messages
}

// Step is one thing to understand and do.
type Step struct {
	ID       string
	Title    string
	Text     string // HTML
	Hint     string // HTML
	Solution []string
	Goal     Goal
	Replay   *Replay
	Quiz     *Quiz
	Line     int // of the step's heading
}

// Goal ticks a step when all its conditions hold.
type Goal []Condition

// Condition is one line of a goal: a kind and its key=value arguments.
type Condition struct {
	Kind string
	Args map[string]string
	Line int
}

func (c Condition) String() string {
	var b strings.Builder
	b.WriteString(c.Kind)
	for _, k := range sortedKeys(c.Args) {
		fmt.Fprintf(&b, " %s=%s", k, c.Args[k])
	}
	return b.String()
}

// Replay is a classic session to play back on the page.
type Replay struct {
	Proto string         // "smtp", "pop3", "pop2"
	Mail  map[string]int // messages waiting in these mailboxes before it starts
	Lines []string       // what the client sends
}

// Quiz is a transcript with mistakes to find.
type Quiz struct {
	Lines []QuizLine
}

// QuizLine is one line of a quiz transcript.
type QuizLine struct {
	Client  bool // typed by the client (C:), else answered by the server (S:)
	Text    string
	Mistake string // why the line is wrong; empty if it is right
}

// Mistakes counts the faulty lines.
func (q *Quiz) Mistakes() int {
	n := 0
	for _, l := range q.Lines {
		if l.Mistake != "" {
			n++
		}
	}
	return n
}

// Error is a problem in a lesson file, located.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

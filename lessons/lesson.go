// Package lessons loads smtplab's guided lessons — Markdown files with steps
// and goals, one per lesson and language — and checks goals against the
// events of a student's sessions. The format is described in README.md.
package lessons

import (
	"fmt"
	"html"
	"strings"
)

// Lesson is one lesson in one language.
type Lesson struct {
	Slug    string
	Number  int
	Locale  string
	Title   string
	Summary string
	World   string // WorldPractice or WorldClass: where the student works
	// Minor lists the analysis warnings this lesson does not teach (front
	// matter key minor): the page shows them as side remarks, so that the
	// warnings a student sees are the ones the lesson is about. A step's
	// goal that names one (warning=, without=) makes it count again.
	Minor []string
	Intro string // HTML
	Steps []Step
	File  string // where it was read from, for messages

	class *ClassVars // set by ForClass
}

// The worlds a lesson can take place in (front matter key world).
const (
	// WorldPractice is the student's own copy of example.test, alone.
	WorldPractice = "practice"
	// WorldClass is the mail world a class shares: a class lesson's text
	// holds placeholders that ForClass fills in for each student.
	WorldClass = "class"
)

// ClassVars are what the placeholders of a class lesson stand for, for one
// student of one class.
type ClassVars struct {
	Host   string // {{host}}: the class's mail server, e.g. mail.2nde-b.test
	Domain string // {{domain}}: its mail domain, e.g. 2nde-b.test
	Me     string // {{me}}: the student's local part, e.g. lea
	Mate1  string // {{mate1}}: a classmate's local part
	Mate2  string // {{mate2}}: another classmate's local part
}

// placeholderNames are the placeholders a class lesson may use, as {{name}}.
var placeholderNames = []string{"host", "domain", "me", "mate1", "mate2"}

func (v ClassVars) replacer(escape func(string) string) *strings.Replacer {
	return strings.NewReplacer(
		"{{host}}", escape(v.Host),
		"{{domain}}", escape(v.Domain),
		"{{me}}", escape(v.Me),
		"{{mate1}}", escape(v.Mate1),
		"{{mate2}}", escape(v.Mate2),
	)
}

// ForClass returns a copy of l with its placeholders filled in for one
// student: in the introduction, step texts and hints (HTML, so the values
// are escaped) and in the solutions (lines to type, so they are not). A
// checker made from the copy of a class lesson counts only the sessions
// opened with v.Host. l itself is not changed.
func (l *Lesson) ForClass(v ClassVars) *Lesson {
	c := *l
	c.class = &v
	inHTML, asTyped := v.replacer(html.EscapeString), v.replacer(func(s string) string { return s })
	c.Intro = inHTML.Replace(l.Intro)
	c.Steps = make([]Step, len(l.Steps))
	for i, s := range l.Steps {
		s.Text, s.Hint = inHTML.Replace(s.Text), inHTML.Replace(s.Hint)
		if s.Hints != nil {
			s.Hints = make([]string, len(l.Steps[i].Hints))
			for j, h := range l.Steps[i].Hints {
				s.Hints[j] = inHTML.Replace(h)
			}
		}
		s.Solution = typed(asTyped, l.Steps[i].Solution)
		if s.NearMisses != nil {
			s.NearMisses = make([][]string, len(l.Steps[i].NearMisses))
			for j, nm := range l.Steps[i].NearMisses {
				s.NearMisses[j] = typed(asTyped, nm)
			}
		}
		c.Steps[i] = s
	}
	return &c
}

// typed fills in the placeholders of lines to type, in a new slice.
func typed(r *strings.Replacer, lines []string) []string {
	if lines == nil {
		return nil
	}
	out := make([]string, len(lines))
	for i, line := range lines {
		out[i] = r.Replace(line)
	}
	return out
}

// Warnings lists the analysis warnings the step's goal names, with
// warning= or without=: what the step teaches about a message.
func (s Step) Warnings() []string {
	var out []string
	for _, c := range s.Goal {
		if c.Kind != "message" {
			continue
		}
		if k := c.Args["warning"]; k != "" {
			out = append(out, k)
		}
		if ks := c.Args["without"]; ks != "" {
			out = append(out, strings.Split(ks, ",")...)
		}
	}
	return out
}

// Step is one thing to understand and do.
type Step struct {
	ID    string
	Title string
	Text  string // HTML
	Hint  string // HTML: the first hint, Hints[0] ("" if none)
	// Hints are the step's hints in the order they are revealed (HTML):
	// a nudge first, then more, usually the solution in words last.
	Hints    []string
	Solution []string
	// NearMisses are attempts that must not tick the step, each a list of
	// lines typed from the shell prompt like Solution; the tests replay
	// them after the solutions of the steps before.
	NearMisses [][]string
	Goal       Goal
	Replay     *Replay
	Quiz       *Quiz
	Line       int // of the step's heading
}

// Goal ticks a step when all its conditions hold.
type Goal []Condition

// Condition is one line of a goal: a kind and its key=value arguments.
type Condition struct {
	Kind string
	Args map[string]string
	Line int
	// Alts are the values the other languages of the lesson give to its
	// text keys (textKeys: subject=), accepted as well as Args'.
	Alts map[string][]string
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

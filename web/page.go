package web

import "strings"

// Page is what every page's layout needs.
type Page struct {
	Locale string // "fr" or "en"
	Path   string // the request path, to come back to after a language switch
	Nav    string // active navigation entry: "home", "lessons", "sandbox", "live"
	Title  string // page title, already in Locale
	Shell  Shell
	// Bare leaves out the navigation and the footer: a page meant for a
	// projector sets it on its copy of Page.
	Bare bool
}

// Shell is what the browser terminal knows of the sandbox it talks to.
type Shell struct {
	Host     string // the server's name, e.g. mail.example.test
	Domain   string // the mail domain, e.g. example.test
	SMTPPort int    // the TCP ports real clients use; typed after telnet they
	POP3Port int    // reach the same services as 25, 110 and 109
	POP2Port int
	// ClassHost and ClassDomain, for a student of a class: the class's own
	// mail server, reachable beside the practice host ("" otherwise).
	ClassHost   string
	ClassDomain string
}

// LessonItem is a lesson in a list.
type LessonItem struct {
	Slug    string
	Number  int
	Title   string
	Summary string
	Steps   int
}

// LessonView is a lesson page.
type LessonView struct {
	LessonItem
	Intro HTML // rendered from the lesson file
	Steps []StepView
	// Minor lists the warnings the lesson does not teach, shown apart.
	Minor []string
	Prev  *LessonItem
	Next  *LessonItem
}

// StepView is one step of a lesson.
type StepView struct {
	ID        string
	Title     string
	Text      HTML
	Hint      HTML     // the first hint: a nudge
	MoreHints []HTML   // the next ones, each revealed after the one before
	Solution  []string // lines to type
	Teaches   []string // warnings the step's goal names: never minor in it
	Replay    *ReplayView
	Quiz      *QuizView
}

// ReplayView is a classic session, already run through the sandbox, for
// the page to play back line by line. It travels as JSON to the script.
type ReplayView struct {
	Proto string       `json:"proto"`
	Items []ReplayItem `json:"items"`
}

// ReplayItem is a client line, or a server reply with its explanation.
type ReplayItem struct {
	Client   bool     `json:"client,omitempty"`
	Text     string   `json:"text,omitempty"`
	Label    string   `json:"label,omitempty"`  // the reply's code or status
	Family   string   `json:"family,omitempty"` // "2", "3", "4", "5"
	Lines    []string `json:"lines,omitempty"`
	Enhanced string   `json:"enhanced,omitempty"`
	Meaning  string   `json:"meaning,omitempty"`
	Class    string   `json:"class,omitempty"`
	Subject  string   `json:"subject,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	Reason   string   `json:"reason,omitempty"`
}

// QuizView is a transcript with mistakes to find. Which lines are wrong
// is not part of it: the server says so for each line once the student
// has marked it and asked.
type QuizView struct {
	Lines    []QuizLine
	Mistakes int
}

// QuizLine is one line of a quiz.
type QuizLine struct {
	Client bool
	Text   string
}

// HTML is markup produced by smtplab itself from lesson files (Markdown
// rendered with raw HTML disabled), never text a visitor typed.
type HTML string

// T is the interface text key in the page's locale.
func (p Page) T(key string) string { return T(p.Locale, key) }

// Tf is the text key with its {name} placeholders filled: kv alternates
// names and values, e.g. p.Tf("dash.remove.confirm", "name", s.Name).
func (p Page) Tf(key string, kv ...string) string { return Tf(p.Locale, key, kv...) }

// Tf is T with {name} placeholders filled from name, value pairs.
func Tf(l, key string, kv ...string) string { return fill(T(l, key), kv) }

// N is the text for a count: key.one or key.other as the locale's plural
// rule says (French counts 0 and 1 as singular, English only 1), with {n}
// set to n and the other placeholders filled from kv like Tf.
func (p Page) N(key string, n int, kv ...string) string { return N(p.Locale, key, n, kv...) }

// N is Page.N in locale l.
func N(l, key string, n int, kv ...string) string {
	form := ".other"
	if n == 1 || (n == 0 && l == "fr") {
		form = ".one"
	}
	return fill(T(l, key+form), append([]string{"n", itoa(n)}, kv...))
}

func fill(s string, kv []string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{"+kv[i]+"}", kv[i+1])
	}
	return s
}

// Other is the locale the language switch offers.
func (p Page) Other() string {
	if p.Locale == "fr" {
		return "en"
	}
	return "fr"
}

package web

import "time"

// What the classroom pages show. The server fills these; the templates in
// classroom.templ render them. Every text a student typed (a class name, a
// first name, a subject) is plain text here and escaped by the templates.

// ClassItem is one class in the teacher's list.
type ClassItem struct {
	ID       string
	Name     string
	Code     string // join code
	Domain   string // mail domain, e.g. 2nde-b.test
	Locale   string // "fr" or "en"
	State    string // "open", "closed", "archived"
	Students int
	Created  time.Time
}

// TeacherHomeView is the teacher's start page: the classes and a form to
// create one.
type TeacherHomeView struct {
	Classes []ClassItem
	Lessons []LessonItem // every lesson, in order, for the create form
	CSRF    string       // hidden field "csrf" of every form
	Error   string       // catalog key of a refused form, "" if none
}

// DashboardView is one class as the teacher watches it.
type DashboardView struct {
	Class    ClassItem
	JoinURL  string // what students open, e.g. http://127.0.0.1:8025/join
	Lessons  []DashLesson
	Students []DashStudent
	Mail     []ClassMail   // every message that moved inside the class, newest first
	Mistakes []MistakeItem // error replies hit, most frequent first
	Inbox    []MailItem    // the postmaster mailbox (the teacher's)
	CSRF     string
	Notice   string // catalog key of what an action just did ("" if none)
	Secret   string // a password just made, shown once with Notice
}

// DashLesson is a lesson of the day with its steps, the grid's columns.
type DashLesson struct {
	Slug   string
	Number int
	Title  string
	Steps  []DashStep
}

// DashStep is one column of the grid.
type DashStep struct {
	ID    string
	Title string
}

// DashStudent is one row of the grid.
type DashStudent struct {
	ID        string
	Name      string
	Address   string
	Connected bool
	Reached   map[string]time.Time // "lesson/step" → when
	Current   string               // "lesson/step" the student is on, "" if none
	StuckFor  time.Duration        // how long on Current without progress
	Errors    int                  // error replies hit
}

// ClassMail is one message that moved inside the class.
type ClassMail struct {
	ID       string
	Arrived  time.Time
	From     string   // envelope sender
	Envelope []string // RCPT TO
	To, Cc   []string // header recipients
	Bcc      []string // who got it without being listed (the verdicts)
	Subject  string
}

// MistakeItem is one kind of error reply with how many students hit it.
type MistakeItem struct {
	Code     string // "503 5.5.1", "-ERR"
	Reason   string // the explanation of why, in the page's language
	Students int
	Times    int
}

// MailItem is one message of a mailbox.
type MailItem struct {
	UID     string
	From    string
	Subject string
	Arrived time.Time
	Size    int
}

// ProjectorView is what the teacher projects so students can join.
type ProjectorView struct {
	Class   ClassItem
	JoinURL string
}

// StudentWatchView is the teacher's view of one student: their terminal,
// live, and their mailbox.
type StudentWatchView struct {
	Class   ClassItem
	Student DashStudent
	Inbox   []MailItem
}

// JoinView is the form where a student joins a class or comes back.
type JoinView struct {
	Code  string // as typed, to fill the form again after an error
	Name  string
	Error string // catalog key, "" if none
	CSRF  string
}

// ClassHomeView is a student's page in their class.
type ClassHomeView struct {
	Class    ClassItem
	Name     string
	Address  string
	Password string // shown once after joining, then on demand
	Show     bool   // the password is shown now
	PIN      string
	Lessons  []LessonItem   // the lessons of the day, in order
	Done     map[string]int // steps done per lesson slug
	CSRF     string
	// Host is the name or address this page was reached at, without the
	// port, for a real mail program ("" shows 127.0.0.1).
	Host string
}

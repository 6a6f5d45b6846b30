// Package classroom is smtplab's classroom mode: classes a teacher creates,
// the students who join them, the mail world each class shares, and the
// progress the server records for each student. It knows nothing of HTTP:
// the server drives it, a Repo keeps it.
package classroom

import (
	"errors"
	"time"
)

// Class states.
const (
	Open     = "open"     // students may join
	Closed   = "closed"   // no new students; the others go on
	Archived = "archived" // kept for the record; nobody joins or works
)

// Class is one group of students sharing a mail world.
type Class struct {
	ID      string    `json:"id"`      // server-issued, random
	Name    string    `json:"name"`    // as the teacher wrote it, e.g. « 2nde B »
	Code    string    `json:"code"`    // join code (JoinCodeAlphabet)
	Domain  string    `json:"domain"`  // the class's mail domain, e.g. 2nde-b.test
	Locale  string    `json:"locale"`  // page language of the class
	Lessons []string  `json:"lessons"` // the lessons of the day, in order (slugs)
	State   string    `json:"state"`   // Open, Closed or Archived
	Created time.Time `json:"created"`
}

// Host is the name of the class's mail server, as students telnet to it.
func (c Class) Host() string { return "mail." + c.Domain }

// Student is one member of a class.
type Student struct {
	ID       string    `json:"id"`      // server-issued, random: also names their practice world
	ClassID  string    `json:"classId"` //
	Name     string    `json:"name"`    // first name as typed
	Local    string    `json:"local"`   // local part of their address in the class domain
	Password string    `json:"-"`       // POP3 password
	PIN      string    `json:"-"`       // with the code and the name, the way back in
	Joined   time.Time `json:"joined"`  //
	Seen     time.Time `json:"seen"`    // last page opened (not stored on every change)
}

// Step is one lesson step a student reached, with when.
type Step struct {
	StudentID string    `json:"student"`
	Lesson    string    `json:"lesson"`
	Step      string    `json:"step"`
	At        time.Time `json:"at"`
}

// Line is one line of a student's transcript.
type Line struct {
	At   time.Time `json:"at"`
	Dir  string    `json:"dir"`  // "C" client, "S" server, "*" a note (connected, closed)
	Host string    `json:"host"` // which server the session talked to
	Text string    `json:"text"`
}

// Hit is one error reply a student got, for the dashboard's common mistakes.
type Hit struct {
	StudentID string    `json:"student"`
	Code      string    `json:"code"`   // "503", "-ERR"
	Reason    string    `json:"reason"` // catalog key of why
	At        time.Time `json:"at"`
}

// Repository limits, in the unit that costs.
const (
	// MaxTranscriptLines is how many transcript lines are kept per student;
	// past it the oldest go.
	MaxTranscriptLines = 5000
	// MaxTranscriptLine bounds one kept line (a pasted line of 1000 octets fits).
	MaxTranscriptLine = 1024
	// MaxHits is how many error replies are kept per student.
	MaxHits = 500
)

// ErrNotFound is what a Repo answers for an id it does not hold.
var ErrNotFound = errors.New("not found")

// Repo keeps classes, students and what they did. Implementations are safe
// for concurrent use; a method that returns nil has made the change durable.
type Repo interface {
	SaveClass(c Class) error // create or update
	Classes() ([]Class, error)
	SaveStudent(s Student) error // create or update
	RemoveStudent(id string) error
	Students(classID string) ([]Student, error)
	// AddStep records a step reached; a step already recorded keeps its first time.
	AddStep(s Step) error
	Steps(classID string) ([]Step, error)
	// ClearSteps forgets a student's progress in one lesson.
	ClearSteps(studentID, lesson string) error
	// AppendLines adds transcript lines, keeping the last MaxTranscriptLines.
	AppendLines(studentID string, lines []Line) error
	Lines(studentID string) ([]Line, error)
	// AddHit records an error reply, keeping the last MaxHits per student.
	AddHit(h Hit) error
	Hits(classID string) ([]Hit, error)
}

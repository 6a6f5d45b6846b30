// Package storage keeps what smtplab must find again after a restart: the
// mailboxes of every world and the classroom's classes, students and
// progress. Memory keeps them for the life of the process (-data off);
// SQLite keeps them in an embedded database file in the data folder.
package storage

import (
	"time"
	"unicode/utf8"

	"smtplab/classroom"
	"smtplab/sandbox"
)

// Storage is what both implementations provide.
type Storage interface {
	// Mailboxes returns the store of the named world ("default",
	// "class-<id>"); the same name always gives the same store.
	Mailboxes(world string) sandbox.Store
	// Classroom returns the repository of classes and students.
	Classroom() classroom.Repo
	Close() error
}

var (
	_ Storage = (*Memory)(nil)
	_ Storage = (*SQLite)(nil)
)

// CheckedStore is a sandbox.Store that can say when Remove or Clear could
// not be made durable. sandbox.Store's Remove and Clear return no error, so
// when the database refuses the write they change nothing and say nothing;
// a caller that can tell its client (a POP3 QUIT answering -ERR, RFC 1939
// §6) asserts this interface and calls the checked methods instead.
type CheckedStore interface {
	sandbox.Store
	RemoveChecked(mailbox string, uids []string) (int, error)
	ClearChecked() error
}

// cutLine bounds a transcript line to classroom.MaxTranscriptLine octets.
// It backs off to the start of a UTF-8 sequence so that a cut line of text
// stays valid text; never more than a sequence's length, since SMTP lines
// may hold any octets.
func cutLine(text string) string {
	n := classroom.MaxTranscriptLine
	if len(text) <= n {
		return text
	}
	for i := 0; i < utf8.UTFMax-1 && !utf8.RuneStart(text[n]); i++ {
		n--
	}
	return text[:n]
}

// timeLayout writes times in UTC with a fixed width, so that the database
// orders them as text in time order and keeps every nanosecond.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

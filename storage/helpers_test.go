package storage

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"smtplab/sandbox"
)

// opener gives a fresh, empty Storage to one test.
type opener func(t *testing.T) Storage

func openMemory(t *testing.T) Storage { return NewMemory() }

func openSQLite(t *testing.T) Storage { return openDir(t, t.TempDir()) }

func openDir(t *testing.T, dir string) *SQLite {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var implementations = []struct {
	name string
	open opener
}{
	{"memory", openMemory},
	{"sqlite", openSQLite},
}

// t0 is in a zone other than UTC and has nanoseconds, so that a store that
// loses either fails the comparisons.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CET", 3600))

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// message returns a message of exactly size octets for box.
func message(id, box string, size int) *sandbox.Message {
	from := "teacher@class.test"
	return &sandbox.Message{
		ID: id, Mailbox: box, Arrived: t0,
		Raw:   bytes.Repeat([]byte("x"), size),
		Trace: min(size, 7),
		Bcc:   "Bcc: hidden@class.test",
		Envelope: sandbox.Envelope{Helo: "client.test", From: &from, To: []string{box + "@class.test", "x@class.test"},
			Size: size, Body: "8BITMIME"},
		Subject: "Hello " + box,
		From:    "Teacher <teacher@class.test>",
	}
}

func uids(msgs []*sandbox.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, m.UID)
	}
	return out
}

func wantUsage(t *testing.T, s sandbox.Store, count int, octets int64) {
	t.Helper()
	if c, o := s.Usage(); c != count || o != octets {
		t.Fatalf("Usage = %d messages, %d octets; want %d, %d", c, o, count, octets)
	}
}

func wantUIDs(t *testing.T, s sandbox.Store, box string, want ...string) {
	t.Helper()
	got := uids(s.Messages(box))
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("UIDs of %s = %q, want %q", box, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"smtplab/classroom"
	"smtplab/sandbox"
)

// What only the database does: survive a reopen, refuse cleanly.

func TestSQLiteReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db := openDir(t, dir)
	s := db.Mailboxes("class-c1")
	var sent []*sandbox.Message
	for i, box := range []string{"alice", "bob", "alice", "alice"} {
		m := message(string(rune('A'+i)), box, 50+i)
		m.Arrived = at(i)
		if i == 1 {
			m.Envelope.From = nil // a null pointer comes back null
		}
		must(t, s.Deliver(m, big, big))
		sent = append(sent, m)
	}
	s.Remove("alice", []string{sent[2].UID})
	must(t, db.Mailboxes("default").Deliver(message("D", "carol", 5), big, big))
	r := db.Classroom()
	withClass(t, r)
	must(t, r.AddStep(classroom.Step{StudentID: "s1", Lesson: "smtp", Step: "helo", At: at(2)}))
	must(t, r.AppendLines("s1", []classroom.Line{{At: at(3), Dir: "C", Host: "mail.c1.test", Text: "HELO x"}}))
	must(t, r.AddHit(classroom.Hit{StudentID: "s2", Code: "503", Reason: "r", At: at(4)}))
	must(t, db.Close())

	db = openDir(t, dir)
	s = db.Mailboxes("class-c1")
	wantUsage(t, s, 3, 50+51+53)
	for _, box := range []string{"alice", "bob"} {
		var want []*sandbox.Message
		for _, m := range sent {
			if m.Mailbox == box && m != sent[2] {
				want = append(want, m)
			}
		}
		got := s.Messages(box)
		if len(got) != len(want) {
			t.Fatalf("%s after reopening: %q, want %q", box, uids(got), uids(want))
		}
		for i := range want {
			sameMessage(t, got[i], want[i])
		}
	}
	m := message("E", "bob", 1)
	must(t, s.Deliver(m, big, big))
	if m.UID != "E.5" {
		t.Fatalf("UID after reopening = %q, want E.5: the counter goes on", m.UID)
	}
	wantUIDs(t, db.Mailboxes("default"), "carol", "D.1")
	if got := studentIDs(t, db.Classroom(), "c1"); !slices.Equal(got, []string{"s1", "s2"}) {
		t.Fatalf("students after reopening = %q", got)
	}
	classes, _ := db.Classroom().Classes()
	steps, _ := db.Classroom().Steps("c1")
	lines, _ := db.Classroom().Lines("s1")
	hits, _ := db.Classroom().Hits("c1")
	if len(classes) != 1 || !sameClass(classes[0], class("c1", 0)) || len(steps) != 1 || !steps[0].At.Equal(at(2)) ||
		len(lines) != 1 || lines[0].Text != "HELO x" || len(hits) != 1 {
		t.Fatalf("after reopening: %+v %+v %+v %+v", classes, steps, lines, hits)
	}
	list, _ := db.Classroom().Students("c1")
	if !sameStudent(list[0], student("s1", "c1", 0)) {
		t.Fatalf("student after reopening = %+v", list[0])
	}
}

func sameMessage(t *testing.T, got, want *sandbox.Message) {
	t.Helper()
	same := got.ID == want.ID && got.UID == want.UID && got.Mailbox == want.Mailbox &&
		got.Arrived.Equal(want.Arrived) && string(got.Raw) == string(want.Raw) && got.Trace == want.Trace &&
		got.Bcc == want.Bcc && got.Subject == want.Subject && got.From == want.From &&
		got.Envelope.Helo == want.Envelope.Helo &&
		got.Envelope.Size == want.Envelope.Size && got.Envelope.Body == want.Envelope.Body && slices.Equal(got.Envelope.To, want.Envelope.To) &&
		(got.Envelope.From == nil) == (want.Envelope.From == nil) &&
		(got.Envelope.From == nil || *got.Envelope.From == *want.Envelope.From)
	if !same {
		t.Fatalf("message after reopening:\n%+v\nwant\n%+v", got, want)
	}
}

func TestSQLiteClearThenReopen(t *testing.T) {
	dir := t.TempDir()
	db := openDir(t, dir)
	s := db.Mailboxes("default")
	must(t, s.Deliver(message("A", "alice", 5), big, big))
	must(t, s.Deliver(message("B", "alice", 5), big, big))
	s.Clear()
	must(t, db.Close())
	s = openDir(t, dir).Mailboxes("default")
	wantUsage(t, s, 0, 0)
	m := message("C", "alice", 5)
	must(t, s.Deliver(m, big, big))
	if m.UID != "C.3" {
		t.Fatalf("UID = %q, want C.3: a Clear does not reset the counter", m.UID)
	}
}

// readOnly makes every connection of db refuse writes, as a database on a
// read-only disk would. (chmod is no test here: root writes anyway.)
func readOnly(t *testing.T, db *SQLite, on bool) {
	t.Helper()
	db.db.SetMaxOpenConns(1)
	pragma := "PRAGMA query_only = OFF"
	if on {
		pragma = "PRAGMA query_only = ON"
	}
	if _, err := db.db.Exec(pragma); err != nil {
		t.Fatal(err)
	}
}

func TestSQLiteWriteFailure(t *testing.T) {
	db := openDir(t, t.TempDir())
	s := db.Mailboxes("default").(CheckedStore)
	must(t, s.Deliver(message("A", "alice", 10), big, big))
	readOnly(t, db, true)

	m := message("B", "alice", 10)
	if err := s.Deliver(m, big, big); !errors.Is(err, sandbox.ErrStoreUnavailable) {
		t.Fatalf("Deliver to a read-only database = %v, want ErrStoreUnavailable", err)
	}
	if m.UID != "" {
		t.Fatalf("a message not stored got UID %q", m.UID)
	}
	if n, err := s.RemoveChecked("alice", []string{"A.1"}); n != 0 || !errors.Is(err, sandbox.ErrStoreUnavailable) {
		t.Fatalf("RemoveChecked = %d, %v", n, err)
	}
	if n := s.Remove("alice", []string{"A.1"}); n != 0 {
		t.Fatalf("Remove = %d, want 0", n)
	}
	if err := s.ClearChecked(); !errors.Is(err, sandbox.ErrStoreUnavailable) {
		t.Fatalf("ClearChecked = %v", err)
	}
	s.Clear()
	wantUIDs(t, s, "alice", "A.1")
	wantUsage(t, s, 1, 10)

	readOnly(t, db, false)
	m = message("C", "alice", 10)
	must(t, s.Deliver(m, big, big))
	if m.UID != "C.2" {
		t.Fatalf("UID = %q, want C.2: a failed write uses no UID", m.UID)
	}
}

// TestSQLiteFailureMidTransaction fails the message insert after the UID
// counter was written: the counter must roll back with it.
func TestSQLiteFailureMidTransaction(t *testing.T) {
	dir := t.TempDir()
	db := openDir(t, dir)
	s := db.Mailboxes("default")
	must(t, s.Deliver(message("A", "alice", 10), big, big))
	_, err := db.db.Exec(`CREATE TRIGGER full BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
	must(t, err)
	if err := s.Deliver(message("B", "bob", 10), big, big); !errors.Is(err, sandbox.ErrStoreUnavailable) {
		t.Fatalf("Deliver = %v, want ErrStoreUnavailable", err)
	}
	wantUIDs(t, s, "bob")
	_, err = db.db.Exec(`DROP TRIGGER full`)
	must(t, err)
	must(t, db.Close())
	m := message("C", "bob", 10)
	must(t, openDir(t, dir).Mailboxes("default").Deliver(m, big, big))
	if m.UID != "C.2" {
		t.Fatalf("UID = %q, want C.2", m.UID)
	}
}

func TestSQLiteClosed(t *testing.T) {
	db := openDir(t, t.TempDir())
	s := db.Mailboxes("default")
	must(t, s.Deliver(message("A", "alice", 10), big, big))
	must(t, db.Close())
	if err := s.Deliver(message("B", "alice", 10), big, big); !errors.Is(err, sandbox.ErrStoreUnavailable) {
		t.Fatalf("Deliver after Close = %v, want ErrStoreUnavailable", err)
	}
	wantUIDs(t, s, "alice", "A.1")
	if err := db.Classroom().SaveClass(class("c", 0)); err == nil {
		t.Fatal("SaveClass after Close succeeded")
	}
}

func TestSQLiteMigrations(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	db := openDir(t, dir)
	if db.Path() != filepath.Join(dir, FileName) {
		t.Fatalf("Path = %q", db.Path())
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data folder: %v, %v; want mode 0700", fi.Mode(), err)
	}
	versions := func(db *SQLite) []int {
		rows, err := db.db.Query(`SELECT version FROM schema_version ORDER BY version`)
		must(t, err)
		v, err := collect(rows, func(v *int) error { return rows.Scan(v) })
		must(t, err)
		return v
	}
	want := []int{}
	for v := range migrations {
		want = append(want, v+1)
	}
	if got := versions(db); !slices.Equal(got, want) {
		t.Fatalf("schema_version = %v, want %v", got, want)
	}
	must(t, db.Close())
	db = openDir(t, dir) // nothing to apply, nothing fails
	if got := versions(db); !slices.Equal(got, want) {
		t.Fatalf("schema_version after a second Open = %v, want %v", got, want)
	}
	_, err := db.db.Exec(`INSERT INTO schema_version (version, applied) VALUES (?, 'later')`, len(migrations)+1)
	must(t, err)
	must(t, db.Close())
	if newer, err := Open(dir); err == nil {
		newer.Close()
		t.Fatal("Open accepted a database from a newer program")
	}
}

func TestSQLitePragmas(t *testing.T) {
	db := openDir(t, t.TempDir())
	conn, err := db.db.Conn(t.Context())
	must(t, err)
	defer conn.Close()
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "synchronous": "1", "busy_timeout": "5000", "foreign_keys": "1",
	} {
		var got string
		must(t, conn.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got))
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

// TestSQLiteLoadRetried: a world that cannot be read when first asked for
// refuses mail, then loads once the database is readable again.
func TestSQLiteLoadRetried(t *testing.T) {
	dir := t.TempDir()
	db := openDir(t, dir)
	must(t, db.Mailboxes("default").Deliver(message("A", "alice", 10), big, big))
	must(t, db.Close())
	db = openDir(t, dir)
	_, err := db.db.Exec(`ALTER TABLE messages RENAME TO hidden`)
	must(t, err)
	s := db.Mailboxes("default")
	if err := s.Deliver(message("B", "alice", 10), big, big); !errors.Is(err, sandbox.ErrStoreUnavailable) {
		t.Fatalf("Deliver to an unreadable world = %v, want ErrStoreUnavailable", err)
	}
	_, err = db.db.Exec(`ALTER TABLE hidden RENAME TO messages`)
	must(t, err)
	m := message("C", "alice", 10)
	must(t, s.Deliver(m, big, big))
	wantUIDs(t, s, "alice", "A.1", "C.2")
}

// TestSQLiteConcurrentDeliveriesShareCommits: deliveries at once (which
// share transactions) all come back after a reopen, in counter order, and
// the counter goes on past the highest.
func TestSQLiteConcurrentDeliveriesShareCommits(t *testing.T) {
	dir := t.TempDir()
	db := openDir(t, dir)
	s := db.Mailboxes("class-x")
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Deliver(message(fmt.Sprintf("M%03d", i), "tom", 10), big, big); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	must(t, db.Close())
	again := openDir(t, dir).Mailboxes("class-x")
	msgs := again.Messages("tom")
	if len(msgs) != n {
		t.Fatalf("%d messages after reopening, want %d", len(msgs), n)
	}
	for i := 1; i < len(msgs); i++ {
		if uidCounter(msgs[i-1].UID) >= uidCounter(msgs[i].UID) {
			t.Fatalf("out of order: %s before %s", msgs[i-1].UID, msgs[i].UID)
		}
	}
	m := message("Z", "tom", 10)
	must(t, again.Deliver(m, big, big))
	if m.UID != fmt.Sprintf("Z.%d", n+1) {
		t.Errorf("next UID %s, want Z.%d", m.UID, n+1)
	}
}

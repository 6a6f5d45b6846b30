package storage

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"smtplab/sandbox"
)

// The contract of the outgoing queue, for every implementation.

func TestQueueContract(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, st Storage)
	}{
		{"enqueue and due", testQueueDue},
		{"reschedule", testQueueReschedule},
		{"dequeue", testQueueDequeue},
		{"limit", testQueueLimit},
		{"clear", testQueueClear},
		{"worlds", testQueueWorlds},
	}
	for _, impl := range implementations {
		for _, tc := range tests {
			t.Run(impl.name+"/"+tc.name, func(t *testing.T) { tc.run(t, impl.open(t)) })
		}
	}
}

// queued is an entry for rcpts, arrived and due at minute m, of size octets.
func queued(id string, m, size int, rcpts ...string) *sandbox.Queued {
	q := &sandbox.Queued{ID: id, From: "alice@example.test", Raw: make([]byte, size),
		Body: "8BITMIME", Arrived: at(m), NextTry: at(m)}
	for i := range q.Raw {
		q.Raw[i] = 'a' + byte(i%26)
	}
	for _, r := range rcpts {
		q.Rcpts = append(q.Rcpts, sandbox.QueuedRcpt{Addr: r})
	}
	return q
}

func queueIDs(qs []sandbox.Queued) []string {
	out := []string{}
	for _, q := range qs {
		out = append(out, q.ID)
	}
	return out
}

func wantQueue(t *testing.T, got []sandbox.Queued, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if g := queueIDs(got); !slices.Equal(g, want) {
		t.Fatalf("queue = %q, want %q", g, want)
	}
}

// sameQueued compares entries field by field, times by instant.
func sameQueued(t *testing.T, got, want sandbox.Queued) {
	t.Helper()
	if got.ID != want.ID || got.From != want.From || string(got.Raw) != string(want.Raw) || got.Body != want.Body ||
		!got.Arrived.Equal(want.Arrived) || got.Attempts != want.Attempts || !got.NextTry.Equal(want.NextTry) ||
		len(got.Rcpts) != len(want.Rcpts) {
		t.Fatalf("entry\n%+v\nwant\n%+v", got, want)
	}
	for i, r := range got.Rcpts {
		w := want.Rcpts[i]
		if r.Addr != w.Addr || (r.Last == nil) != (w.Last == nil) {
			t.Fatalf("recipient %d: %+v, want %+v", i, r, w)
		}
		if r.Last != nil && (!r.Last.At.Equal(w.Last.At) || r.Last.Host != w.Last.Host || r.Last.Status != w.Last.Status ||
			!slices.Equal(r.Last.Reply, w.Last.Reply) || r.Last.Stage != w.Last.Stage || r.Last.Reason != w.Last.Reason ||
			r.Last.Text != w.Last.Text) {
			t.Fatalf("recipient %d's last attempt: %+v, want %+v", i, *r.Last, *w.Last)
		}
	}
}

func testQueueDue(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	wantQueue(t, s.Queue())
	a, b, c := queued("A", 0, 10, "bob@other.test"), queued("B", 5, 20, "x@univ.test", "y@univ.test"), queued("C", 2, 5, "z@other.test")
	for _, q := range []*sandbox.Queued{a, b, c} {
		must(t, s.Enqueue(q, big))
	}
	if err := s.Enqueue(queued("A", 9, 1, "again@other.test"), big); !errors.Is(err, sandbox.ErrQueued) {
		t.Fatalf("an id queued twice: %v, want ErrQueued", err)
	}
	wantQueue(t, s.Queue(), "A", "B", "C") // queue order, not due order
	wantQueue(t, s.Due(at(1)), "A")
	wantQueue(t, s.Due(at(2)), "A", "C") // due exactly at NextTry
	wantQueue(t, s.Due(at(60)), "A", "B", "C")
	wantQueue(t, s.Due(at(-1)))
	got := s.Queue()
	sameQueued(t, got[1], *b)
	got[1].Rcpts[0].Addr = "changed@other.test" // the slice is the caller's
	sameQueued(t, s.Queue()[1], *b)
	b.Rcpts[0].Addr = "changed too" // and so is the entry given to Enqueue
	if s.Queue()[1].Rcpts[0].Addr != "x@univ.test" {
		t.Fatal("the store kept the caller's recipients")
	}
}

func testQueueReschedule(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	must(t, s.Enqueue(queued("A", 0, 10, "bob@other.test", "carol@other.test"), big))
	q := s.Queue()[0]
	q.Attempts, q.NextTry = 1, at(3)
	q.Rcpts = []sandbox.QueuedRcpt{{Addr: "carol@other.test", Last: &sandbox.Attempt{
		At: at(0), Host: "mx.other.test", Status: "4.7.1", Stage: "RCPT TO", Reason: "queue.deferred.reply",
		Reply: []string{"451-4.7.1 Greylisted, come back later", "451 4.7.1 in 30 s"},
	}}}
	must(t, s.Reschedule(q))
	wantQueue(t, s.Due(at(2)))
	due := s.Due(at(3))
	wantQueue(t, due, "A")
	sameQueued(t, due[0], q)
	// Rescheduling what is gone does nothing.
	must(t, s.Reschedule(sandbox.Queued{ID: "nope", NextTry: at(1)}))
	wantQueue(t, s.Queue(), "A")
}

func testQueueDequeue(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	for i, id := range []string{"A", "B", "C"} {
		must(t, s.Enqueue(queued(id, i, 10, "bob@other.test"), 30))
	}
	must(t, s.Dequeue("B"))
	must(t, s.Dequeue("B")) // gone already: no error
	must(t, s.Dequeue("nope"))
	wantQueue(t, s.Queue(), "A", "C")
	must(t, s.Enqueue(queued("D", 0, 10, "bob@other.test"), 30)) // B's room is free again
	wantQueue(t, s.Queue(), "A", "C", "D")
	wantUsage(t, s, 0, 0) // the queue is not mail in mailboxes
}

func testQueueLimit(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	must(t, s.Enqueue(queued("A", 0, 60, "bob@other.test"), 100))
	must(t, s.Enqueue(queued("B", 0, 40, "bob@other.test"), 100)) // exactly the limit
	if err := s.Enqueue(queued("C", 0, 1, "bob@other.test"), 100); !errors.Is(err, sandbox.ErrStoreFull) {
		t.Fatalf("past the limit: %v, want ErrStoreFull", err)
	}
	wantQueue(t, s.Queue(), "A", "B")
	// Mailboxes and queue have their own limits.
	must(t, s.Deliver(message("M", "alice", 100), big, 100))
}

func testQueueClear(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	must(t, s.Enqueue(queued("A", 0, 60, "bob@other.test"), 100))
	s.Clear()
	wantQueue(t, s.Queue())
	must(t, s.Enqueue(queued("A", 0, 100, "bob@other.test"), 100)) // counts from zero, the id is free
}

func testQueueWorlds(t *testing.T, st Storage) {
	a, b := st.Mailboxes("default"), st.Mailboxes("class-1")
	must(t, a.Enqueue(queued("A", 0, 10, "bob@other.test"), 10))
	must(t, b.Enqueue(queued("A", 0, 10, "bob@other.test"), 10)) // ids and limits are per world
	must(t, a.Dequeue("A"))
	wantQueue(t, a.Queue())
	wantQueue(t, b.Queue(), "A")
}

// TestSQLiteQueueReopen: what the queue held when the process stopped is
// there after a restart, attempts and last replies included, in order.
func TestSQLiteQueueReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db := openDir(t, dir)
	s := db.Mailboxes("default")
	var want []sandbox.Queued
	for i := range 3 {
		q := queued(fmt.Sprint("Q", i), i, 50+i, "bob@other.test", "carol@univ.test")
		if i == 1 {
			q.From = "" // a report, from the null sender
		}
		must(t, s.Enqueue(q, big))
		want = append(want, *q)
	}
	want[0].Attempts, want[0].NextTry = 2, at(7)
	want[0].Rcpts = want[0].Rcpts[1:]
	want[0].Rcpts[0].Last = &sandbox.Attempt{At: at(4), Status: "4.4.1", Reason: "queue.deferred.refused",
		Text: "no server answers for univ.test"}
	must(t, s.Reschedule(want[0]))
	must(t, s.Dequeue("Q2"))
	want = want[:2]
	must(t, db.Close())

	db = openDir(t, dir)
	s = db.Mailboxes("default")
	got := s.Queue()
	wantQueue(t, got, "Q0", "Q1")
	for i := range got {
		sameQueued(t, got[i], want[i])
	}
	wantQueue(t, s.Due(at(6)), "Q1")
	// The room the queue takes is counted again after the reopen.
	if err := s.Enqueue(queued("Q3", 0, 1, "bob@other.test"), int64(len(want[0].Raw)+len(want[1].Raw))); !errors.Is(err, sandbox.ErrStoreFull) {
		t.Fatalf("past the limit after a reopen: %v", err)
	}
}

// TestSQLiteQueueWriteFailure: a queue change the database refuses is not
// made, and says so as ErrStoreUnavailable.
func TestSQLiteQueueWriteFailure(t *testing.T) {
	db := openDir(t, t.TempDir())
	s := db.Mailboxes("default")
	must(t, s.Enqueue(queued("A", 0, 10, "bob@other.test"), big))
	readOnly(t, db, true)
	if err := s.Enqueue(queued("B", 0, 10, "bob@other.test"), big); !errors.Is(err, sandbox.ErrStoreUnavailable) {
		t.Fatalf("Enqueue on a read-only database: %v", err)
	}
	q := s.Queue()[0]
	q.Attempts, q.NextTry = 1, at(5)
	if err := s.Reschedule(q); !errors.Is(err, sandbox.ErrStoreUnavailable) {
		t.Fatalf("Reschedule on a read-only database: %v", err)
	}
	if err := s.Dequeue("A"); !errors.Is(err, sandbox.ErrStoreUnavailable) {
		t.Fatalf("Dequeue on a read-only database: %v", err)
	}
	readOnly(t, db, false)
	got := s.Queue()
	wantQueue(t, got, "A")
	if got[0].Attempts != 0 || !got[0].NextTry.Equal(at(0)) {
		t.Fatalf("a refused Reschedule changed the entry: %+v", got[0])
	}
}

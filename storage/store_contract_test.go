package storage

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"smtplab/sandbox"
)

// The contract every world store keeps: sandbox.MemoryStore's behaviour.
// Each test runs against every implementation.

const big = 1 << 40 // a quota or store size nothing reaches

func TestStoreContract(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, st Storage)
	}{
		{"deliver", testDeliver},
		{"quota", testQuota},
		{"store full", testStoreFull},
		{"remove", testRemove},
		{"clear", testClear},
		{"lock", testLock},
		{"worlds", testWorlds},
		{"like MemoryStore", testLikeMemoryStore},
		{"parallel", testParallel},
	}
	for _, impl := range implementations {
		for _, tc := range tests {
			t.Run(impl.name+"/"+tc.name, func(t *testing.T) { tc.run(t, impl.open(t)) })
		}
	}
}

func testDeliver(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	for i, box := range []string{"alice", "bob", "alice"} {
		m := message(fmt.Sprintf("Q%d", i), box, 10*(i+1))
		must(t, s.Deliver(m, big, big))
		if want := fmt.Sprintf("Q%d.%d", i, i+1); m.UID != want {
			t.Fatalf("UID = %q, want %q", m.UID, want)
		}
	}
	wantUIDs(t, s, "alice", "Q0.1", "Q2.3")
	wantUIDs(t, s, "bob", "Q1.2")
	wantUIDs(t, s, "carol")
	wantUsage(t, s, 3, 60)
	got := s.Messages("alice")
	if got[1].Subject != "Hello alice" || got[1].Size() != 30 {
		t.Fatalf("second message of alice: %q, %d octets", got[1].Subject, got[1].Size())
	}
	got[0] = nil // the slice is the caller's
	wantUIDs(t, s, "alice", "Q0.1", "Q2.3")
}

func testQuota(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	must(t, s.Deliver(message("A", "alice", 60), 100, big))
	must(t, s.Deliver(message("B", "alice", 40), 100, big)) // exactly the quota
	m := message("C", "alice", 1)
	if err := s.Deliver(m, 100, big); !errors.Is(err, sandbox.ErrMailboxFull) {
		t.Fatalf("past the quota: %v, want ErrMailboxFull", err)
	}
	if m.UID != "" {
		t.Fatalf("a refused message got UID %q", m.UID)
	}
	must(t, s.Deliver(message("D", "bob", 100), 100, big)) // quota is per mailbox
	wantUIDs(t, s, "alice", "A.1", "B.2")
	wantUIDs(t, s, "bob", "D.3") // the refusal used no UID
	wantUsage(t, s, 3, 200)
}

func testStoreFull(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	must(t, s.Deliver(message("A", "alice", 60), big, 100))
	must(t, s.Deliver(message("B", "bob", 40), big, 100))
	if err := s.Deliver(message("C", "carol", 1), big, 100); !errors.Is(err, sandbox.ErrStoreFull) {
		t.Fatalf("past the store: %v, want ErrStoreFull", err)
	}
	// Both limits passed: the store's is checked first.
	if err := s.Deliver(message("D", "alice", 50), 10, 100); !errors.Is(err, sandbox.ErrStoreFull) {
		t.Fatalf("past both: %v, want ErrStoreFull", err)
	}
	wantUsage(t, s, 2, 100)
	s.Remove("alice", []string{"A.1"})
	must(t, s.Deliver(message("E", "carol", 60), big, 100))
	wantUIDs(t, s, "carol", "E.3")
}

func testRemove(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	for i := range 4 {
		must(t, s.Deliver(message(fmt.Sprint("M", i), "alice", 10), big, big))
	}
	must(t, s.Deliver(message("B", "bob", 5), big, big))
	if n := s.Remove("alice", []string{"M1.2", "M3.4", "B.5", "nope", "M1.2"}); n != 2 {
		t.Fatalf("Remove = %d, want 2", n)
	}
	wantUIDs(t, s, "alice", "M0.1", "M2.3")
	wantUIDs(t, s, "bob", "B.5") // another mailbox's UID is not removed
	wantUsage(t, s, 3, 25)
	if n := s.Remove("alice", nil); n != 0 {
		t.Fatalf("Remove(nil) = %d", n)
	}
	if n := s.Remove("nobody", []string{"M0.1"}); n != 0 {
		t.Fatalf("Remove from an empty mailbox = %d", n)
	}
	if n := s.Remove("alice", []string{"M0.1", "M2.3"}); n != 2 {
		t.Fatalf("Remove all = %d", n)
	}
	wantUIDs(t, s, "alice")
	wantUsage(t, s, 1, 5)
}

func testClear(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	must(t, s.Deliver(message("A", "alice", 10), big, big))
	must(t, s.Deliver(message("B", "bob", 10), big, big))
	if !s.Lock("alice") {
		t.Fatal("Lock failed")
	}
	s.Clear()
	wantUsage(t, s, 0, 0)
	wantUIDs(t, s, "alice")
	wantUIDs(t, s, "bob")
	if s.Lock("alice") {
		t.Fatal("Clear released a lock")
	}
	m := message("A", "alice", 10)
	must(t, s.Deliver(m, 10, 10)) // the limits count from zero again
	if m.UID != "A.3" {
		t.Fatalf("UID after Clear = %q, want A.3 (never reused)", m.UID)
	}
}

func testLock(t *testing.T, st Storage) {
	s := st.Mailboxes("default")
	if !s.Lock("alice") || s.Lock("alice") {
		t.Fatal("Lock: want true, then false")
	}
	if !s.Lock("bob") {
		t.Fatal("another mailbox's lock is separate")
	}
	s.Unlock("alice")
	if !s.Lock("alice") {
		t.Fatal("Lock after Unlock failed")
	}
	s.Unlock("carol") // not held: nothing happens
	if !st.Mailboxes("other").Lock("alice") {
		t.Fatal("another world's lock is separate")
	}
}

func testWorlds(t *testing.T, st Storage) {
	a, b := st.Mailboxes("class-1"), st.Mailboxes("default")
	if st.Mailboxes("class-1") != a {
		t.Fatal("the same name gave another store")
	}
	must(t, a.Deliver(message("A", "alice", 10), big, big))
	must(t, b.Deliver(message("B", "alice", 10), big, 10))
	wantUIDs(t, a, "alice", "A.1")
	wantUIDs(t, b, "alice", "B.1") // counters and limits are per world
	b.Clear()
	wantUIDs(t, a, "alice", "A.1")
}

// testLikeMemoryStore plays random operations on the store and on a
// sandbox.MemoryStore and compares every answer.
func testLikeMemoryStore(t *testing.T, st Storage) {
	s, want := st.Mailboxes("default"), sandbox.NewMemoryStore()
	rng := rand.New(rand.NewPCG(1, 2))
	boxes := []string{"alice", "bob", "carol"}
	for i := range 400 {
		box := boxes[rng.IntN(len(boxes))]
		switch op := rng.IntN(10); {
		case op < 6:
			size, id := 1+rng.IntN(120), fmt.Sprint("Q", i)
			m1, m2 := message(id, box, size), message(id, box, size)
			e1, e2 := s.Deliver(m1, 300, 700), want.Deliver(m2, 300, 700)
			if e1 != e2 || m1.UID != m2.UID {
				t.Fatalf("op %d: Deliver = %v %q, MemoryStore %v %q", i, e1, m1.UID, e2, m2.UID)
			}
		case op < 9:
			var pick []string
			for _, u := range uids(want.Messages(box)) {
				if rng.IntN(3) == 0 {
					pick = append(pick, u)
				}
			}
			pick = append(pick, fmt.Sprint("Q", rng.IntN(i+1), ".", rng.IntN(i+1)))
			if n1, n2 := s.Remove(box, pick), want.Remove(box, pick); n1 != n2 {
				t.Fatalf("op %d: Remove = %d, MemoryStore %d", i, n1, n2)
			}
		default:
			s.Clear()
			want.Clear()
		}
		sameAs(t, i, s, want, boxes)
	}
}

func sameAs(t *testing.T, op int, s, want sandbox.Store, boxes []string) {
	t.Helper()
	c1, o1 := s.Usage()
	c2, o2 := want.Usage()
	if c1 != c2 || o1 != o2 {
		t.Fatalf("op %d: Usage = %d, %d; MemoryStore %d, %d", op, c1, o1, c2, o2)
	}
	for _, b := range boxes {
		if g, w := uids(s.Messages(b)), uids(want.Messages(b)); !slices.Equal(g, w) {
			t.Fatalf("op %d: %s = %q, MemoryStore %q", op, b, g, w)
		}
	}
}

// testParallel delivers into several mailboxes of two worlds at once,
// reading and locking meanwhile; run it with -race.
func testParallel(t *testing.T, st Storage) {
	const workers, each = 8, 25
	worlds := []string{"w0", "w1"}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			s := st.Mailboxes(worlds[w%2])
			box := fmt.Sprint("box", w%4)
			for i := range each {
				if err := s.Deliver(message(fmt.Sprint("W", w, "-", i), box, 100), big, big); err != nil {
					t.Error(err)
					return
				}
				s.Messages(box)
				s.Usage()
				if s.Lock(box) {
					s.Unlock(box)
				}
			}
		})
	}
	wg.Wait()
	for _, name := range worlds {
		s := st.Mailboxes(name)
		wantUsage(t, s, workers/2*each, workers/2*each*100)
		seen := map[string]bool{}
		for b := range 4 {
			for _, m := range s.Messages(fmt.Sprint("box", b)) {
				if seen[m.UID] {
					t.Fatalf("%s: UID %s twice", name, m.UID)
				}
				seen[m.UID] = true
			}
		}
	}
}

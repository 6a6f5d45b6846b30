package sandbox

import (
	"errors"
	"testing"
)

// TestBudgetSharedByStores: two worlds' stores share one budget; past it a
// delivery is refused as storage full, and removing or clearing gives the
// octets back.
func TestBudgetSharedByStores(t *testing.T) {
	b := &Budget{Max: 100}
	a, c := NewMemoryStore(), NewMemoryStore()
	a.Budget, c.Budget = b, b
	msg := func(id string) *Message { return &Message{ID: id, Mailbox: "alice", Raw: make([]byte, 60)} }
	if err := a.Deliver(msg("A"), 1<<20, 1<<20); err != nil {
		t.Fatal(err)
	}
	m := msg("B")
	if err := c.Deliver(m, 1<<20, 1<<20); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("past the shared budget: %v", err)
	}
	if b.Used() != 60 {
		t.Fatalf("used %d after a refusal, want 60", b.Used())
	}
	a.Clear()
	if b.Used() != 0 {
		t.Fatalf("used %d after Clear", b.Used())
	}
	if err := c.Deliver(m, 1<<20, 1<<20); err != nil {
		t.Fatal(err)
	}
	c.Remove("alice", []string{m.UID})
	if b.Used() != 0 {
		t.Fatalf("used %d after Remove", b.Used())
	}
}

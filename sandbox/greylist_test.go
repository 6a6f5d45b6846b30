package sandbox

import (
	"strconv"
	"testing"
	"time"
)

// TestGreylist: the first attempt of a triple waits the whole delay, a
// retry too early waits what is left, one after the delay gets in; another
// sender, recipient or client address is a new triple; the port is not
// part of the client.
func TestGreylist(t *testing.T) {
	w := NewWorld(Config{Greylist: 40 * time.Second})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	steps := []struct {
		remote, from, to string
		at               time.Duration
		wait             time.Duration
		first            bool
	}{
		{"198.51.100.25:4000", "alice@example.test", "lucie@grey.test", 0, 40 * time.Second, true},
		{"198.51.100.25:4001", "alice@example.test", "lucie@grey.test", 30 * time.Second, 10 * time.Second, false},
		{"198.51.100.25:4002", "ALICE@example.test", "Lucie@grey.test", 40 * time.Second, 0, false},
		{"198.51.100.25:4003", "alice@example.test", "marc@grey.test", 40 * time.Second, 40 * time.Second, true},
		{"198.51.100.26:4000", "alice@example.test", "lucie@grey.test", 41 * time.Second, 40 * time.Second, true},
		{"198.51.100.25:4004", "alice@example.test", "lucie@grey.test", time.Hour, 0, false},
	}
	for i, s := range steps {
		wait, first := w.Greylisted(s.remote, s.from, s.to, t0.Add(s.at))
		if wait != s.wait || first != s.first {
			t.Errorf("step %d: wait %v first %v; want %v %v", i+1, wait, first, s.wait, s.first)
		}
	}
	if wait, _ := NewWorld(Config{}).Greylisted("198.51.100.25", "a@b.test", "c@d.test", t0); wait != 0 {
		t.Error("a world without greylisting deferred a recipient")
	}
}

// TestGreylistBound: past MaxGreylisted triples the oldest is forgotten,
// and its sender is refused as a first-timer again.
func TestGreylistBound(t *testing.T) {
	w := NewWorld(Config{Greylist: time.Second})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range MaxGreylisted + 1 {
		w.Greylisted("198.51.100.25", "s"+strconv.Itoa(i)+"@a.test", "lucie@grey.test", t0)
	}
	if n := len(w.grey.first); n != MaxGreylisted {
		t.Errorf("%d triples kept, want %d", n, MaxGreylisted)
	}
	later := t0.Add(time.Minute)
	if _, first := w.Greylisted("198.51.100.25", "s0@a.test", "lucie@grey.test", later); !first {
		t.Error("the oldest triple was not forgotten")
	}
	if wait, _ := w.Greylisted("198.51.100.25", "s5@a.test", "lucie@grey.test", later); wait != 0 {
		t.Error("a remembered triple was deferred after the delay")
	}
}

package relay_test

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentRuns: sessions queue mail while timers fire runs from
// several goroutines at once; every message arrives exactly once. Run it
// with -race.
func TestConcurrentRuns(t *testing.T) {
	n, example, other := standard(t)
	const senders, each = 4, 5
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			for j := range each {
				submit(t, example, "alice", []string{"bob@other.test"}, fmt.Sprintf("Subject: %d-%d", i, j), "", "b")
			}
		})
		wg.Go(func() {
			for range each {
				n.relays[example].RunDue()
			}
		})
	}
	wg.Wait()
	n.relays[example].RunDue()
	if got := len(other.Store.Messages("bob")); got != senders*each {
		t.Errorf("bob got %d messages, want %d", got, senders*each)
	}
	if q := example.Store.Queue(); len(q) != 0 {
		t.Errorf("%d entries left in the queue", len(q))
	}
}

package sandboxtest

import (
	"fmt"
	"sync"

	"smtplab/sandbox"
)

// FlakyStore is a Store whose disk can fail: after Break(n), n more copies
// are delivered and every later one fails with sandbox.ErrStoreUnavailable,
// as a database does when its disk fills up, until Repair. Everything else
// goes to the wrapped store.
type FlakyStore struct {
	sandbox.Store
	mu     sync.Mutex
	broken bool
	left   int // deliveries that still succeed once broken
}

// NewFlakyStore wraps s; it works until Break.
func NewFlakyStore(s sandbox.Store) *FlakyStore { return &FlakyStore{Store: s} }

// Break lets n more deliveries through, then fails the rest.
func (f *FlakyStore) Break(n int) {
	f.mu.Lock()
	f.broken, f.left = true, n
	f.mu.Unlock()
}

// Repair makes every delivery go through again.
func (f *FlakyStore) Repair() {
	f.mu.Lock()
	f.broken = false
	f.mu.Unlock()
}

func (f *FlakyStore) Deliver(m *sandbox.Message, quota, maxStore int64) error {
	f.mu.Lock()
	fail := f.broken && f.left == 0
	if f.broken && f.left > 0 {
		f.left--
	}
	f.mu.Unlock()
	if fail {
		// Wrapped, as a real store reports the cause it met.
		return fmt.Errorf("write %s: no space left on device: %w", m.Mailbox, sandbox.ErrStoreUnavailable)
	}
	return f.Store.Deliver(m, quota, maxStore)
}

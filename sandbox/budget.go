package sandbox

import "sync/atomic"

// Budget is a count of octets that many holders share: the mail of every
// visitor's world, say. Per-holder limits alone multiply with the number of
// holders; a budget keeps their sum within what the machine has.
type Budget struct {
	Max  int64 // octets; 0 means no limit
	used atomic.Int64
}

// Reserve takes n octets if they fit, and reports whether they did.
func (b *Budget) Reserve(n int64) bool {
	if b == nil {
		return true
	}
	if b.used.Add(n) > b.Max && b.Max > 0 {
		b.used.Add(-n)
		return false
	}
	return true
}

// Release gives n octets back.
func (b *Budget) Release(n int64) {
	if b != nil {
		b.used.Add(-n)
	}
}

// Used reports the octets held.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

package sandbox

import "sync"

// Locks is the table of POP maildrop locks (RFC 1939 §8: one session at a
// time per maildrop). A lock belongs to a session of this process, never to
// the stored mail, so every Store keeps its locks here, in memory.
type Locks struct {
	mu   sync.Mutex
	held map[string]bool
}

// Lock takes the mailbox's lock; false if another session holds it.
func (l *Locks) Lock(mailbox string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[mailbox] {
		return false
	}
	if l.held == nil {
		l.held = map[string]bool{}
	}
	l.held[mailbox] = true
	return true
}

// Unlock gives the mailbox's lock back.
func (l *Locks) Unlock(mailbox string) {
	l.mu.Lock()
	delete(l.held, mailbox)
	l.mu.Unlock()
}

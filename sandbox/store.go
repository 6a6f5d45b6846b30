package sandbox

import (
	"errors"
	"strconv"
	"sync"
	"time"
)

// Message is one copy of a message in one mailbox.
type Message struct {
	ID       string    `json:"id"`      // queue id, shared by the copies of one accepted message
	UID      string    `json:"uid"`     // unique and stable within the mailbox (POP3 UIDL)
	Mailbox  string    `json:"mailbox"` // local part of the owner
	Arrived  time.Time `json:"arrived"`
	Raw      []byte    `json:"-"`             // full text with CRLF line ends, trace headers first
	Trace    int       `json:"trace"`         // octets at the start of Raw added by the server
	Bcc      string    `json:"bcc,omitempty"` // the Bcc header removed from this copy, if any
	Envelope Envelope  `json:"envelope"`
	Subject  string    `json:"subject,omitempty"`
	From     string    `json:"from,omitempty"`
}

// Size is the message's size in octets as POP3 counts it (CRLF line ends).
func (m *Message) Size() int { return len(m.Raw) }

// Store errors.
var (
	ErrMailboxFull = errors.New("mailbox full")
	ErrStoreFull   = errors.New("insufficient storage")
	// ErrStoreUnavailable wraps a failure to make a change durable (disk
	// full, read-only database): nothing was stored, try again later.
	ErrStoreUnavailable = errors.New("mail store unavailable")
)

// Store keeps the mailboxes of one world. Implementations are safe for
// concurrent use.
type Store interface {
	// Deliver appends m to m.Mailbox, setting m.UID, unless that would take
	// the mailbox past quota (ErrMailboxFull) or the store past maxStore
	// (ErrStoreFull).
	Deliver(m *Message, quota, maxStore int64) error
	// Messages returns the mailbox's messages in arrival order. The slice is
	// the caller's; the messages are shared and must not be modified.
	Messages(mailbox string) []*Message
	// Remove deletes the messages with the given UIDs and reports how many went.
	Remove(mailbox string, uids []string) int
	// Lock takes the mailbox's exclusive POP lock; false if already held.
	Lock(mailbox string) bool
	Unlock(mailbox string)
	// Usage reports how many messages and octets the store holds.
	Usage() (messages int, octets int64)
	// Clear empties every mailbox (locks stay as they are).
	Clear()
}

// MemoryStore is a Store held in memory.
type MemoryStore struct {
	Locks
	Budget *Budget // shared with other worlds' stores; nil: none
	mu     sync.Mutex
	boxes  map[string][]*Message
	used   map[string]int64 // octets per mailbox
	octets int64
	count  int
	uid    uint64
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{boxes: map[string][]*Message{}, used: map[string]int64{}}
}

func (s *MemoryStore) Deliver(m *Message, quota, maxStore int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	size := int64(m.Size())
	if s.octets+size > maxStore {
		return ErrStoreFull
	}
	if s.used[m.Mailbox]+size > quota {
		return ErrMailboxFull
	}
	if !s.Budget.Reserve(size) {
		return ErrStoreFull // the sandbox as a whole is full, not this world
	}
	s.uid++
	// UIDs are never reused, even after a Clear: RFC 1939 §7.
	m.UID = m.ID + "." + strconv.FormatUint(s.uid, 10)
	s.boxes[m.Mailbox] = append(s.boxes[m.Mailbox], m)
	s.used[m.Mailbox] += size
	s.octets += size
	s.count++
	return nil
}

func (s *MemoryStore) Messages(mailbox string) []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.boxes[mailbox]...)
}

func (s *MemoryStore) Remove(mailbox string, uids []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	gone := make(map[string]bool, len(uids))
	for _, u := range uids {
		gone[u] = true
	}
	kept := s.boxes[mailbox][:0:0]
	n := 0
	for _, m := range s.boxes[mailbox] {
		if gone[m.UID] {
			s.used[mailbox] -= int64(m.Size())
			s.octets -= int64(m.Size())
			s.Budget.Release(int64(m.Size()))
			s.count--
			n++
			continue
		}
		kept = append(kept, m)
	}
	s.boxes[mailbox] = kept
	return n
}

func (s *MemoryStore) Usage() (int, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, s.octets
}

func (s *MemoryStore) Clear() {
	s.mu.Lock()
	s.Budget.Release(s.octets)
	s.boxes = map[string][]*Message{}
	s.used = map[string]int64{}
	s.octets, s.count = 0, 0
	s.mu.Unlock()
}

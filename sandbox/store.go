package sandbox

import (
	"errors"
	"slices"
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
	// Clear empties every mailbox and the queue (locks stay as they are).
	Clear()

	// The outgoing queue: messages accepted for other servers, kept until
	// they are passed on or given up, across restarts where the store is
	// durable. Entries are returned as copies whose Raw is shared: it must
	// not be modified.

	// Enqueue adds q, unless its text would take the queue past maxQueue
	// octets (ErrStoreFull). Its ID must not be queued already.
	Enqueue(q *Queued, maxQueue int64) error
	// Queue lists every entry in the order they were queued.
	Queue() []Queued
	// Due lists the entries whose NextTry is not after now, in queue order.
	Due(now time.Time) []Queued
	// Reschedule records an attempt: the entry of q.ID takes q's Attempts,
	// NextTry and Rcpts (the recipients still to deliver).
	Reschedule(q Queued) error
	// Dequeue removes the entry of id; removing one that is gone is no error.
	Dequeue(id string) error
}

// Queued is a message in a world's outgoing queue, waiting to be handed to
// the servers of its recipients' domains.
type Queued struct {
	ID   string `json:"id"`   // the queue id its 250 gave
	From string `json:"from"` // envelope sender; "" is the null sender <>
	// Rcpts are the recipients still to deliver, in RCPT order.
	Rcpts []QueuedRcpt `json:"rcpts"`
	// Raw is the text to pass on, CRLF lines, this server's Received line
	// on top.
	Raw      []byte    `json:"-"`
	Body     string    `json:"body,omitempty"` // BODY= as declared
	Arrived  time.Time `json:"arrived"`
	Attempts int       `json:"attempts"`
	NextTry  time.Time `json:"nextTry"`
}

// Size is the octets of text the entry holds.
func (q *Queued) Size() int64 { return int64(len(q.Raw)) }

// Clone returns a copy of q whose recipients are its own; Raw is shared.
func (q Queued) Clone() Queued {
	q.Rcpts = append([]QueuedRcpt(nil), q.Rcpts...)
	return q
}

// QueuedRcpt is a recipient waiting in the queue.
type QueuedRcpt struct {
	Addr string `json:"addr"`
	// Last is what the latest attempt for it gave; nil before the first.
	Last *Attempt `json:"last,omitempty"`
}

// Attempt is what one try to hand a recipient to its next server gave, as
// a delivery status notification reports it (RFC 3464 §2.3).
type Attempt struct {
	At     time.Time `json:"at"`
	Host   string    `json:"host,omitempty"`  // the server that answered (Remote-MTA)
	Status string    `json:"status"`          // RFC 3463 code: the reply's, or the queue's own
	Reply  []string  `json:"reply,omitempty"` // the reply's lines as received; none when none came
	Stage  string    `json:"stage,omitempty"` // what the reply answered: "RCPT TO", "end of DATA"…
	Reason string    `json:"reason"`          // catalog key: why the attempt ended so
	Text   string    `json:"text,omitempty"`  // the same in words (wire text), when no reply says it
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
	queue  []Queued
	queued int64 // octets of text in the queue
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
	s.Budget.Release(s.octets + s.queued)
	s.boxes = map[string][]*Message{}
	s.used = map[string]int64{}
	s.octets, s.count = 0, 0
	s.queue, s.queued = nil, 0
	s.mu.Unlock()
}

// ErrQueued is Enqueue's error for an ID already in the queue.
var ErrQueued = errors.New("already queued")

func (s *MemoryStore) Enqueue(q *Queued, maxQueue int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(q.ID) >= 0 {
		return ErrQueued
	}
	if s.queued+q.Size() > maxQueue || !s.Budget.Reserve(q.Size()) {
		return ErrStoreFull
	}
	s.queue = append(s.queue, q.Clone())
	s.queued += q.Size()
	return nil
}

// find returns the index of id in the queue, -1 if it is not there.
func (s *MemoryStore) find(id string) int {
	return slices.IndexFunc(s.queue, func(q Queued) bool { return q.ID == id })
}

func (s *MemoryStore) Queue() []Queued { return s.due(time.Time{}, true) }

func (s *MemoryStore) Due(now time.Time) []Queued { return s.due(now, false) }

func (s *MemoryStore) due(now time.Time, all bool) []Queued {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Queued
	for _, q := range s.queue {
		if all || !q.NextTry.After(now) {
			out = append(out, q.Clone())
		}
	}
	return out
}

func (s *MemoryStore) Reschedule(q Queued) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(q.ID)
	if i < 0 {
		return nil // gone meanwhile (a Clear): nothing to keep
	}
	e := &s.queue[i]
	e.Attempts, e.NextTry = q.Attempts, q.NextTry
	e.Rcpts = append([]QueuedRcpt(nil), q.Rcpts...)
	return nil
}

func (s *MemoryStore) Dequeue(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.find(id); i >= 0 {
		s.queued -= s.queue[i].Size()
		s.Budget.Release(s.queue[i].Size())
		s.queue = slices.Delete(s.queue, i, i+1)
	}
	return nil
}

package storage

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"smtplab/sandbox"
)

// dbStore is one world's mailboxes kept in the database, with a copy in
// memory for reads. A change is written to the database first, and memory
// follows only once the transaction committed: what a client was told is
// stored survives a restart, and a failed write changes nothing. POP locks
// belong to this process's sessions and are kept in memory only.
type dbStore struct {
	sandbox.Locks
	db    *sql.DB
	w     *batcher
	world string

	mu     sync.Mutex
	loaded bool
	boxes  map[string][]*sandbox.Message
	used   map[string]int64 // octets per mailbox
	octets int64
	count  int
	uid    uint64 // last UID counter used
	queue  []sandbox.Queued
	queued int64 // octets of text in the queue
}

var _ CheckedStore = (*dbStore)(nil)

func newDBStore(db *sql.DB, w *batcher, world string) *dbStore {
	return &dbStore{db: db, w: w, world: world}
}

// unavailable is the error of a change the database did not make durable.
func unavailable(err error) error {
	return fmt.Errorf("%w: %v", sandbox.ErrStoreUnavailable, err)
}

// ready loads the world from the database unless done; s.mu is held.
func (s *dbStore) ready() error {
	if s.loaded {
		return nil
	}
	uid, boxes, err := loadWorld(s.db, s.world)
	if err != nil {
		return err
	}
	queue, err := loadQueue(s.db, s.world)
	if err != nil {
		return err
	}
	s.queue, s.queued = queue, 0
	for _, q := range queue {
		s.queued += q.Size()
	}
	s.uid, s.boxes, s.used = uid, boxes, map[string]int64{}
	s.octets, s.count = 0, 0
	for box, msgs := range boxes {
		for _, m := range msgs {
			s.used[box] += int64(m.Size())
			s.octets += int64(m.Size())
			s.count++
		}
	}
	s.loaded = true
	return nil
}

// Deliver checks the limits as sandbox.MemoryStore does, then stores m.
// Its UID and octets are reserved while the write is on its way, so that
// deliveries to one world share transactions (see batcher) without going
// past a limit; a failed write gives them back.
func (s *dbStore) Deliver(m *sandbox.Message, quota, maxStore int64) error {
	s.mu.Lock()
	if err := s.ready(); err != nil {
		s.mu.Unlock()
		return unavailable(err)
	}
	size := int64(m.Size())
	if s.octets+size > maxStore {
		s.mu.Unlock()
		return sandbox.ErrStoreFull
	}
	if s.used[m.Mailbox]+size > quota {
		s.mu.Unlock()
		return sandbox.ErrMailboxFull
	}
	// UIDs are never reused, even after a Clear: RFC 1939 §7.
	s.uid++
	next := s.uid
	s.used[m.Mailbox] += size
	s.octets += size
	s.mu.Unlock()

	uid := m.ID + "." + strconv.FormatUint(next, 10)
	err := insertMessage(s.w, s.world, next, uid, m)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.used[m.Mailbox] -= size
		s.octets -= size
		if s.uid == next { // nobody took a later one: a failed write uses no UID
			s.uid--
		}
		return unavailable(err)
	}
	m.UID = uid
	s.add(m, next)
	s.count++
	return nil
}

// add puts m in its mailbox in counter order: writes that shared a
// transaction may come back in any order.
func (s *dbStore) add(m *sandbox.Message, counter uint64) {
	box := append(s.boxes[m.Mailbox], m)
	for i := len(box) - 1; i > 0 && uidCounter(box[i-1].UID) > counter; i-- {
		box[i-1], box[i] = box[i], box[i-1]
	}
	s.boxes[m.Mailbox] = box
}

// uidCounter reads the counter at the end of a UID (ID "." counter).
func uidCounter(uid string) uint64 {
	n, _ := strconv.ParseUint(uid[strings.LastIndexByte(uid, '.')+1:], 10, 64)
	return n
}

// Messages answers from memory; nothing while the world cannot be loaded.
func (s *dbStore) Messages(mailbox string) []*sandbox.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready() != nil {
		return nil
	}
	return append([]*sandbox.Message(nil), s.boxes[mailbox]...)
}

// Remove is RemoveChecked without the error: a failed write removes nothing.
func (s *dbStore) Remove(mailbox string, uids []string) int {
	n, _ := s.RemoveChecked(mailbox, uids)
	return n
}

func (s *dbStore) RemoveChecked(mailbox string, uids []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return 0, unavailable(err)
	}
	gone := make(map[string]bool, len(uids))
	for _, u := range uids {
		gone[u] = true
	}
	var kept, doomed []*sandbox.Message
	for _, m := range s.boxes[mailbox] {
		if gone[m.UID] {
			doomed = append(doomed, m)
		} else {
			kept = append(kept, m)
		}
	}
	if len(doomed) == 0 {
		return 0, nil
	}
	if err := deleteMessages(s.w, s.world, doomed); err != nil {
		return 0, unavailable(err)
	}
	for _, m := range doomed {
		s.used[mailbox] -= int64(m.Size())
		s.octets -= int64(m.Size())
		s.count--
	}
	s.boxes[mailbox] = kept
	return len(doomed), nil
}

func (s *dbStore) Usage() (int, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready() != nil {
		return 0, 0
	}
	return s.count, s.octets
}

// Clear is ClearChecked without the error: a failed write clears nothing.
func (s *dbStore) Clear() { s.ClearChecked() }

// ClearChecked empties every mailbox and the queue; the UID counter and
// the locks stay.
func (s *dbStore) ClearChecked() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return unavailable(err)
	}
	err := s.w.do(func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM messages WHERE world = ?`, s.world); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM queue WHERE world = ?`, s.world)
		return err
	})
	if err != nil {
		return unavailable(err)
	}
	s.boxes, s.used = map[string][]*sandbox.Message{}, map[string]int64{}
	s.octets, s.count = 0, 0
	s.queue, s.queued = nil, 0
	return nil
}

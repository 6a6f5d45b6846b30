package storage

import (
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"smtplab/sandbox"
)

// The outgoing queue of a dbStore. Like the mailboxes, it is written to
// the database first and kept in memory for reads: an entry is in memory
// only once its transaction committed, so what the SMTP session answered
// 250 for is in the file when the client reads the 250.

func (s *dbStore) Enqueue(q *sandbox.Queued, maxQueue int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return unavailable(err)
	}
	if s.findQueued(q.ID) >= 0 {
		return sandbox.ErrQueued
	}
	if s.queued+q.Size() > maxQueue {
		return sandbox.ErrStoreFull
	}
	rcpts, err := json.Marshal(q.Rcpts)
	if err != nil {
		return err
	}
	// Under s.mu, unlike Deliver: the queue's writes are few (one per
	// message for other servers, one per attempt), and this keeps the
	// memory copy in the database's order without more bookkeeping.
	err = s.w.do(func(tx *sql.Tx) error {
		const insert = `INSERT INTO queue
			(world, id, sender, rcpts, raw, body, arrived, attempts, next_try)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
		_, err := tx.Exec(insert, s.world, q.ID, q.From, string(rcpts), q.Raw, q.Body,
			formatTime(q.Arrived), q.Attempts, formatTime(q.NextTry))
		return err
	})
	if err != nil {
		return unavailable(err)
	}
	s.queue = append(s.queue, q.Clone())
	s.queued += q.Size()
	return nil
}

func (s *dbStore) findQueued(id string) int {
	return slices.IndexFunc(s.queue, func(q sandbox.Queued) bool { return q.ID == id })
}

func (s *dbStore) Queue() []sandbox.Queued { return s.due(time.Time{}, true) }

func (s *dbStore) Due(now time.Time) []sandbox.Queued { return s.due(now, false) }

func (s *dbStore) due(now time.Time, all bool) []sandbox.Queued {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready() != nil {
		return nil
	}
	var out []sandbox.Queued
	for _, q := range s.queue {
		if all || !q.NextTry.After(now) {
			out = append(out, q.Clone())
		}
	}
	return out
}

func (s *dbStore) Reschedule(q sandbox.Queued) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return unavailable(err)
	}
	i := s.findQueued(q.ID)
	if i < 0 {
		return nil
	}
	rcpts, err := json.Marshal(q.Rcpts)
	if err != nil {
		return err
	}
	err = s.w.do(func(tx *sql.Tx) error {
		const update = `UPDATE queue SET rcpts = ?, attempts = ?, next_try = ? WHERE world = ? AND id = ?`
		_, err := tx.Exec(update, string(rcpts), q.Attempts, formatTime(q.NextTry), s.world, q.ID)
		return err
	})
	if err != nil {
		return unavailable(err)
	}
	e := &s.queue[i]
	e.Attempts, e.NextTry = q.Attempts, q.NextTry
	e.Rcpts = append([]sandbox.QueuedRcpt(nil), q.Rcpts...)
	return nil
}

func (s *dbStore) Dequeue(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return unavailable(err)
	}
	i := s.findQueued(id)
	if i < 0 {
		return nil
	}
	err := s.w.do(func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM queue WHERE world = ? AND id = ?`, s.world, id)
		return err
	})
	if err != nil {
		return unavailable(err)
	}
	s.queued -= s.queue[i].Size()
	s.queue = slices.Delete(s.queue, i, i+1)
	return nil
}

// loadQueue reads a world's queue in queue order.
func loadQueue(db *sql.DB, world string) ([]sandbox.Queued, error) {
	const query = `SELECT id, sender, rcpts, raw, body, arrived, attempts, next_try
		FROM queue WHERE world = ? ORDER BY seq`
	rows, err := db.Query(query, world)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sandbox.Queued
	for rows.Next() {
		var q sandbox.Queued
		var rcpts, arrived, next string
		if err := rows.Scan(&q.ID, &q.From, &rcpts, &q.Raw, &q.Body, &arrived, &q.Attempts, &next); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(rcpts), &q.Rcpts); err != nil {
			return nil, err
		}
		if q.Arrived, err = parseTime(arrived); err != nil {
			return nil, err
		}
		if q.NextTry, err = parseTime(next); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

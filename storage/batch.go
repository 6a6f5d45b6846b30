package storage

import (
	"database/sql"
	"errors"
	"sync"
)

// maxBatch bounds the writes one transaction carries.
const maxBatch = 64

var errClosed = errors.New("storage closed")

// batcher runs mailbox writes in shared transactions: a write that comes
// while another transaction commits joins the next one, so sixteen
// sessions delivering at once pay for a few commits, not sixteen. Each
// write has a savepoint of its own: one that fails is rolled back alone.
// A caller returns only once its write is committed.
type batcher struct {
	db   *sql.DB
	reqs chan *writeReq
	quit chan struct{}
	done sync.WaitGroup
	once sync.Once
}

type writeReq struct {
	f   func(tx *sql.Tx) error
	err chan error
}

func newBatcher(db *sql.DB) *batcher {
	b := &batcher{db: db, reqs: make(chan *writeReq), quit: make(chan struct{})}
	b.done.Add(1)
	go b.run()
	return b
}

// do runs f in a transaction, perhaps shared, and returns once it is
// committed (nil) or rolled back (the error).
func (b *batcher) do(f func(tx *sql.Tx) error) error {
	r := &writeReq{f: f, err: make(chan error, 1)}
	select {
	case b.reqs <- r:
		return <-r.err
	case <-b.quit:
		return errClosed
	}
}

func (b *batcher) run() {
	defer b.done.Done()
	for {
		select {
		case <-b.quit:
			return
		case first := <-b.reqs:
			batch := []*writeReq{first}
		more:
			for len(batch) < maxBatch {
				select {
				case r := <-b.reqs:
					batch = append(batch, r)
				default:
					break more
				}
			}
			b.commit(batch)
		}
	}
}

func (b *batcher) commit(batch []*writeReq) {
	errs := make([]error, len(batch))
	tx, err := b.db.Begin()
	if err == nil {
		for i, r := range batch {
			errs[i] = savepoint(tx, r.f)
		}
		err = tx.Commit()
	}
	for i, r := range batch {
		if err != nil {
			errs[i] = err
		}
		r.err <- errs[i]
	}
}

// savepoint runs f so that its failure undoes f alone.
func savepoint(tx *sql.Tx, f func(tx *sql.Tx) error) error {
	if _, err := tx.Exec(`SAVEPOINT write`); err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Exec(`ROLLBACK TO write`)
		tx.Exec(`RELEASE write`)
		return err
	}
	_, err := tx.Exec(`RELEASE write`)
	return err
}

// close stops the batcher; writes after it fail with errClosed.
func (b *batcher) close() {
	b.once.Do(func() { close(b.quit) })
	b.done.Wait()
}

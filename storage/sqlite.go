package storage

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver, pure Go

	"smtplab/classroom"
	"smtplab/sandbox"
)

// FileName is the database file in the data folder.
const FileName = "smtplab.db"

// maxConns bounds the connection pool. Writes are serialised by SQLite
// anyway; a few connections let the dashboard read while mail is written.
const maxConns = 4

// SQLite keeps state in an SQLite database file. One process at a time may
// use a data folder: each world's messages are held in memory too, and
// another process's writes would not be seen.
type SQLite struct {
	db   *sql.DB
	w    *batcher
	path string
	repo *dbRepo

	mu     sync.Mutex
	worlds map[string]*dbStore
}

// Open opens, or creates, dir/smtplab.db, creating dir (mode 0700: it holds
// the students' passwords) if missing, and brings its schema up to date.
func Open(dir string) (*SQLite, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	db.SetMaxOpenConns(maxConns)
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: %s: %w", path, err)
	}
	return &SQLite{db: db, w: newBatcher(db), path: path, repo: &dbRepo{db: db}, worlds: map[string]*dbStore{}}, nil
}

// dsn names the database and the settings every connection gets. The
// PRAGMAs are per connection, so they go in the DSN, which the driver
// applies to each connection it opens:
//   - journal_mode=WAL with synchronous=NORMAL: a committed transaction
//     survives a crash of the process (it is in the WAL file, in the
//     kernel's hands); only a power cut or an OS crash can lose the last
//     commits, never corrupt the file. That is the right price for a
//     sandbox: no fsync per delivered message.
//   - busy_timeout=5000: wait for another connection's write instead of
//     failing at once.
//   - foreign_keys=ON: removing a student removes what they did.
//
// _txlock=immediate makes every transaction take the write lock when it
// begins, so two transactions never both read and then fail to upgrade.
func dsn(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
}

// Path is the database file's absolute path.
func (s *SQLite) Path() string { return s.path }

// Close closes the database; the stores and the repository fail after it.
func (s *SQLite) Close() error {
	s.w.close()
	return s.db.Close()
}

// Mailboxes returns the world's store. Its messages are read from the
// database the first time it is asked for; while that read fails, each use
// tries again (and Deliver answers ErrStoreUnavailable).
func (s *SQLite) Mailboxes(world string) sandbox.Store {
	s.mu.Lock()
	st, ok := s.worlds[world]
	if !ok {
		st = newDBStore(s.db, s.w, world)
		s.worlds[world] = st
	}
	s.mu.Unlock()
	// Loaded outside s.mu, so that one big world does not hold up the
	// others; its own users wait on st.mu.
	st.mu.Lock()
	st.ready()
	st.mu.Unlock()
	return st
}

func (s *SQLite) Classroom() classroom.Repo { return s.repo }

// inTx runs f in a transaction, committed if f returns nil.
func inTx(db *sql.DB, f func(tx *sql.Tx) error) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

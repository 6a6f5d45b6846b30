package storage

import (
	"database/sql"
	"fmt"
	"time"
)

// migrations is the schema's history: migrations[i] brings the database to
// version i+1. Each runs once, in its own transaction, and schema_version
// records it. Add new ones at the end; never edit one that has shipped.
//
// Times are TEXT in timeLayout (UTC, fixed width), so they sort as times.
var migrations = []string{
	// 1: mailboxes and the classroom.
	`CREATE TABLE worlds (
		name TEXT PRIMARY KEY,
		uid  INTEGER NOT NULL -- last UID counter used; never goes back (RFC 1939 §7)
	) STRICT;
	CREATE TABLE messages (
		seq      INTEGER PRIMARY KEY, -- arrival order
		world    TEXT NOT NULL REFERENCES worlds(name),
		mailbox  TEXT NOT NULL,
		uid      TEXT NOT NULL,
		id       TEXT NOT NULL,
		arrived  TEXT NOT NULL,
		raw      BLOB,
		trace    INTEGER NOT NULL,
		bcc      TEXT NOT NULL,
		envelope TEXT NOT NULL, -- JSON
		subject  TEXT NOT NULL,
		sender   TEXT NOT NULL,
		UNIQUE (world, uid)
	) STRICT;
	CREATE TABLE classes (
		id      TEXT PRIMARY KEY,
		name    TEXT NOT NULL,
		code    TEXT NOT NULL,
		domain  TEXT NOT NULL,
		locale  TEXT NOT NULL,
		lessons TEXT NOT NULL, -- JSON
		state   TEXT NOT NULL,
		created TEXT NOT NULL
	) STRICT;
	CREATE TABLE students (
		id       TEXT PRIMARY KEY,
		class_id TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
		name     TEXT NOT NULL,
		local    TEXT NOT NULL,
		password TEXT NOT NULL,
		pin      TEXT NOT NULL,
		joined   TEXT NOT NULL,
		seen     TEXT NOT NULL
	) STRICT;
	CREATE INDEX students_class ON students(class_id, joined, id);
	CREATE TABLE steps (
		seq        INTEGER PRIMARY KEY,
		student_id TEXT NOT NULL REFERENCES students(id) ON DELETE CASCADE,
		lesson     TEXT NOT NULL,
		step       TEXT NOT NULL,
		at         TEXT NOT NULL,
		UNIQUE (student_id, lesson, step)
	) STRICT;
	-- n numbers a student's lines and hits, so that dropping the oldest is
	-- a range delete on the key.
	CREATE TABLE lines (
		student_id TEXT NOT NULL REFERENCES students(id) ON DELETE CASCADE,
		n          INTEGER NOT NULL,
		at         TEXT NOT NULL,
		dir        TEXT NOT NULL,
		host       TEXT NOT NULL,
		text       TEXT NOT NULL,
		PRIMARY KEY (student_id, n)
	) STRICT, WITHOUT ROWID;
	CREATE TABLE hits (
		seq        INTEGER PRIMARY KEY,
		student_id TEXT NOT NULL REFERENCES students(id) ON DELETE CASCADE,
		n          INTEGER NOT NULL,
		code       TEXT NOT NULL,
		reason     TEXT NOT NULL,
		at         TEXT NOT NULL,
		UNIQUE (student_id, n)
	) STRICT;`,
	// 2: each world's outgoing queue (RFC 5321 §6.1: a message the server
	// said 250 to must not be lost, even while it waits for the next server).
	`CREATE TABLE queue (
		seq      INTEGER PRIMARY KEY, -- queue order
		world    TEXT NOT NULL,
		id       TEXT NOT NULL,
		sender   TEXT NOT NULL,
		rcpts    TEXT NOT NULL, -- JSON: the recipients left, with their last attempt
		raw      BLOB NOT NULL,
		body     TEXT NOT NULL,
		arrived  TEXT NOT NULL,
		attempts INTEGER NOT NULL,
		next_try TEXT NOT NULL,
		UNIQUE (world, id)
	) STRICT;`,
}

// migrate brings db to the last version, refusing a database written by a
// newer smtplab.
func migrate(db *sql.DB) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY,
		applied TEXT NOT NULL
	) STRICT`
	if _, err := db.Exec(create); err != nil {
		return err
	}
	var have int
	if err := db.QueryRow(`SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&have); err != nil {
		return err
	}
	if have > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program's %d", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if err := applyMigration(db, v); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}

// applyMigration runs migration v unless it already ran: the check is in
// the transaction, so two processes opening a new folder at once apply it
// once.
func applyMigration(db *sql.DB, v int) error {
	return inTx(db, func(tx *sql.Tx) error {
		var done int
		if err := tx.QueryRow(`SELECT count(*) FROM schema_version WHERE version = ?`, v).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			return nil
		}
		if _, err := tx.Exec(migrations[v-1]); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO schema_version (version, applied) VALUES (?, ?)`, v, formatTime(time.Now()))
		return err
	})
}

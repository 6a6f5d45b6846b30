package storage

import (
	"database/sql"
	"encoding/json"

	"smtplab/classroom"
)

// dbRepo is the classroom.Repo of the SQLite database.
//
// Saves are upserts, never INSERT OR REPLACE: a replace deletes the row
// first, and the foreign keys would take the class's students, or the
// student's progress, with it.
type dbRepo struct{ db *sql.DB }

func (r *dbRepo) SaveClass(c classroom.Class) error {
	lessons, err := json.Marshal(c.Lessons)
	if err != nil {
		return err
	}
	const upsert = `INSERT INTO classes (id, name, code, domain, locale, lessons, state, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, code = excluded.code,
			domain = excluded.domain, locale = excluded.locale, lessons = excluded.lessons,
			state = excluded.state, created = excluded.created`
	_, err = r.db.Exec(upsert, c.ID, c.Name, c.Code, c.Domain, c.Locale, string(lessons), c.State, formatTime(c.Created))
	return err
}

func (r *dbRepo) Classes() ([]classroom.Class, error) {
	rows, err := r.db.Query(`SELECT id, name, code, domain, locale, lessons, state, created
		FROM classes ORDER BY created, id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(c *classroom.Class) error {
		var lessons, created string
		if err := rows.Scan(&c.ID, &c.Name, &c.Code, &c.Domain, &c.Locale, &lessons, &c.State, &created); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(lessons), &c.Lessons); err != nil {
			return err
		}
		c.Created, err = parseTime(created)
		return err
	})
}

func (r *dbRepo) SaveStudent(s classroom.Student) error {
	return inTx(r.db, func(tx *sql.Tx) error {
		if err := mustExist(tx, `SELECT count(*) FROM classes WHERE id = ?`, s.ClassID); err != nil {
			return err
		}
		const upsert = `INSERT INTO students (id, class_id, name, local, password, pin, joined, seen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET class_id = excluded.class_id, name = excluded.name,
				local = excluded.local, password = excluded.password, pin = excluded.pin,
				joined = excluded.joined, seen = excluded.seen`
		_, err := tx.Exec(upsert, s.ID, s.ClassID, s.Name, s.Local, s.Password, s.PIN,
			formatTime(s.Joined), formatTime(s.Seen))
		return err
	})
}

// RemoveStudent deletes the student; the foreign keys' ON DELETE CASCADE
// deletes their steps, lines and hits in the same statement.
func (r *dbRepo) RemoveStudent(id string) error {
	res, err := r.db.Exec(`DELETE FROM students WHERE id = ?`, id)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = classroom.ErrNotFound
	}
	return err
}

func (r *dbRepo) Students(classID string) ([]classroom.Student, error) {
	rows, err := r.db.Query(`SELECT id, class_id, name, local, password, pin, joined, seen
		FROM students WHERE class_id = ? ORDER BY joined, id`, classID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s *classroom.Student) error {
		var joined, seen string
		if err := rows.Scan(&s.ID, &s.ClassID, &s.Name, &s.Local, &s.Password, &s.PIN, &joined, &seen); err != nil {
			return err
		}
		var err error
		if s.Joined, err = parseTime(joined); err != nil {
			return err
		}
		s.Seen, err = parseTime(seen)
		return err
	})
}

// mustExist runs a count query and answers ErrNotFound for zero.
func mustExist(tx *sql.Tx, query string, id string) error {
	var n int
	if err := tx.QueryRow(query, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return classroom.ErrNotFound
	}
	return nil
}

// collect reads every row into a T with scan; the slice is never nil, so
// that an empty list is [] in JSON.
func collect[T any](rows *sql.Rows, scan func(*T) error) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

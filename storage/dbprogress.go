package storage

import (
	"database/sql"

	"smtplab/classroom"
)

// What students did, in the database: steps, transcript lines, hits.

const studentExists = `SELECT count(*) FROM students WHERE id = ?`

func (r *dbRepo) AddStep(s classroom.Step) error {
	return inTx(r.db, func(tx *sql.Tx) error {
		if err := mustExist(tx, studentExists, s.StudentID); err != nil {
			return err
		}
		// DO NOTHING: a step already recorded keeps its first time.
		_, err := tx.Exec(`INSERT INTO steps (student_id, lesson, step, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (student_id, lesson, step) DO NOTHING`,
			s.StudentID, s.Lesson, s.Step, formatTime(s.At))
		return err
	})
}

func (r *dbRepo) Steps(classID string) ([]classroom.Step, error) {
	rows, err := r.db.Query(`SELECT st.student_id, st.lesson, st.step, st.at
		FROM steps st JOIN students s ON s.id = st.student_id
		WHERE s.class_id = ? ORDER BY st.at, st.seq`, classID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s *classroom.Step) error {
		var at string
		if err := rows.Scan(&s.StudentID, &s.Lesson, &s.Step, &at); err != nil {
			return err
		}
		var err error
		s.At, err = parseTime(at)
		return err
	})
}

func (r *dbRepo) ClearSteps(studentID, lesson string) error {
	_, err := r.db.Exec(`DELETE FROM steps WHERE student_id = ? AND lesson = ?`, studentID, lesson)
	return err
}

// AppendLines numbers the lines after the student's last one and drops
// those that fall more than MaxTranscriptLines behind the new last.
func (r *dbRepo) AppendLines(studentID string, lines []classroom.Line) error {
	if len(lines) > classroom.MaxTranscriptLines {
		lines = lines[len(lines)-classroom.MaxTranscriptLines:]
	}
	return inTx(r.db, func(tx *sql.Tx) error {
		if err := mustExist(tx, studentExists, studentID); err != nil {
			return err
		}
		last, err := lastNumber(tx, `SELECT coalesce(max(n), 0) FROM lines WHERE student_id = ?`, studentID)
		if err != nil {
			return err
		}
		for _, l := range lines {
			last++
			if _, err := tx.Exec(`INSERT INTO lines (student_id, n, at, dir, host, text) VALUES (?, ?, ?, ?, ?, ?)`,
				studentID, last, formatTime(l.At), l.Dir, l.Host, cutLine(l.Text)); err != nil {
				return err
			}
		}
		_, err = tx.Exec(`DELETE FROM lines WHERE student_id = ? AND n <= ?`,
			studentID, last-classroom.MaxTranscriptLines)
		return err
	})
}

func (r *dbRepo) Lines(studentID string) ([]classroom.Line, error) {
	rows, err := r.db.Query(`SELECT at, dir, host, text FROM lines WHERE student_id = ? ORDER BY n`, studentID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(l *classroom.Line) error {
		var at string
		if err := rows.Scan(&at, &l.Dir, &l.Host, &l.Text); err != nil {
			return err
		}
		var err error
		l.At, err = parseTime(at)
		return err
	})
}

func (r *dbRepo) AddHit(h classroom.Hit) error {
	return inTx(r.db, func(tx *sql.Tx) error {
		if err := mustExist(tx, studentExists, h.StudentID); err != nil {
			return err
		}
		last, err := lastNumber(tx, `SELECT coalesce(max(n), 0) FROM hits WHERE student_id = ?`, h.StudentID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO hits (student_id, n, code, reason, at) VALUES (?, ?, ?, ?, ?)`,
			h.StudentID, last+1, h.Code, h.Reason, formatTime(h.At)); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM hits WHERE student_id = ? AND n <= ?`, h.StudentID, last+1-classroom.MaxHits)
		return err
	})
}

func (r *dbRepo) Hits(classID string) ([]classroom.Hit, error) {
	rows, err := r.db.Query(`SELECT h.student_id, h.code, h.reason, h.at
		FROM hits h JOIN students s ON s.id = h.student_id
		WHERE s.class_id = ? ORDER BY h.at, h.seq`, classID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(h *classroom.Hit) error {
		var at string
		if err := rows.Scan(&h.StudentID, &h.Code, &h.Reason, &at); err != nil {
			return err
		}
		var err error
		h.At, err = parseTime(at)
		return err
	})
}

func lastNumber(tx *sql.Tx, query, studentID string) (int64, error) {
	var n int64
	err := tx.QueryRow(query, studentID).Scan(&n)
	return n, err
}

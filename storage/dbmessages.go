package storage

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"slices"

	"smtplab/sandbox"
)

// The SQL of dbStore: one world's messages and UID counter.

// insertMessage stores m as uid and moves the world's counter up to
// counter, both or neither. Writes of one batch may come out of order: the
// counter never goes down.
func insertMessage(b *batcher, world string, counter uint64, uid string, m *sandbox.Message) error {
	env, err := json.Marshal(m.Envelope)
	if err != nil {
		return err
	}
	return b.do(func(tx *sql.Tx) error {
		const upsert = `INSERT INTO worlds (name, uid) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET uid = max(uid, excluded.uid)`
		if _, err := tx.Exec(upsert, world, int64(counter)); err != nil {
			return err
		}
		const insert = `INSERT INTO messages
			(world, mailbox, uid, id, arrived, raw, trace, bcc, envelope, subject, sender)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		_, err := tx.Exec(insert, world, m.Mailbox, uid, m.ID, formatTime(m.Arrived),
			m.Raw, m.Trace, m.Bcc, string(env), m.Subject, m.From)
		return err
	})
}

func deleteMessages(b *batcher, world string, msgs []*sandbox.Message) error {
	return b.do(func(tx *sql.Tx) error {
		for _, m := range msgs {
			if _, err := tx.Exec(`DELETE FROM messages WHERE world = ? AND uid = ?`, world, m.UID); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadWorld reads a world's UID counter and its messages by mailbox, each
// mailbox in arrival order.
func loadWorld(db *sql.DB, world string) (uint64, map[string][]*sandbox.Message, error) {
	var uid int64
	err := db.QueryRow(`SELECT uid FROM worlds WHERE name = ?`, world).Scan(&uid)
	if err != nil && err != sql.ErrNoRows {
		return 0, nil, err
	}
	const query = `SELECT mailbox, uid, id, arrived, raw, trace, bcc, envelope, subject, sender
		FROM messages WHERE world = ? ORDER BY seq`
	rows, err := db.Query(query, world)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	boxes := map[string][]*sandbox.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return 0, nil, err
		}
		boxes[m.Mailbox] = append(boxes[m.Mailbox], m)
	}
	// Arrival order is the UID counter's: writes that shared a transaction
	// may have been stored in another order.
	for _, msgs := range boxes {
		slices.SortStableFunc(msgs, func(a, b *sandbox.Message) int {
			return cmp.Compare(uidCounter(a.UID), uidCounter(b.UID))
		})
	}
	return uint64(uid), boxes, rows.Err()
}

func scanMessage(rows *sql.Rows) (*sandbox.Message, error) {
	var m sandbox.Message
	var arrived, env string
	err := rows.Scan(&m.Mailbox, &m.UID, &m.ID, &arrived, &m.Raw, &m.Trace, &m.Bcc, &env, &m.Subject, &m.From)
	if err != nil {
		return nil, err
	}
	if m.Arrived, err = parseTime(arrived); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(env), &m.Envelope); err != nil {
		return nil, err
	}
	return &m, nil
}

package pop3

import (
	"strconv"

	"smtplab/sandbox"
)

// maildrop is the mailbox as a logged-in session sees it: a snapshot taken
// at login, so that message numbers stay the same for the whole session
// (RFC 1939 §5), with the session's deletion marks.
type maildrop struct {
	world   *sandbox.World // the world keeping the mailbox (a class's, over TCP)
	store   sandbox.Store  // its store
	name    string
	msgs    []*sandbox.Message
	deleted []bool
	last    int // highest message number retrieved or deleted (LAST, RFC 1460)
}

func newMaildrop(w *sandbox.World, name string) *maildrop {
	msgs := w.Store.Messages(name)
	return &maildrop{world: w, store: w.Store, name: name, msgs: msgs, deleted: make([]bool, len(msgs))}
}

// stat counts the messages not marked deleted and their octets.
func (d *maildrop) stat() (count, octets int) {
	for i, m := range d.msgs {
		if !d.deleted[i] {
			count++
			octets += m.Size()
		}
	}
	return count, octets
}

// marked returns the UIDs of the messages marked deleted.
func (d *maildrop) marked() []string {
	var uids []string
	for i, m := range d.msgs {
		if d.deleted[i] {
			uids = append(uids, m.UID)
		}
	}
	return uids
}

// reset clears every deletion mark and the LAST counter (RSET).
func (d *maildrop) reset() {
	clear(d.deleted)
	d.last = 0
}

// touch records that message n was accessed, for LAST.
func (d *maildrop) touch(n int) { d.last = max(d.last, n) }

// message resolves a message-number argument of command verb. It fails
// with the reply a client deserves: not a number, zero, beyond the
// maildrop, or marked deleted.
func (d *maildrop) message(verb, arg string) (int, *sandbox.Message, *sandbox.Reply) {
	if !sandbox.IsNumber(arg) {
		return 0, nil, fail("msg.not_number", "verb", verb, "arg", echo(arg))
	}
	n, err := strconv.Atoi(arg)
	switch {
	case err != nil || n > len(d.msgs):
		return 0, nil, fail("msg.no_such", "verb", verb, "n", echo(arg), "count", strconv.Itoa(len(d.msgs)))
	case n == 0:
		return 0, nil, fail("msg.zero", "verb", verb)
	case d.deleted[n-1]:
		return 0, nil, fail("msg.deleted", "verb", verb, "n", strconv.Itoa(n))
	}
	return n, d.msgs[n-1], nil
}

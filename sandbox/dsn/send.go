package dsn

import (
	"strings"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// Why a report was not sent (sandbox.Delivery's "why" argument).
const (
	NullSender    = "null_sender"    // the message came from <>: no report, ever
	ForeignSender = "foreign_sender" // no world keeps the sender's mailbox, and nothing relays there
)

// Result is what became of a report.
type Result struct {
	Status string // sandbox.Bounced: the report went to the sender; sandbox.Dropped: it did not
	Why    string // Dropped: NullSender or ForeignSender
	ID     string // the report's queue id, when one was made
	// Home and Stored are the world and the copy, when the report was
	// stored in the sender's mailbox; Queued the entry, when it waits in the
	// queue of the world that wrote it.
	Home   *sandbox.World
	Stored *sandbox.Message
	Queued *sandbox.Queued
}

// Return sends r from world w to the envelope sender, never to an address
// of the message's header: into the sender's mailbox when w or a neighbour
// keeps it, through w's queue when w has a relay, and nowhere for the null
// sender. The report's own envelope sender is <>.
func Return(w *sandbox.World, r *Report) Result {
	if r.Sender == "" {
		return Result{Status: sandbox.Dropped, Why: NullSender}
	}
	// The last @ splits the address: a quoted local part may hold one.
	i := strings.LastIndexByte(r.Sender, '@')
	local, domain := r.Sender, ""
	if i >= 0 {
		local, domain = r.Sender[:i], r.Sender[i+1:]
	}
	home := w
	if !w.IsLocalDomain(domain) {
		home = w.Neighbor(domain)
	}
	if home != nil {
		return storeReport(w, home, local, r)
	}
	if w.Relay() == nil {
		return Result{Status: sandbox.Dropped, Why: ForeignSender}
	}
	id, now := w.NewID(), w.Now()
	text := r.Text(id, now)
	var buf []byte
	buf = appendReceived(buf, w.Host, id, r.Sender, now)
	q := &sandbox.Queued{ID: id, From: "", Rcpts: []sandbox.QueuedRcpt{{Addr: r.Sender}},
		Raw: append(buf, text...), Arrived: now, NextTry: now}
	if err := w.Store.Enqueue(q, w.Limits.MaxQueue); err != nil {
		// The report is lost with the failure it tells of: the store is
		// full or unwritable, and there is no one left to tell.
		return Result{Status: sandbox.Bounced, ID: id}
	}
	w.Relay().Queued()
	return Result{Status: sandbox.Bounced, ID: id, Queued: q}
}

// storeReport delivers the report into the mailbox of local in home, the
// sender's world, under the trace lines of w, the world that wrote it.
func storeReport(w, home *sandbox.World, local string, r *Report) Result {
	e, ok := home.Lookup(local)
	if !ok || !e.HasMailbox() {
		return Result{Status: sandbox.Dropped, Why: ForeignSender}
	}
	id, now := w.NewID(), w.Now()
	null := ""
	m := &sandbox.Message{
		ID: id, Mailbox: e.Local, Arrived: now,
		Envelope: sandbox.Envelope{From: &null, To: []string{r.Sender}},
		Subject:  catalog.Wire("smtp.dsn.subject", nil), From: "MAILER-DAEMON@" + w.Host,
	}
	trace := appendReceived([]byte("Return-Path: <>\r\n"), w.Host, id, r.Sender, now)
	m.Raw, m.Trace = append(trace, r.Text(id, now)...), len(trace)
	quota := e.Quota
	if quota == 0 {
		quota = home.Limits.MaxMailbox
	}
	res := Result{Status: sandbox.Bounced, ID: id, Home: home}
	if home.Store.Deliver(m, quota, home.Limits.MaxStore) == nil {
		res.Stored = m
	}
	return res
}

// appendReceived is the trace line of a report the server wrote itself:
// it came from no client, so only "by" (RFC 5321 §4.4).
func appendReceived(b []byte, host, id, rcpt string, now time.Time) []byte {
	b = append(append(append(b, "Received: by "...), host...), " (smtplab) id "...)
	b = append(append(append(append(b, id...), "\r\n\tfor <"...), rcpt...), ">; "...)
	return append(now.AppendFormat(b, time.RFC1123Z), "\r\n"...)
}

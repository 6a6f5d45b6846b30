package smtp

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// route is one mailbox a recipient's copy goes to.
type route struct {
	rcpt    string         // the RCPT TO address
	world   *sandbox.World // the world keeping the mailbox: the session's, or a neighbour
	mailbox string         // local part of the mailbox
}

// home is the world that owns a recipient domain: the session's own, another
// world of the sandbox (a class's, reached over the shared TCP port), or nil
// when no world does and the address is someone else's to deliver.
func (s *Session) home(domain string) *sandbox.World {
	if s.World.IsLocalDomain(domain) {
		return s.World
	}
	return s.World.Neighbor(domain)
}

// routes expands the envelope's recipients into mailboxes: a list reaches its
// members, an alias or forward its target, each within the world that owns
// the recipient. Each mailbox gets one copy, even when several recipients
// lead to it.
func (s *Session) routes() []route {
	type box struct {
		world *sandbox.World
		local string
	}
	var out []route
	seen := map[box]bool{}
	var add func(w *sandbox.World, rcpt, local string, depth int)
	add = func(w *sandbox.World, rcpt, local string, depth int) {
		e, ok := w.Lookup(local)
		if !ok || depth > 4 {
			return
		}
		switch e.Kind {
		case sandbox.KindList:
			for _, m := range e.Members {
				add(w, rcpt, m, depth+1)
			}
		case sandbox.KindAlias, sandbox.KindForward:
			add(w, rcpt, e.Target, depth+1)
		case sandbox.KindUser:
			if b := (box{w, e.Local}); !seen[b] {
				seen[b] = true
				out = append(out, route{rcpt: rcpt, world: w, mailbox: e.Local})
			}
		}
	}
	for _, rcpt := range s.env.To {
		local, domain, _ := cutAddress(rcpt)
		if w := s.home(domain); w != nil {
			add(w, rcpt, local, 0)
		}
	}
	return out
}

// letter is one copy of the message on its way to one mailbox. The
// letters of a message are made together, in one allocation; each copy
// has its own, since the store keeps it as long as its mailbox does.
type letter struct {
	route
	msg    *sandbox.Message
	stored bool
	err    error // why the store refused the copy, if it did
}

// deliver stores a copy in every mailbox, and only then answers 250: with
// 250 the server takes responsibility for the message (RFC 5321 §6.1), so
// it must hold it safely first. A mailbox over quota does not stop the
// others: that copy bounces after the 250, as on a real server. A store
// that cannot write at all stops everything: the copies already written
// are taken back and the client is told to try later, since it still has
// the message. Only an accepted message gets its message event; its
// analysis ends with the warnings about its lines as typed.
func (s *Session) deliver(m *message, rts []route) {
	text := m.text
	id := s.World.NewID()
	env := s.env.Clone()
	h := sandbox.SplitHeader(text) // once, for the analysis and the Bcc removal
	a := sandbox.AnalyzeHeader(env, text, h)
	a.Warnings = append(a.Warnings, m.warnings...)
	cut := cutBlind(text, h)
	if len(cut.body) == len(text) { // no blind copy field: the body is the text
		cut.head, cut.body = m.room()
	}
	letters := s.letters(id, env, a, cut, rts)
	if r := store(letters); r != nil {
		unstore(letters)
		s.Send(r)
		return
	}
	s.Emit(sandbox.Event{Kind: sandbox.EventMessage, Message: &sandbox.Accepted{
		ID: id, Envelope: env, Size: len(text), Analysis: a,
	}})
	s.Send(reply(250, "2.0.0", "data.ok", "id", id))
	for i := range letters {
		s.settle(&letters[i], text)
	}
}

// letters builds the copy of each route: the text without its Bcc field,
// under the trace lines of the world that receives it. The first copy is
// made in the room before the text when there is some (blindCut.head).
func (s *Session) letters(id string, env sandbox.Envelope, a sandbox.Analysis, cut blindCut, rts []route) []letter {
	body, bcc := cut.body, cut.bcc
	now := s.Now()
	from := strings.Join(a.From, ", ")
	out := make([]letter, len(rts))
	for i, rt := range rts {
		l := &out[i]
		l.route = rt
		l.msg = &sandbox.Message{
			ID: id, Mailbox: rt.mailbox, Arrived: now, Bcc: bcc, Envelope: env,
			Subject: a.Subject, From: from,
		}
		var buf [traceRoom]byte
		trace := s.appendTrace(buf[:0], id, env, rt, now)
		l.msg.Trace = len(trace)
		if head := cut.head; i == 0 && len(trace) <= len(head) {
			// The body stays where it is; only the trace is written, just
			// before it, in octets nothing else uses.
			raw := head[len(head)-len(trace) : len(head)+len(body)]
			copy(raw, trace)
			l.msg.Raw = raw[:len(raw):len(raw)]
			continue
		}
		l.msg.Raw = append(append(make([]byte, 0, len(trace)+len(body)), trace...), body...)
	}
	return out
}

// store writes every copy into its world's store, with that world's quota
// and limits. It stops at the first store that cannot write and returns the
// 451 the message then gets; a full mailbox or store only marks its own
// copy, which will bounce.
func store(letters []letter) *sandbox.Reply {
	for i := range letters {
		l := &letters[i]
		e, _ := l.world.Lookup(l.mailbox)
		l.err = l.world.Store.Deliver(l.msg, quota(l.world, e), l.world.Limits.MaxStore)
		if errors.Is(l.err, sandbox.ErrStoreUnavailable) {
			return reply(451, "4.3.0", "data.store_unavailable")
		}
		l.stored = l.err == nil
	}
	return nil
}

// unstore takes back the copies already written, so that a message the
// server did not accept leaves nothing in any mailbox.
func unstore(letters []letter) {
	for i := range letters {
		if l := &letters[i]; l.stored {
			l.world.Store.Remove(l.mailbox, []string{l.msg.UID})
			l.stored = false
		}
	}
}

// quota is how much e's mailbox may hold: its own quota, or its world's.
func quota(w *sandbox.World, e sandbox.Entry) int64 {
	if e.Quota != 0 {
		return e.Quota
	}
	return w.Limits.MaxMailbox
}

// settle reports, after the 250, what became of one copy: stored, or
// bounced to the sender.
func (s *Session) settle(l *letter, original []byte) {
	if l.stored {
		s.report(l.world, delivered(l.msg, l.rcpt, "delivery.ok", "rcpt", l.rcpt))
		return
	}
	why := "delivery.store_full"
	if errors.Is(l.err, sandbox.ErrMailboxFull) {
		why = "delivery.mailbox_full"
	}
	s.bounce(l, why, original)
}

// delivered describes a copy that reached its mailbox.
func delivered(m *sandbox.Message, rcpt, reason string, kv ...string) *sandbox.Delivery {
	return &sandbox.Delivery{
		MessageID: m.ID, Recipient: rcpt, Mailbox: m.Mailbox, UID: m.UID,
		Status: sandbox.Delivered, Reason: reason, Args: sandbox.Args(kv...),
	}
}

// report emits what became of a copy kept in world w. When w is a
// neighbour, the event is published there too, so the pages following that
// world learn that one of its mailboxes changed. That copy names no
// session: session ids are numbered per world, and this one's would name a
// stranger there.
func (s *Session) report(w *sandbox.World, d *sandbox.Delivery) {
	s.Emit(sandbox.Event{Kind: sandbox.EventDelivery, Delivery: d})
	if w != s.World {
		there := *d
		w.Publish(sandbox.Event{Kind: sandbox.EventDelivery, Proto: sandbox.SMTP, Delivery: &there})
	}
}

// bounce reports a failed delivery to the envelope sender, as a server must
// once it has said 250: with a null sender, so a bounce never bounces. Only
// a user of the session's own world can receive it.
func (s *Session) bounce(l *letter, why string, original []byte) {
	d := &sandbox.Delivery{MessageID: l.msg.ID, Recipient: l.rcpt, Mailbox: l.mailbox, Reason: why}
	from := *l.msg.Envelope.From
	local, domain, _ := cutAddress(from)
	owner, ok := s.World.Lookup(local)
	switch {
	case from == "":
		d.Status, d.Args = sandbox.Dropped, sandbox.Args("why", "null_sender", "sender", "<>")
	case !s.World.IsLocalDomain(domain) || !ok || !owner.HasMailbox():
		d.Status, d.Args = sandbox.Dropped, sandbox.Args("why", "foreign_sender", "sender", from)
	default:
		d.Status, d.Args = sandbox.Bounced, sandbox.Args("sender", from)
	}
	s.report(l.world, d)
	if d.Status == sandbox.Bounced {
		s.sendBounce(l.msg, l.route, why, owner, original)
	}
}

func (s *Session) sendBounce(m *sandbox.Message, rt route, why string, owner sandbox.Entry, original []byte) {
	id := s.World.NewID()
	now := s.World.Now()
	text := catalog.Wire("smtp.bounce", sandbox.Args(
		"host", s.World.Host, "sender", *m.Envelope.From, "rcpt", rt.rcpt, "id", id,
		"date", now.Format(time.RFC1123Z), "original", m.ID,
		"why", catalog.Wire("smtp."+why, nil),
		"headers", string(bytes.TrimRight(original[:sandbox.SplitHeader(original).BodyStart], "\r\n")),
	))
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n") + "\r\n"
	null := ""
	env := sandbox.Envelope{From: &null, To: []string{*m.Envelope.From}}
	b := &sandbox.Message{ID: id, Mailbox: owner.Local, Arrived: now, Envelope: env,
		Subject: catalog.Wire("smtp.bounce.subject", nil), From: "MAILER-DAEMON@" + s.World.Host}
	trace := "Return-Path: <>\r\n"
	b.Raw, b.Trace = append([]byte(trace), text...), len(trace)
	owner.Quota = max(owner.Quota, 0)
	if err := s.World.Store.Deliver(b, quota(s.World, owner), s.World.Limits.MaxStore); err == nil {
		s.report(s.World, delivered(b, *m.Envelope.From, "delivery.bounce", "rcpt", rt.rcpt))
	}
}

// appendTrace appends the Return-Path and Received lines the delivering
// server puts on top of a copy (RFC 5321 §4.4), in the name of the world
// that receives it.
func (s *Session) appendTrace(b []byte, id string, env sandbox.Envelope, rt route, now time.Time) []byte {
	with := "SMTP"
	if s.esmtp {
		with = "ESMTP"
	}
	b = append(append(append(b, "Return-Path: <"...), *env.From...), ">\r\n"...)
	b = append(append(append(b, "Received: from "...), echo(s.helo)...), " (["...)
	b = append(append(b, s.clientIP()...), "])\r\n"...)
	b = append(append(append(b, "\tby "...), rt.world.Host...), " (smtplab) with "...)
	b = append(append(append(b, with...), " id "...), id...)
	b = append(append(append(b, "\r\n\tfor <"...), rt.rcpt...), ">; "...)
	return append(now.AppendFormat(b, time.RFC1123Z), "\r\n"...)
}

// blindCut is a message's text without its blind copy fields, and those
// fields apart, one after the other.
type blindCut struct {
	body []byte
	bcc  string
	// head is free memory just before body, for the trace of a copy
	// (message.room); nil if there is none.
	head []byte
}

// withoutBcc is cutBlind for a text whose header is not split yet.
func withoutBcc(text []byte) (body []byte, bcc string) {
	c := cutBlind(text, sandbox.SplitHeader(text))
	return c.body, c.bcc
}

// cutBlind removes every blind copy field from the header section, as RFC
// 5322 §3.6.3 allows: Bcc and Resent-Bcc (§3.6.6), in any case, with spaces
// before the colon (§4.5.3), with their folded lines, however many there
// are, sound or bad (h is the header the analysis read, so both see the
// same fields). A message without any is returned as it is: the copies are
// built from it, never written into it.
func cutBlind(text []byte, h sandbox.Header) blindCut {
	if !slices.ContainsFunc(h.List, sandbox.Field.Blind) {
		return blindCut{body: text}
	}
	out := make([]byte, 0, len(text))
	var removed []string
	off := 0 // end of the fields read so far
	for _, f := range h.List {
		off += len(f.Raw)
		if f.Blind() {
			removed = append(removed, strings.TrimRight(f.Raw, "\r\n"))
			continue
		}
		out = append(out, f.Raw...)
	}
	out = append(out, text[off:]...)
	return blindCut{body: out, bcc: strings.Join(removed, "\r\n")}
}

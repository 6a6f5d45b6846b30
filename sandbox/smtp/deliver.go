package smtp

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/dsn"
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

// deliver stores a copy in every mailbox and puts the copy for other
// servers in the queue, and only then answers 250: with 250 the server
// takes responsibility for the message (RFC 5321 §6.1), so it must hold it
// safely first. A mailbox over quota does not stop the others: that copy
// bounces after the 250, as on a real server. A store that cannot write at
// all stops everything: the copies already written are taken back and the
// client is told to try later, since it still has the message. Only an
// accepted message gets its message event; its analysis ends with the
// warnings about its lines as typed.
func (s *Session) deliver(m *message, rts []route) {
	text := m.text
	h := sandbox.SplitHeader(text) // once, for the loop check, the analysis and the Bcc removal
	if n := received(h); n > sandbox.MaxReceived {
		// RFC 5321 §6.3: so many hops is a message going round in a loop.
		s.Send(reply(554, "5.4.6", "data.loop", "count", strconv.Itoa(n), "limit", strconv.Itoa(sandbox.MaxReceived)))
		return
	}
	id := s.World.NewID()
	env := s.env.Clone()
	a := sandbox.AnalyzeHeader(env, text, h)
	a.Warnings = append(a.Warnings, m.warnings...)
	cut := cutBlind(text, h)
	if len(cut.body) == len(text) { // no blind copy field: the body is the text
		cut.head, cut.body = m.room()
	}
	now := s.Now()
	letters := s.letters(id, env, a, cut, rts)
	if r := store(letters); r != nil {
		unstore(letters)
		s.Send(r)
		return
	}
	q, r := s.enqueue(id, env, cut.body, now)
	if r != nil {
		unstore(letters)
		s.Send(r)
		return
	}
	s.Emit(sandbox.Event{Kind: sandbox.EventMessage, Message: &sandbox.Accepted{
		ID: id, Envelope: env, Size: len(text), Analysis: a,
	}})
	s.Send(reply(250, "2.0.0", "data.ok", "id", id))
	var failed []*letter
	for i := range letters {
		if l := &letters[i]; l.stored {
			s.report(l.world, delivered(l.msg, l.rcpt, "delivery.ok", "rcpt", l.rcpt))
		} else {
			failed = append(failed, l)
		}
	}
	if len(failed) > 0 {
		s.bounce(id, env, failed, now)
	}
	if q != nil {
		s.queued(q, "queue.queued")
		if rl := s.World.Relay(); rl != nil {
			rl.Queued()
		}
	}
}

// received counts a header's Received fields, one per server the message
// went through.
func received(h sandbox.Header) int {
	n := 0
	for _, f := range h.List {
		if strings.EqualFold(f.Name, "Received") {
			n++
		}
	}
	return n
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
		trace := appendReturnPath(buf[:0], *env.From)
		by := rt.world.Host // a neighbour world's server writes its own name
		if rt.world == s.World {
			by = s.Host() // the name this session was reached by (mx2 of mx1's system)
		}
		trace = s.appendReceived(trace, by, id, rt.rcpt, now)
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

// bounce tells the envelope sender, after the 250, which copies could not
// be stored: one delivery status notification (RFC 3464) for all of them,
// from the null sender so that a report never causes another, and none
// for a message that came from the null sender itself.
func (s *Session) bounce(id string, env sandbox.Envelope, failed []*letter, now time.Time) {
	from := *env.From
	r := &dsn.Report{Host: s.Host(), Original: id, Sender: from, Arrived: now, Headers: headerOf(failed[0].msg)}
	whys := make([]string, len(failed))
	for i, l := range failed {
		status := "5.3.1" // RFC 3463: mail system full
		whys[i] = "delivery.store_full"
		if errors.Is(l.err, sandbox.ErrMailboxFull) {
			status, whys[i] = "5.2.2", "delivery.mailbox_full" // mailbox full
		}
		r.Recipients = append(r.Recipients, dsn.Local(l.world.Address(l.mailbox), l.rcpt, status, whys[i], now))
	}
	res := dsn.Return(s.World, r)
	for i, l := range failed {
		d := &sandbox.Delivery{MessageID: id, Recipient: l.rcpt, Mailbox: l.mailbox, Status: res.Status, Reason: whys[i]}
		switch res.Why {
		case dsn.NullSender:
			d.Args = sandbox.Args("why", "null_sender", "sender", "<>")
		case dsn.ForeignSender:
			d.Args = sandbox.Args("why", "foreign_sender", "sender", from)
		default:
			d.Args = sandbox.Args("sender", from)
		}
		s.report(l.world, d)
	}
	switch {
	case res.Stored != nil:
		s.report(res.Home, delivered(res.Stored, from, "delivery.bounce", "rcpt", failed[0].rcpt))
	case res.Queued != nil:
		s.queued(res.Queued, "queue.queued.report")
	}
}

// headerOf is the header section of a copy as the server wrote it, its
// Received line on top; the Return-Path, which only final delivery adds
// (RFC 5321 §4.4), left out.
func headerOf(m *sandbox.Message) []byte {
	raw := m.Raw
	if i := strings.Index(string(raw[:m.Trace]), "\r\n"); i >= 0 && strings.HasPrefix(string(raw), "Return-Path:") {
		raw = raw[i+2:]
	}
	return raw[:sandbox.SplitHeader(raw).BodyStart]
}

// mayRelay reports whether the session may give recipients of domains no
// world of its own keeps: only to a logged-in user or another server of
// the sandbox, and only in a world with a relay to carry them. Anyone else
// asking is what an open relay would serve.
func (s *Session) mayRelay() bool {
	return s.World.Relay() != nil && (s.login != "" || s.Peer.Transport == sandbox.TransportRelay)
}

// foreign answers a RCPT for a domain no world of this server keeps:
// accepted for the queue when the session may relay, refused otherwise.
func (s *Session) foreign(p Path, addr string) *sandbox.Reply {
	if !s.mayRelay() {
		key := "rcpt.relay"
		switch {
		case p.Route != "":
			key = "rcpt.relay.route"
		case s.login != "":
			key = "rcpt.relay.auth" // logged in or not, nothing leaves the sandbox
		}
		return reply(554, "5.7.1", key, "addr", addr, "domain", s.World.Domain)
	}
	if s.rcpts >= s.World.Limits.MaxRecipients {
		return reply(452, "4.5.3", "rcpt.too_many", "limit", strconv.Itoa(s.World.Limits.MaxRecipients))
	}
	s.rcpts++
	for _, to := range s.env.To {
		if strings.EqualFold(to, p.Mailbox) {
			return reply(250, "2.1.5", "rcpt.ok.duplicate", "addr", addr)
		}
	}
	s.env.To = append(s.env.To, p.Mailbox)
	s.SetState(HaveRcpt)
	s.envelopeChanged()
	if r, ok := s.World.Relay().(sandbox.Router); ok && p.Route != "" {
		return routed(r, p, addr)
	}
	if s.login == "" {
		return reply(250, "2.1.5", "rcpt.ok.relay.mta", "addr", addr, "domain", p.Domain)
	}
	return reply(250, "2.1.5", "rcpt.ok.relay", "addr", addr, "domain", p.Domain, "user", s.login)
}

// routed answers a relayed recipient written with a source route: the
// route is ignored (RFC 5321 §3.3), and the reason shows the hops it
// asked for beside those the MX records choose.
func routed(r sandbox.Router, p Path, addr string) *sandbox.Reply {
	hops := strings.ReplaceAll(p.Route, ",", ", ")
	mx := r.NextHosts(p.Domain)
	if len(mx) == 0 {
		return reply(250, "2.1.5", "rcpt.ok.relay.route.none", "addr", addr, "domain", p.Domain, "route", hops)
	}
	return reply(250, "2.1.5", "rcpt.ok.relay.route", "addr", addr, "domain", p.Domain, "route", hops,
		"mx", strings.Join(mx, ", "))
}

// enqueue puts the copy for the recipients of other servers in the queue,
// the text without its blind copy fields under this server's Received
// line. It returns nil when there are none, and the reply the message
// gets when the queue cannot take it.
func (s *Session) enqueue(id string, env sandbox.Envelope, body []byte, now time.Time) (*sandbox.Queued, *sandbox.Reply) {
	var rcpts []sandbox.QueuedRcpt
	for _, to := range env.To {
		if _, domain, _ := cutAddress(to); s.home(domain) == nil {
			rcpts = append(rcpts, sandbox.QueuedRcpt{Addr: to})
		}
	}
	if len(rcpts) == 0 {
		return nil, nil
	}
	forRcpt := "" // RFC 5321 §4.4: "for" names one recipient, or none
	if len(rcpts) == 1 {
		forRcpt = rcpts[0].Addr
	}
	raw := s.appendReceived(make([]byte, 0, traceRoom+len(body)), s.Host(), id, forRcpt, now)
	q := &sandbox.Queued{ID: id, From: *env.From, Rcpts: rcpts, Raw: append(raw, body...),
		Body: env.Body, Arrived: now, NextTry: now}
	switch err := s.World.Store.Enqueue(q, s.World.Limits.MaxQueue); {
	case errors.Is(err, sandbox.ErrStoreFull):
		return nil, reply(452, "4.3.1", "data.no_storage")
	case err != nil:
		return nil, reply(451, "4.3.0", "data.store_unavailable")
	}
	return q, nil
}

// queued tells the watchers that q waits in the queue, and why (reason).
func (s *Session) queued(q *sandbox.Queued, reason string) {
	for _, r := range q.Rcpts {
		_, domain, _ := cutAddress(r.Addr)
		s.Emit(sandbox.Event{Kind: sandbox.EventQueue, Queue: &sandbox.QueueEvent{
			ID: q.ID, Recipient: r.Addr, Action: sandbox.QueueQueued, NextTry: q.NextTry,
			Reason: reason, Args: sandbox.Args("domain", domain, "sender", "<"+q.From+">", "rcpt", r.Addr),
		}})
	}
}

// appendReturnPath appends the line final delivery puts on top of a copy
// (RFC 5321 §4.4): the envelope sender, where reports go.
func appendReturnPath(b []byte, from string) []byte {
	return append(append(append(b, "Return-Path: <"...), from...), ">\r\n"...)
}

// appendReceived appends the Received line this session's server adds as
// host, the name of the world that receives the copy (RFC 5321 §4.4):
// from the name the client gave and its address, with the protocol as
// RFC 3848 names it, the queue id, and the one recipient it is for, if
// rcpt is not empty.
func (s *Session) appendReceived(b []byte, host, id, rcpt string, now time.Time) []byte {
	b = append(append(append(b, "Received: from "...), echo(s.helo)...), " (["...)
	b = append(append(b, s.clientIP()...), "])\r\n"...)
	b = append(append(append(b, "\tby "...), host...), " (smtplab) with "...)
	b = append(append(append(b, s.protocol()...), " id "...), id...)
	if rcpt != "" {
		b = append(append(append(b, "\r\n\tfor <"...), rcpt...), ">"...)
	}
	b = append(b, "; "...)
	return append(now.AppendFormat(b, time.RFC1123Z), "\r\n"...)
}

// protocol is the Received line's "with" (RFC 3848 §2): SMTP after HELO;
// ESMTP after EHLO, with S when the connection is encrypted (after
// STARTTLS, or TLS from the first byte) and A when the client logged in.
func (s *Session) protocol() string {
	switch {
	case !s.esmtp:
		return "SMTP"
	case s.Encrypted() && s.login != "":
		return "ESMTPSA"
	case s.Encrypted():
		return "ESMTPS"
	case s.login != "":
		return "ESMTPA"
	}
	return "ESMTP"
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

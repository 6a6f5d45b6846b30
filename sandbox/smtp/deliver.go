package smtp

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// route is one mailbox a recipient's copy goes to.
type route struct {
	rcpt    string // the RCPT TO address
	mailbox string // local part of the mailbox
}

// routes expands the envelope's recipients into mailboxes: a list reaches its
// members, an alias or forward its target. Each mailbox gets one copy, even
// when several recipients lead to it.
func (s *Session) routes() []route {
	var out []route
	seen := map[string]bool{}
	var add func(rcpt, local string, depth int)
	add = func(rcpt, local string, depth int) {
		e, ok := s.World.Lookup(local)
		if !ok || depth > 4 {
			return
		}
		switch e.Kind {
		case sandbox.KindList:
			for _, m := range e.Members {
				add(rcpt, m, depth+1)
			}
		case sandbox.KindAlias, sandbox.KindForward:
			add(rcpt, e.Target, depth+1)
		case sandbox.KindUser:
			if !seen[e.Local] {
				seen[e.Local] = true
				out = append(out, route{rcpt: rcpt, mailbox: e.Local})
			}
		}
	}
	for _, rcpt := range s.env.To {
		local, _, _ := cutAddress(rcpt)
		add(rcpt, local, 0)
	}
	return out
}

// deliver accepts text, tells the client, and stores a copy in every mailbox.
func (s *Session) deliver(text []byte) {
	id := s.World.NewID()
	env := s.env.Clone()
	a := sandbox.Analyze(env, text)
	s.Emit(sandbox.Event{Kind: sandbox.EventMessage, Message: &sandbox.Accepted{
		ID: id, Envelope: env, Size: len(text), Analysis: a,
	}})
	s.Send(reply(250, "2.0.0", "data.ok", "id", id))
	body, bcc := withoutBcc(text)
	now := s.World.Now()
	for _, rt := range s.routes() {
		m := &sandbox.Message{
			ID: id, Mailbox: rt.mailbox, Arrived: now, Bcc: bcc, Envelope: env,
			Subject: a.Subject, From: strings.Join(a.From, ", "),
		}
		trace := s.trace(id, env, rt.rcpt, now)
		m.Raw, m.Trace = append([]byte(trace), body...), len(trace)
		s.store(m, rt, text)
	}
}

// store puts one copy in its mailbox, or bounces it to the sender.
func (s *Session) store(m *sandbox.Message, rt route, original []byte) {
	e, _ := s.World.Lookup(rt.mailbox)
	quota := e.Quota
	if quota == 0 {
		quota = s.World.Limits.MaxMailbox
	}
	err := s.World.Store.Deliver(m, quota, s.World.Limits.MaxStore)
	if err == nil {
		s.delivered(m, rt.rcpt, "delivery.ok", "rcpt", rt.rcpt)
		return
	}
	why := "delivery.store_full"
	if errors.Is(err, sandbox.ErrMailboxFull) {
		why = "delivery.mailbox_full"
	}
	s.bounce(m, rt, why, original)
}

func (s *Session) delivered(m *sandbox.Message, rcpt, reason string, kv ...string) {
	s.Emit(sandbox.Event{Kind: sandbox.EventDelivery, Delivery: &sandbox.Delivery{
		MessageID: m.ID, Recipient: rcpt, Mailbox: m.Mailbox, UID: m.UID,
		Status: sandbox.Delivered, Reason: reason, Args: sandbox.Args(kv...),
	}})
}

// bounce reports a failed delivery to the envelope sender, as a server must
// once it has said 250: with a null sender, so a bounce never bounces.
func (s *Session) bounce(m *sandbox.Message, rt route, why string, original []byte) {
	d := &sandbox.Delivery{MessageID: m.ID, Recipient: rt.rcpt, Mailbox: rt.mailbox, Reason: why}
	from := *m.Envelope.From
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
	s.Emit(sandbox.Event{Kind: sandbox.EventDelivery, Delivery: d})
	if d.Status == sandbox.Bounced {
		s.sendBounce(m, rt, why, owner, original)
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
	quota := max(owner.Quota, 0)
	if quota == 0 {
		quota = s.World.Limits.MaxMailbox
	}
	if err := s.World.Store.Deliver(b, quota, s.World.Limits.MaxStore); err == nil {
		s.delivered(b, *m.Envelope.From, "delivery.bounce", "rcpt", rt.rcpt)
	}
}

// trace is the Return-Path and Received lines the delivering server puts on
// top of a copy (RFC 5321 §4.4).
func (s *Session) trace(id string, env sandbox.Envelope, rcpt string, now time.Time) string {
	with := "SMTP"
	if s.esmtp {
		with = "ESMTP"
	}
	var b strings.Builder
	b.WriteString("Return-Path: <" + *env.From + ">\r\n")
	b.WriteString("Received: from " + echo(s.helo) + " ([" + s.clientIP() + "])\r\n")
	b.WriteString("\tby " + s.World.Host + " (smtplab) with " + with + " id " + id + "\r\n")
	b.WriteString("\tfor <" + rcpt + ">; " + now.Format(time.RFC1123Z) + "\r\n")
	return b.String()
}

// withoutBcc removes the Bcc field (with its folded lines) from the header
// section, as RFC 5322 §3.6.3 allows, and returns it apart.
func withoutBcc(text []byte) (body []byte, bcc string) {
	h := sandbox.SplitHeader(text)
	out := make([]byte, 0, len(text))
	var removed []byte
	inBcc := false
	off := 0
	for i := 0; i < h.Lines; i++ {
		end := bytes.Index(text[off:], []byte("\r\n"))
		if end < 0 {
			break
		}
		line := text[off : off+end+2]
		off += end + 2
		folded := line[0] == ' ' || line[0] == '\t'
		if !folded {
			inBcc = len(line) >= 4 && strings.EqualFold(string(line[:4]), "bcc:")
		}
		if inBcc {
			removed = append(removed, line...)
			continue
		}
		out = append(out, line...)
	}
	out = append(out, text[off:]...)
	return out, strings.TrimRight(string(removed), "\r\n")
}

package smtp

import (
	"math"
	"net"
	"strconv"
	"strings"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

func (s *Session) cmdHelo(arg string) *sandbox.Reply {
	name, ok := s.hello(arg)
	if !ok {
		return reply(501, "5.5.4", "helo.syntax", "verb", "HELO")
	}
	s.esmtp = false
	return reply(250, "", s.heloKey("helo.ok", name), s.greetArgs(name)...)
}

func (s *Session) cmdEhlo(arg string) *sandbox.Reply {
	name, ok := s.hello(arg)
	if !ok {
		return reply(501, "5.5.4", "helo.syntax", "verb", "EHLO")
	}
	s.esmtp = true
	args := sandbox.Args(s.greetArgs(name)...)
	texts := []string{catalog.Wire("smtp.ehlo.ok", args)}
	texts = append(texts, s.extensions()...)
	key := s.heloKey("ehlo.ok", name)
	if s.secured && key == "ehlo.ok" {
		key = "ehlo.ok.tls" // the list after STARTTLS differs: say how
	}
	return lines(250, "", key, args, texts)
}

// hello does what HELO and EHLO share: they name the client and reset any
// open transaction (RFC 5321 §4.1.4).
func (s *Session) hello(arg string) (string, bool) {
	name := strings.TrimSpace(arg)
	if name == "" {
		return "", false
	}
	s.helo = name
	s.reset(Ready)
	s.env.Helo = name
	return name, true
}

// heloKey picks the explanation: RFC 5321 wants a host name or an address
// literal, but real servers accept anything, and so does this one.
func (s *Session) heloKey(key, name string) string {
	if !validDomain(name) || !strings.Contains(name, ".") && !strings.HasPrefix(name, "[") {
		return key + ".odd_name"
	}
	return key
}

func (s *Session) greetArgs(name string) []string {
	return []string{"host", s.Host(), "name", echo(name), "ip", s.clientIP()}
}

func (s *Session) clientIP() string {
	host, _, err := net.SplitHostPort(s.Peer.Remote)
	if err != nil {
		return s.Peer.Remote
	}
	return host
}

// extensions are the EHLO keywords, one per line after the greeting: the
// service extensions, then the ones commands announce (EXPN, HELP, and
// STARTTLS and AUTH when they apply).
func (s *Session) extensions() []string {
	return append([]string{
		"SIZE " + strconv.Itoa(s.World.Limits.MaxMessageSize),
		"8BITMIME",
		"PIPELINING",
		"ENHANCEDSTATUSCODES",
	}, verbs.Advertised(s)...)
}

func (s *Session) cmdMail(arg string) *sandbox.Reply {
	switch s.State() {
	case Greeted:
		return reply(503, "5.5.1", "mail.no_helo")
	case HaveFrom, HaveRcpt:
		return reply(503, "5.5.1", "mail.nested")
	}
	if s.Peer.Service == sandbox.Submission && s.login == "" {
		// RFC 6409 §4.3: a submission server knows who sends.
		key := "mail.need_auth"
		if !s.Encrypted() {
			key = "mail.need_auth.tls"
		}
		return reply(530, "5.7.0", key)
	}
	if len(arg) >= 3 && strings.EqualFold(arg[:3], "TO:") {
		return reply(501, "5.5.4", "mail.to_instead")
	}
	p, perr := s.path(arg, "FROM:")
	if perr != nil {
		return pathReply(perr, "mail")
	}
	if needsUTF8(p) {
		return reply(553, "5.6.7", "mail.non_ascii", "addr", echo(p.Mailbox))
	}
	if p.Mailbox != "" && p.Domain == "" {
		return reply(553, "5.1.7", "mail.no_domain", "addr", echo(p.Mailbox), "domain", s.World.Domain)
	}
	if r := s.mailParams(p.Params); r != nil {
		return r
	}
	from := p.Mailbox
	s.env.From = &from
	s.SetState(HaveFrom)
	s.envelopeChanged()
	addr := echo(from)
	switch {
	case from == "":
		return reply(250, "2.1.0", "mail.ok.null")
	case !p.Brackets:
		return reply(250, "2.1.0", "mail.ok.brackets", "addr", addr)
	case p.Space:
		return reply(250, "2.1.0", "mail.ok.space", "addr", addr)
	case p.Route != "":
		return reply(250, "2.1.0", "mail.ok.route", "addr", addr, "route", p.Route)
	}
	return reply(250, "2.1.0", "mail.ok", "addr", addr)
}

// mailParams checks SIZE= and BODY= (RFC 1870, RFC 6152); any other
// parameter is refused, as are all of them after a plain HELO.
func (s *Session) mailParams(params []Param) *sandbox.Reply {
	s.env.Size, s.env.Body = 0, ""
	for _, p := range params {
		if !s.esmtp {
			return reply(555, "5.5.4", "param.no_ehlo", "param", echo(p.Key))
		}
		switch p.Key {
		case "SIZE":
			n, ok := sizeValue(p.Value)
			if !ok {
				return reply(501, "5.5.4", "param.size_syntax", "value", echo(p.Value))
			}
			if limit := s.World.Limits.MaxMessageSize; n > limit {
				return reply(552, "5.3.4", "param.size_exceeded", "size", p.Value, "limit", strconv.Itoa(limit))
			}
			s.env.Size = n
		case "BODY":
			v := strings.ToUpper(p.Value)
			if v != "7BIT" && v != "8BITMIME" {
				return reply(501, "5.5.4", "param.body", "value", echo(p.Value))
			}
			s.env.Body = v
		default:
			return reply(555, "5.5.4", "param.unknown", "param", echo(p.Key))
		}
	}
	return nil
}

// sizeValue reads the value of SIZE=: 1 to 20 digits, no sign (RFC 1870
// §3, size-value). Twenty digits may not fit in an int; such a size is
// still well formed, just larger than any limit, so it reads as MaxInt.
func sizeValue(v string) (int, bool) {
	if len(v) > 20 || !sandbox.IsNumber(v) {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return math.MaxInt, true
	}
	return n, true
}

func (s *Session) cmdRcpt(arg string) *sandbox.Reply {
	if s.State() != HaveFrom && s.State() != HaveRcpt {
		return reply(503, "5.5.1", "rcpt.no_mail")
	}
	if len(arg) >= 5 && strings.EqualFold(arg[:5], "FROM:") {
		return reply(501, "5.5.4", "rcpt.from_instead")
	}
	p, perr := s.path(arg, "TO:")
	if perr != nil {
		return pathReply(perr, "rcpt")
	}
	if needsUTF8(p) {
		return reply(553, "5.6.7", "rcpt.non_ascii", "addr", echo(p.Mailbox))
	}
	if len(p.Params) > 0 {
		return reply(555, "5.5.4", "param.unknown", "param", echo(p.Params[0].Key))
	}
	r := s.recipient(p)
	if r.Code >= 400 {
		s.refused++
	}
	return r
}

// recipient decides on one forward-path and adds it to the envelope if accepted.
func (s *Session) recipient(p Path) *sandbox.Reply {
	addr := echo(p.Mailbox)
	if p.Mailbox == "" {
		return reply(501, "5.1.3", "rcpt.null")
	}
	if p.Domain == "" {
		if !strings.EqualFold(p.Local, "postmaster") {
			return reply(553, "5.1.3", "rcpt.no_domain", "addr", addr, "domain", s.World.Domain)
		}
		p.Domain, p.Mailbox = s.World.Domain, p.Local+"@"+s.World.Domain
	}
	// A neighbour world's users are local too: every world of the sandbox
	// is this server's to deliver to. Any other domain would be relaying.
	home := s.home(p.Domain)
	if home == nil {
		return s.foreign(p, addr) // relayed, or refused (deliver.go)
	}
	// Like Postfix, count every accepted RCPT, repeats included: the limit
	// bounds the work a client can ask for, not the number of mailboxes.
	if s.rcpts >= s.World.Limits.MaxRecipients {
		return reply(452, "4.5.3", "rcpt.too_many", "limit", strconv.Itoa(s.World.Limits.MaxRecipients))
	}
	e, ok := home.Lookup(p.Local)
	if !ok {
		return reply(550, "5.1.1", "rcpt.unknown", "addr", addr)
	}
	switch e.Kind {
	case sandbox.KindMoved:
		return reply(551, "5.1.6", "rcpt.moved", "addr", addr, "target", e.Target)
	case sandbox.KindBusy:
		return reply(450, "4.2.1", "rcpt.busy", "addr", addr)
	case sandbox.KindBroken:
		return reply(451, "4.3.0", "rcpt.broken", "addr", addr)
	}
	if r := s.greylisted(home, p, addr); r != nil {
		return r
	}
	return s.accept(p, home, e, addr)
}

// accept adds the recipient e of world home to the envelope.
func (s *Session) accept(p Path, home *sandbox.World, e sandbox.Entry, addr string) *sandbox.Reply {
	s.rcpts++
	for _, to := range s.env.To {
		if strings.EqualFold(to, p.Mailbox) {
			return reply(250, "2.1.5", "rcpt.ok.duplicate", "addr", addr)
		}
	}
	s.env.To = append(s.env.To, p.Mailbox)
	s.SetState(HaveRcpt)
	s.envelopeChanged()
	switch {
	case e.Kind == sandbox.KindForward:
		return reply(251, "2.1.5", "rcpt.forward", "addr", addr, "target", home.Address(e.Target))
	case p.Route != "":
		return reply(250, "2.1.5", "rcpt.ok.route", "addr", addr, "route", p.Route)
	case e.Kind == sandbox.KindList:
		return reply(250, "2.1.5", "rcpt.ok.list", "addr", addr, "count", strconv.Itoa(len(e.Members)))
	case e.Kind == sandbox.KindAlias:
		return reply(250, "2.1.5", "rcpt.ok.alias", "addr", addr, "target", home.Address(e.Target))
	case !p.Brackets:
		return reply(250, "2.1.5", "rcpt.ok.brackets", "addr", addr)
	case p.Space:
		return reply(250, "2.1.5", "rcpt.ok.space", "addr", addr)
	case p.Quoted:
		return reply(250, "2.1.5", "rcpt.ok.quoted", "addr", addr, "local", echo(p.Local))
	case e.Quota == sandbox.FullQuota:
		return reply(250, "2.1.5", "rcpt.ok.full", "addr", addr)
	case home != s.World:
		return reply(250, "2.1.5", "rcpt.ok.neighbor", "addr", addr, "domain", home.Domain)
	}
	return reply(250, "2.1.5", "rcpt.ok", "addr", addr)
}

// pathReply turns a path error into the reply for command "mail" or "rcpt".
// Sender syntax errors are 501 5.1.7; recipient ones 553 5.1.3, as Sendmail
// answers an unbalanced bracket.
func pathReply(e *pathError, cmd string) *sandbox.Reply {
	key := cmd + ".syntax." + e.key
	if e.key == "keyword" {
		return reply(501, "5.5.4", key)
	}
	if cmd == "mail" {
		return reply(501, "5.1.7", key, e.args...)
	}
	return reply(553, "5.1.3", key, e.args...)
}

func (s *Session) cmdData(arg string) *sandbox.Reply {
	switch {
	case s.State() == Greeted || s.State() == Ready:
		return reply(503, "5.5.1", "data.no_mail")
	case s.State() == HaveFrom && s.refused > 0:
		return reply(554, "5.5.1", "data.no_valid_rcpt")
	case s.State() == HaveFrom:
		return reply(503, "5.5.1", "data.no_rcpt")
	case arg != "":
		return reply(501, "5.5.4", "data.syntax")
	}
	s.data = newMessage(max(s.env.Size, s.lastSize+s.lastSize/8))
	s.lines.Max = sandbox.MaxTextLine + 1 // one more for a stuffed dot
	s.SetState(InData)
	return reply(354, "", "data.go")
}

func (s *Session) cmdRset(arg string) *sandbox.Reply {
	if strings.TrimSpace(arg) != "" {
		return reply(501, "5.5.4", "rset.syntax")
	}
	if s.State() == Greeted {
		return reply(250, "2.0.0", "rset.ok.greeted")
	}
	s.reset(Ready)
	return reply(250, "2.0.0", "rset.ok")
}

// reset abandons the open transaction, if any, and enters state.
func (s *Session) reset(state string) {
	open := s.env.From != nil || len(s.env.To) > 0
	s.env = sandbox.Envelope{Helo: s.helo}
	s.refused, s.rcpts = 0, 0
	s.SetState(state)
	if open {
		s.envelopeChanged()
	}
}

func (s *Session) envelopeChanged() {
	env := s.env.Clone()
	s.Emit(sandbox.Event{Kind: sandbox.EventEnvelope, Envelope: &env})
}

func (s *Session) cmdNoop(string) *sandbox.Reply { return reply(250, "2.0.0", "noop") }

func (s *Session) cmdQuit(string) sandbox.Outcome {
	key := "quit"
	if s.env.From != nil {
		key = "quit.open_transaction"
	}
	return sandbox.Outcome{Reply: reply(221, "2.0.0", key, "host", s.Host()), Then: sandbox.Quit}
}

// greylisted defers a recipient of a greylisting world for a client it
// has not seen with this sender yet (RFC 6647); nil lets it in. Mail a
// user submits after logging in is never greylisted: the filter is for
// strangers arriving on port 25.
func (s *Session) greylisted(home *sandbox.World, p Path, addr string) *sandbox.Reply {
	if s.login != "" || s.Peer.Service == sandbox.Submission || !home.Greylisting() {
		return nil
	}
	wait, first := home.Greylisted(s.Peer.Remote, *s.env.From, p.Mailbox, s.Now())
	switch {
	case wait <= 0:
		return nil
	case first:
		return reply(450, "4.7.1", "rcpt.greylisted", "addr", addr, "wait", sandbox.HumanDuration(wait))
	}
	return reply(450, "4.7.1", "rcpt.greylisted.early", "addr", addr, "wait", sandbox.HumanDuration(wait))
}

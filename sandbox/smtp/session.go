// Package smtp is smtplab's SMTP engine: a server session that reads client
// lines, answers them as a careful RFC 5321 server would, explains every
// reply, and delivers accepted mail into its world's mailboxes.
package smtp

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// States of a session, in the order a transaction walks through them.
const (
	Greeted  = "GREETED"   // banner sent, waiting for HELO/EHLO
	Ready    = "READY"     // introduced, no transaction open
	HaveFrom = "HAVE_FROM" // MAIL accepted
	HaveRcpt = "HAVE_RCPT" // at least one RCPT accepted
	InData   = "IN_DATA"   // after 354: lines are message text
	Closed   = "CLOSED"
)

// Session is one SMTP conversation.
type Session struct {
	sandbox.Base
	lines   sandbox.LineSplitter
	helo    string
	esmtp   bool
	env     sandbox.Envelope
	refused int // RCPTs refused in this transaction
	rcpts   int // RCPTs accepted in this transaction, repeats included
	data    *message
	// lastSize is the size of the session's last message, a guess at the
	// room the next one needs.
	lastSize int
	parsed   parsedPath
	// secured is set once STARTTLS succeeded: the next EHLO's explanation
	// says what changed (RFC 3207 §4.2).
	secured bool
	// login is who AUTH recognised ("" before); sasl is the exchange in
	// progress, if any; authFailures counts refused logins.
	login        string
	sasl         *saslExchange
	authFailures int
}

var _ sandbox.Session = (*Session)(nil)

// NewSession creates a session of world w for the client peer.
func NewSession(w *sandbox.World, peer sandbox.Peer) *Session {
	s := &Session{Base: sandbox.NewBase(w, sandbox.SMTP, peer)}
	s.lines.Max = sandbox.MaxCommandLine
	return s
}

// Start sends the 220 banner.
func (s *Session) Start() sandbox.Output {
	s.Opened(Greeted)
	s.Send(reply(220, "", "greeting", "host", s.Host()))
	return s.Flush()
}

// Refuse turns the client away because the server is full.
func (s *Session) Refuse() sandbox.Output {
	s.Opened(Greeted)
	s.finish(reply(421, "4.3.2", "too_many_sessions", "host", s.Host()), "full")
	return s.Flush()
}

// Feed answers every complete line in p.
func (s *Session) Feed(p []byte) sandbox.Output {
	return s.FeedLines(&s.lines, p, func(l sandbox.Line) {
		switch {
		case s.State() == InData:
			s.dataLine(l)
		case s.sasl != nil:
			s.saslLine(l)
		default:
			s.commandLine(l)
		}
	})
}

// Idle is RFC 5321's server timeout for the current state.
func (s *Session) Idle() time.Duration {
	if s.State() == InData {
		return s.World.Limits.DataTimeout
	}
	return s.World.Limits.CommandTimeout
}

// Timeout closes an idle session; an unfinished message is not delivered.
func (s *Session) Timeout() sandbox.Output {
	key := "timeout"
	if s.State() == InData {
		key = "timeout.data"
	}
	s.finish(reply(421, "4.4.2", key, "host", s.Host(), "idle", sandbox.HumanDuration(s.Idle())), "timeout")
	return s.Flush()
}

// Shutdown closes the session because the server is stopping.
func (s *Session) Shutdown() sandbox.Output {
	if !s.Closed() {
		s.finish(reply(421, "4.3.2", "shutdown", "host", s.Host()), "shutdown")
	}
	return s.Flush()
}

// Hangup records that the client left; an open transaction is dropped.
func (s *Session) Hangup() {
	if !s.Closed() {
		s.SetState(Closed)
		s.End("hangup")
	}
}

func (s *Session) finish(r *sandbox.Reply, why string) {
	s.Send(r)
	s.SetState(Closed)
	s.End(why)
}

// commandLine handles one line outside DATA.
func (s *Session) commandLine(l sandbox.Line) {
	var line string
	if isAuthLine(l.Text) {
		line = s.ReceivedSecret(l)
	} else {
		line = s.Received(l, false)
	}
	switch {
	case l.TooLong:
		// 5.5.2, a syntax error (RFC 3463): RFC 4954 registered 5.5.6 for a
		// line of the AUTH exchange, not for any command line.
		s.Send(reply(500, "5.5.2", "line_too_long", "limit", strconv.Itoa(sandbox.MaxCommandLine)))
		return
	case !l.CRLF:
		s.Send(reply(500, "5.5.2", "bare_lf"))
		return
	}
	verb, arg := splitCommand(line)
	v, known := verbs.Lookup(verb)
	s.Emit(sandbox.Event{Kind: sandbox.EventCommand, Command: &sandbox.Command{
		Verb: verb, Arg: s.shownArg(verb, arg), Known: known, Parts: s.partsOf(verb, arg),
	}})
	if !known {
		s.Send(s.unknown(verb, line))
		return
	}
	s.conclude(v.Run(s, arg))
}

func (s *Session) unknown(verb, line string) *sandbox.Reply {
	switch {
	case strings.TrimSpace(line) == "":
		return reply(500, "5.5.2", "unknown.empty")
	case line[0] == ' ' || line[0] == '\t':
		return reply(500, "5.5.2", "unknown.space")
	case sandbox.HasControl(line):
		return reply(500, "5.5.2", "unknown.control", "verb", echo(verb))
	case has8bit(verb):
		// An accented letter, most often: the reply can only show it escaped.
		return reply(500, "5.5.2", "unknown.non_ascii", "verb", echo(verb))
	}
	// Mistakes of a student who forgot where they are, each with its own
	// explanation; the wire text stays what a real server sends.
	switch {
	case slices.Contains(shellCommands, verb):
		return reply(500, "5.5.2", "unknown.shell", "verb", verb, "shell", strings.ToLower(verb))
	case slices.Contains(pop3Verbs, verb):
		return reply(500, "5.5.2", "unknown.pop3", "verb", verb)
	case verb == ".":
		return reply(500, "5.5.2", "unknown.dot", "verb", verb)
	case verb == "SIZE" || strings.HasPrefix(verb, "SIZE="):
		return reply(500, "5.5.2", "unknown.size", "verb", echo(verb))
	}
	if near := nearestVerb(verb); near != "" {
		return reply(500, "5.5.2", "unknown.typo", "verb", echo(verb), "near", near)
	}
	return reply(500, "5.5.2", "unknown", "verb", echo(verb))
}

// Words typed in an SMTP session by mistake: the shell commands that open
// one (typed again by a student who forgot they are connected), and the
// POP3 verbs (RFC 1939) that only the POP3 server, on port 110, knows.
var (
	shellCommands = []string{"TELNET", "NC", "NCAT", "NETCAT"}
	pop3Verbs     = []string{"USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "TOP", "UIDL"}
)

// nearestVerb suggests a known verb one typo away from v, if there is one.
func nearestVerb(v string) string {
	for _, known := range helpTopics() {
		if len(v) >= 3 && sandbox.OneEditApart(v, known) {
			return known
		}
	}
	return ""
}

// reply builds a reply whose text comes from the catalog entry "smtp."+key.
func reply(code int, enhanced, key string, kv ...string) *sandbox.Reply {
	args := sandbox.Args(kv...)
	text := catalog.Wire("smtp."+key, args)
	if !strings.Contains(text, "\n") {
		return lines(code, enhanced, key, args, []string{text}) // most replies: no Split
	}
	return lines(code, enhanced, key, args, strings.Split(text, "\n"))
}

// lines builds a reply from texts already made, one per line.
func lines(code int, enhanced, key string, args map[string]string, texts []string) *sandbox.Reply {
	var r *sandbox.Reply
	var out []string
	if len(texts) == 1 {
		// Most replies have one line: the reply and its line slice in one
		// allocation.
		one := &struct {
			r    sandbox.Reply
			line [1]string
		}{}
		r, out = &one.r, one.line[:]
	} else {
		r, out = &sandbox.Reply{}, make([]string, len(texts))
	}
	prefix := strconv.Itoa(code)
	for i, t := range texts {
		sep := "-"
		if i == len(texts)-1 {
			sep = " "
		}
		if enhanced != "" {
			out[i] = prefix + sep + enhanced + " " + t // one concatenation, one allocation
		} else {
			out[i] = prefix + sep + t
		}
	}
	*r = sandbox.Reply{
		Code: code, Enhanced: enhanced, Lines: out,
		Meaning: meaning(code), Reason: reason(key), Args: args,
	}
	return r
}

// meanings and reasons keep the catalog keys replies name, built once: a
// session answers the same few replies over and over.
var (
	meanings [600]string // "smtp.250" at 250; reply codes are 2xx to 5xx
	reasons  sync.Map    // key → "smtp."+key
)

func init() {
	for code := 200; code < len(meanings); code++ {
		meanings[code] = "smtp." + strconv.Itoa(code)
	}
}

func meaning(code int) string {
	if code >= 0 && code < len(meanings) && meanings[code] != "" {
		return meanings[code]
	}
	return "smtp." + strconv.Itoa(code)
}

func reason(key string) string {
	if r, ok := reasons.Load(key); ok {
		return r.(string)
	}
	r := "smtp." + key
	reasons.Store(key, r)
	return r
}

// Package pop3 is smtplab's POP3 engine: a server session that answers
// client lines as an RFC 1939 server would (with CAPA from RFC 2449, the
// response codes of RFC 3206, STLS from RFC 2595 and AUTH PLAIN from RFC
// 5034 and 4616), explains every reply, and reads and deletes mail in its
// world's mailboxes.
package pop3

import (
	"strconv"
	"strings"
	"time"

	"smtplab/sandbox"
)

// States of a session (RFC 1939 §3).
const (
	Authorization = "AUTHORIZATION" // greeting sent, waiting for a login
	Transaction   = "TRANSACTION"   // logged in, maildrop locked
	Update        = "UPDATE"        // QUIT received: deleting marked messages
	Closed        = "CLOSED"
)

// Session is one POP3 conversation.
type Session struct {
	sandbox.Base
	lines    sandbox.LineSplitter
	stamp    string // the APOP timestamp sent in the greeting
	user     string // the name given by USER, waiting for PASS
	failures int    // failed logins so far
	sasl     bool   // AUTH PLAIN sent "+ ": the next line is credentials, not a command
	drop     *maildrop
}

var _ sandbox.Session = (*Session)(nil)

// NewSession creates a session of world w for the client peer.
func NewSession(w *sandbox.World, peer sandbox.Peer) *Session {
	s := &Session{Base: sandbox.NewBase(w, sandbox.POP3, peer)}
	s.lines.Max = sandbox.MaxPOP3Line
	return s
}

// Start sends the greeting, with the timestamp APOP digests are made from.
func (s *Session) Start() sandbox.Output {
	s.Opened(Authorization)
	s.stamp = timestamp(s.World, s.ID())
	s.Send(ok("greeting", "host", s.Host(), "stamp", s.stamp))
	return s.Flush()
}

// timestamp is the greeting's msg-id, <process-ID.clock@hostname> in RFC
// 1939 §7. The session number plays the process id: with the clock it makes
// the stamp unique, and predictable in a world with a fixed clock.
func timestamp(w *sandbox.World, id string) string {
	n := id[strings.LastIndexByte(id, '-')+1:]
	return "<" + n + "." + strconv.FormatInt(w.Now().Unix(), 10) + "@" + w.Host + ">"
}

// Refuse turns the client away because the server is full.
func (s *Session) Refuse() sandbox.Output {
	s.Opened(Authorization)
	s.finish(fail("too_many_sessions"), "full")
	return s.Flush()
}

// Feed answers every complete line in p. Several commands in one write are
// answered in order (PIPELINING, RFC 2449 §6.6). After STLS the rest of the
// write is dropped (Base.FeedLines): it came in clear.
func (s *Session) Feed(p []byte) sandbox.Output {
	return s.FeedLines(&s.lines, p, s.line)
}

// line hands a line to the command reader, or to the SASL exchange that
// waits for it.
func (s *Session) line(l sandbox.Line) {
	if s.sasl {
		s.saslLine(l)
		return
	}
	s.commandLine(l)
}

// Idle is the autologout timer (RFC 1939 §3: at least 10 minutes).
func (s *Session) Idle() time.Duration { return s.World.Limits.Autologout }

// Timeout ends an idle session without entering UPDATE: messages marked
// for deletion stay (RFC 1939 §3).
func (s *Session) Timeout() sandbox.Output {
	if !s.Closed() {
		key := "timeout"
		if s.drop != nil && len(s.drop.marked()) > 0 {
			key = "timeout.marked"
		}
		s.finish(fail(key, "idle", sandbox.HumanDuration(s.Idle()), "marked", s.markedCount()), "timeout")
	}
	return s.Flush()
}

// Shutdown closes the session because the server stops; nothing is deleted.
func (s *Session) Shutdown() sandbox.Output {
	if !s.Closed() {
		s.finish(fail("shutdown", "host", s.Host()), "shutdown")
	}
	return s.Flush()
}

// Hangup records that the client left without QUIT: no UPDATE, so marked
// messages survive, and the maildrop is unlocked.
func (s *Session) Hangup() {
	if !s.Closed() {
		s.release()
		s.SetState(Closed)
		s.End("hangup")
	}
}

// finish sends a last reply and ends the session, releasing the maildrop
// without deleting anything.
func (s *Session) finish(r *sandbox.Reply, why string) {
	s.release()
	s.Send(r)
	s.SetState(Closed)
	s.End(why)
}

// release unlocks the maildrop, if the session holds it.
func (s *Session) release() {
	if s.drop == nil {
		return
	}
	s.drop.store.Unlock(s.drop.name)
	s.mailboxEvent("unlocked", nil)
	s.drop = nil
}

func (s *Session) mailboxEvent(action string, uids []string) {
	use := &sandbox.MailboxUse{Mailbox: s.drop.name, Action: action, UIDs: uids}
	s.Emit(sandbox.Event{Kind: sandbox.EventMailbox, Mailbox: use})
	if w := s.drop.world; w != s.World {
		// A class's mailbox read over TCP: the class's pages hear of it too,
		// without a session id, which means nothing in their world.
		w.Publish(sandbox.Event{Kind: sandbox.EventMailbox, Proto: sandbox.POP3, Mailbox: use})
	}
}

func (s *Session) markedCount() string {
	if s.drop == nil {
		return "0"
	}
	return strconv.Itoa(len(s.drop.marked()))
}

// commandLine reads one line as a command and answers it.
func (s *Session) commandLine(l sandbox.Line) {
	var line string
	if carriesSecret(l.Text) {
		line = s.ReceivedSecret(l)
	} else {
		line = s.Received(l, false)
	}
	switch {
	case l.TooLong:
		s.Send(fail("line_too_long", "limit", strconv.Itoa(sandbox.MaxPOP3Line)))
		return
	case !l.CRLF:
		s.Send(fail("bare_lf"))
		return
	}
	verb, arg := splitCommand(line)
	v, known := verbs.Lookup(verb)
	s.Emit(sandbox.Event{Kind: sandbox.EventCommand, Command: &sandbox.Command{
		Verb: verb, Arg: shownArg(verb, arg), Known: known, Parts: commandParts(v, verb, arg),
	}})
	if !known {
		s.Send(unknown(verb, line))
		return
	}
	s.conclude(s.run(v, arg))
}

// run runs a command if its declaration allows it in the current state and
// its arguments fit; otherwise it answers the error.
func (s *Session) run(v *sandbox.Verb[*Session], arg string) sandbox.Outcome {
	switch {
	case !v.In(s.State()) && s.State() == Authorization:
		return sandbox.Answer(fail("need_login", "verb", v.Name))
	case !v.In(s.State()):
		return sandbox.Answer(fail("logged_in", "verb", v.Name))
	}
	if r := checkArgs(v, arg); r != nil {
		return sandbox.Answer(r)
	}
	return v.Run(s, arg)
}

// conclude sends a command's reply and does what its outcome says next.
func (s *Session) conclude(o sandbox.Outcome) {
	switch o.Then {
	case sandbox.Quit:
		s.finish(o.Reply, "quit")
	case sandbox.Abort:
		s.finish(o.Reply, "error")
	case sandbox.UpgradeTLS:
		s.Send(o.Reply)
		s.StartTLS()
	default:
		s.Send(o.Reply)
	}
}

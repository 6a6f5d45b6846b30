// Package pop2 is smtplab's POP2 engine (RFC 937, 1985, now historic): a
// server session kept so students can compare POP3 with its ancestor. POP2
// has a message cursor, announces each message's length before sending it,
// and wants every transfer acknowledged; like UW ipop2d, the server it is
// modelled on, it hangs up after any "-" reply.
package pop2

import (
	"strconv"
	"strings"
	"time"

	"smtplab/sandbox"
)

// States of a session, as RFC 937 and UW ipop2d name them.
const (
	Auth = "AUTH" // greeting sent, waiting for HELO
	Mbox = "MBOX" // a folder is selected, no message
	Item = "ITEM" // READ selected a message: RETR may send it
	Next = "NEXT" // RETR sent it: waiting for ACKS, ACKD or NACK
	Done = "DONE"
)

// MaxLine is the longest command line, CRLF included. RFC 937 sets no
// limit; this is SMTP's, the norm of the time.
const MaxLine = 512

// Inbox is the only folder of a sandbox mailbox.
const Inbox = "INBOX"

// Session is one POP2 conversation.
type Session struct {
	sandbox.Base
	lines   sandbox.LineSplitter
	home    *sandbox.World // the world keeping box (a class's, over TCP)
	store   sandbox.Store  // its store
	box     string         // the mailbox locked by HELO; "" before
	folder  string         // the selected folder, as the client named it
	msgs    []*sandbox.Message
	deleted []bool // ACKD marks, applied when the folder is closed
	current int    // the message READ selected, numbered from 1
}

var _ sandbox.Session = (*Session)(nil)

// NewSession creates a session of world w for the client peer.
func NewSession(w *sandbox.World, peer sandbox.Peer) *Session {
	s := &Session{Base: sandbox.NewBase(w, sandbox.POP2, peer)}
	s.lines.Max = MaxLine
	return s
}

// Start sends the "+ POP2 host server ready" greeting. Nothing may come
// between "+" and "POP2": some old clients check (ipop2d says so).
func (s *Session) Start() sandbox.Output {
	s.Opened(Auth)
	s.Send(plus("greeting", "host", s.Host()))
	return s.Flush()
}

// Refuse turns the client away because the server is full.
func (s *Session) Refuse() sandbox.Output {
	s.Opened(Auth)
	s.finish(minus("too_many_sessions"), "full")
	return s.Flush()
}

// Feed answers every complete line in p, in order.
func (s *Session) Feed(p []byte) sandbox.Output {
	return s.FeedLines(&s.lines, p, s.commandLine)
}

// Idle is how long the server waits for a command.
func (s *Session) Idle() time.Duration { return s.World.Limits.Autologout }

// Timeout ends an idle session; ACKD marks are not applied.
func (s *Session) Timeout() sandbox.Output {
	if !s.Closed() {
		s.finish(minus("timeout", "idle", sandbox.HumanDuration(s.Idle())), "timeout")
	}
	return s.Flush()
}

// Shutdown closes the session because the server stops; nothing is deleted.
func (s *Session) Shutdown() sandbox.Output {
	if !s.Closed() {
		s.finish(minus("shutdown", "host", s.Host()), "shutdown")
	}
	return s.Flush()
}

// Hangup records that the client left: ACKD marks are dropped, the mailbox
// unlocked.
func (s *Session) Hangup() {
	if !s.Closed() {
		s.release()
		s.SetState(Done)
		s.End("hangup")
	}
}

// finish sends a last reply and ends the session without applying marks.
func (s *Session) finish(r *sandbox.Reply, why string) {
	s.release()
	s.Send(r)
	s.SetState(Done)
	s.End(why)
}

func (s *Session) release() {
	if s.box == "" {
		return
	}
	s.store.Unlock(s.box)
	s.mailboxEvent("unlocked", nil)
	s.home, s.store, s.box = nil, nil, ""
}

func (s *Session) mailboxEvent(action string, uids []string) {
	use := &sandbox.MailboxUse{Mailbox: s.box, Action: action, UIDs: uids}
	s.Emit(sandbox.Event{Kind: sandbox.EventMailbox, Mailbox: use})
	if s.home != nil && s.home != s.World {
		// A class's mailbox read over TCP: its pages hear of it too.
		s.home.Publish(sandbox.Event{Kind: sandbox.EventMailbox, Proto: sandbox.POP2, Mailbox: use})
	}
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
		s.conclude(fail("line_too_long", "limit", strconv.Itoa(MaxLine)))
	case !l.CRLF:
		s.conclude(fail("bare_lf"))
	default:
		s.conclude(s.command(line))
	}
}

func (s *Session) command(line string) sandbox.Outcome {
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	v, known := verbs.Lookup(verb)
	s.Emit(sandbox.Event{Kind: sandbox.EventCommand, Command: &sandbox.Command{
		Verb: verb, Arg: arg, Known: known, Parts: commandParts(verb, arg),
	}})
	switch {
	case !known:
		return abort(unknown(verb, line))
	case !v.In(s.State()):
		return fail("wrong_state."+strings.ToLower(s.State()), "verb", verb)
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
	default:
		s.Send(o.Reply)
	}
}

package pop3

import (
	"strconv"

	"smtplab/sandbox"
)

// cmdStat answers exactly "+OK count octets": clients parse it (RFC 1939 §5).
func (s *Session) cmdStat(verb, arg string) *sandbox.Reply {
	if r := noArgs(verb, arg); r != nil {
		return r
	}
	count, octets := s.drop.stat()
	return ok("stat", "count", strconv.Itoa(count), "octets", strconv.Itoa(octets))
}

// cmdList gives the size of one message, or of every message not marked
// deleted, one per line.
func (s *Session) cmdList(verb, arg string) *sandbox.Reply {
	f := fields(arg)
	switch len(f) {
	case 0:
		count, octets := s.drop.stat()
		var data []string
		for i, m := range s.drop.msgs {
			if !s.drop.deleted[i] {
				data = append(data, strconv.Itoa(i+1)+" "+strconv.Itoa(m.Size()))
			}
		}
		return multiline(ok("list.all", "count", strconv.Itoa(count), "octets", strconv.Itoa(octets)), data)
	case 1:
		n, m, r := s.drop.message(verb, f[0])
		if r != nil {
			return r
		}
		return ok("list.one", "n", strconv.Itoa(n), "size", strconv.Itoa(m.Size()))
	}
	return fail("list.syntax")
}

// cmdRetr sends a whole message. The octet count is the message's size as
// stored, CRLF line ends included, without the stuffing dots.
func (s *Session) cmdRetr(verb, arg string) *sandbox.Reply {
	f := fields(arg)
	if len(f) != 1 {
		return fail("retr.syntax")
	}
	n, m, r := s.drop.message(verb, f[0])
	if r != nil {
		return r
	}
	s.drop.touch(n)
	s.mailboxEvent("retrieved", []string{m.UID})
	return multiline(ok("retr", "n", strconv.Itoa(n), "size", strconv.Itoa(m.Size())), textLines(m.Raw))
}

// cmdDele only marks the message: it disappears at QUIT, in UPDATE, and
// the other messages keep their numbers.
func (s *Session) cmdDele(verb, arg string) *sandbox.Reply {
	f := fields(arg)
	if len(f) != 1 {
		return fail("dele.syntax")
	}
	n, _, r := s.drop.message(verb, f[0])
	if r != nil {
		return r
	}
	s.drop.deleted[n-1] = true
	s.drop.touch(n)
	return ok("dele", "n", strconv.Itoa(n))
}

func (s *Session) cmdNoop(verb, arg string) *sandbox.Reply {
	if r := noArgs(verb, arg); r != nil {
		return r
	}
	return ok("noop")
}

// cmdRset takes back every DELE of the session.
func (s *Session) cmdRset(verb, arg string) *sandbox.Reply {
	if r := noArgs(verb, arg); r != nil {
		return r
	}
	unmarked := len(s.drop.marked())
	s.drop.reset()
	count, octets := s.drop.stat()
	return ok("rset", "count", strconv.Itoa(count), "octets", strconv.Itoa(octets), "unmarked", strconv.Itoa(unmarked))
}

// cmdTop sends the header, the empty line after it, and the first lines of
// the body (RFC 1939 §7).
func (s *Session) cmdTop(verb, arg string) *sandbox.Reply {
	f := fields(arg)
	if len(f) != 2 {
		return fail("top.syntax")
	}
	n, m, r := s.drop.message(verb, f[0])
	if r != nil {
		return r
	}
	if !sandbox.IsNumber(f[1]) {
		return fail("top.bad_lines", "arg", echo(f[1]))
	}
	want, err := strconv.Atoi(f[1])
	if err != nil {
		want = int(^uint(0) >> 1) // more lines than any message has
	}
	lines := textLines(m.Raw)
	head := len(lines) // without an empty line, all of it is header
	for i, l := range lines {
		if l == "" {
			head = i + 1
			break
		}
	}
	body := min(want, len(lines)-head)
	return multiline(ok("top", "n", strconv.Itoa(n), "lines", strconv.Itoa(body)), lines[:head+body])
}

// cmdUidl gives the unique ids that let a client remember, across sessions,
// which messages it already has (RFC 1939 §7).
func (s *Session) cmdUidl(verb, arg string) *sandbox.Reply {
	f := fields(arg)
	switch len(f) {
	case 0:
		var data []string
		for i, m := range s.drop.msgs {
			if !s.drop.deleted[i] {
				data = append(data, strconv.Itoa(i+1)+" "+m.UID)
			}
		}
		count, _ := s.drop.stat()
		return multiline(ok("uidl.all", "count", strconv.Itoa(count)), data)
	case 1:
		n, m, r := s.drop.message(verb, f[0])
		if r != nil {
			return r
		}
		return ok("uidl.one", "n", strconv.Itoa(n), "uid", m.UID)
	}
	return fail("uidl.syntax")
}

// cmdLast answers the historical LAST of RFC 1081 and 1460, removed by RFC
// 1725: kept so the explanation can tell why UIDL replaced it.
func (s *Session) cmdLast(verb, arg string) *sandbox.Reply {
	if r := noArgs(verb, arg); r != nil {
		return r
	}
	return ok("last", "n", strconv.Itoa(s.drop.last))
}

// extensions are the CAPA tags (RFC 2449 §6) of what the engine does
// rather than of a command: RESP-CODES promises the bracketed codes after
// -ERR, AUTH-RESP-CODE the [AUTH] code on failed logins (RFC 3206), and
// PIPELINING holds because Feed answers every line of a write, in order.
// The tags of commands (USER, TOP, UIDL, SASL, STLS) come from their
// declarations, each when it applies.
var extensions = []string{
	"PIPELINING",
	"RESP-CODES",
	"AUTH-RESP-CODE",
	"EXPIRE NEVER",
	"IMPLEMENTATION smtplab",
}

func (s *Session) cmdCapa(verb, arg string) *sandbox.Reply {
	if r := noArgs(verb, arg); r != nil {
		return r
	}
	return multiline(ok("capa"), append(verbs.Advertised(s), extensions...))
}

// cmdQuit ends the session. In TRANSACTION it first enters UPDATE: the
// marked messages are removed and the maildrop unlocked (RFC 1939 §6).
func (s *Session) cmdQuit(arg string) sandbox.Outcome {
	if r := noArgs("QUIT", arg); r != nil {
		return sandbox.Answer(r)
	}
	if s.drop == nil {
		return sandbox.Outcome{Reply: ok("quit", "host", s.Host()), Then: sandbox.Quit}
	}
	s.SetState(Update)
	uids := s.drop.marked()
	removed := 0
	if len(uids) > 0 {
		removed = s.drop.store.Remove(s.drop.name, uids)
		s.mailboxEvent("removed", uids)
	}
	left := len(s.drop.store.Messages(s.drop.name))
	args := []string{"host", s.Host(), "removed", strconv.Itoa(removed), "left", strconv.Itoa(left)}
	var r *sandbox.Reply
	switch {
	case removed < len(uids):
		// Someone emptied the mailbox under the session (a world reset).
		r = fail("quit.not_removed", append(args, "marked", strconv.Itoa(len(uids)))...)
	case left == 0:
		r = ok("quit.update.empty", args...)
	default:
		r = ok("quit.update", args...)
	}
	return sandbox.Outcome{Reply: r, Then: sandbox.Quit}
}

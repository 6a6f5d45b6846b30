package pop2

import (
	"crypto/subtle"
	"slices"
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// verbs is every command of RFC 937, declared once with the states it is
// valid in: dispatch, the state check and the catalog tests derive from it.
var verbs = sandbox.DeclareVerbs(
	sandbox.Verb[*Session]{Name: "HELO", States: []string{Auth}, Run: (*Session).cmdHelo},
	sandbox.Verb[*Session]{Name: "FOLD", States: []string{Mbox, Item}, Run: (*Session).cmdFold},
	sandbox.Verb[*Session]{Name: "READ", States: []string{Mbox, Item}, Run: (*Session).cmdRead},
	sandbox.Verb[*Session]{Name: "RETR", States: []string{Item}, Run: (*Session).cmdRetr},
	sandbox.Verb[*Session]{Name: "ACKS", States: []string{Next}, Run: (*Session).cmdAcks},
	sandbox.Verb[*Session]{Name: "ACKD", States: []string{Next}, Run: (*Session).cmdAckd},
	sandbox.Verb[*Session]{Name: "NACK", States: []string{Next}, Run: (*Session).cmdNack},
	sandbox.Verb[*Session]{Name: "QUIT", States: []string{Auth, Mbox, Item}, Run: (*Session).cmdQuit},
)

// answer is a successful reply: the session goes on.
func answer(r *sandbox.Reply) sandbox.Outcome { return sandbox.Answer(r) }

// abort answers a "-" reply. RFC 937 gives the client no way to recover
// from one, and ipop2d hangs up after it: every failure ends the session.
func abort(r *sandbox.Reply) sandbox.Outcome {
	return sandbox.Outcome{Reply: r, Then: sandbox.Abort}
}

// fail is abort of the "-" reply whose text is the catalog entry "pop2."+key.
func fail(key string, kv ...string) sandbox.Outcome { return abort(minus(key, kv...)) }

// cmdHelo logs in: "HELO user password", the password being the rest of
// the line. It locks the mailbox and selects INBOX.
func (s *Session) cmdHelo(arg string) sandbox.Outcome {
	user, pass, _ := strings.Cut(strings.TrimLeft(arg, " "), " ")
	if user == "" || pass == "" {
		return fail("helo.syntax")
	}
	home, e, ok := s.lookup(user)
	name := e.Local
	if home != s.World {
		name = home.Address(e.Local)
	}
	switch {
	case !ok || !e.HasMailbox():
		s.Delay(s.World.Limits.AuthFailDelay)
		return fail("helo.fail.unknown", "name", echo(user))
	case subtle.ConstantTimeCompare([]byte(pass), []byte(e.Password)) != 1:
		s.Delay(s.World.Limits.AuthFailDelay)
		return fail("helo.fail", "name", echo(user))
	case !home.Store.Lock(e.Local):
		return fail("helo.in_use", "name", name)
	}
	s.home, s.store, s.box = home, home.Store, e.Local
	s.mailboxEvent("locked", nil)
	s.open(Inbox)
	return answer(count(len(s.msgs), "helo.ok", "name", name, "folder", Inbox))
}

// lookup resolves a login name: a bare name in the session's world, or
// name@domain in the other world of the sandbox that owns domain (a
// class's), so one POP2 port serves every world. Any other name is looked
// up as it is, and so is unknown.
func (s *Session) lookup(login string) (*sandbox.World, sandbox.Entry, bool) {
	w, local := s.World, login
	if i := strings.LastIndexByte(login, '@'); i > 0 {
		if n := s.World.Maildrop(login[i+1:]); n != nil {
			w, local = n, login[:i]
		}
	}
	e, ok := w.Lookup(local)
	return w, e, ok
}

// cmdFold closes the selected folder, which applies its ACKD marks, and
// opens another. Only INBOX exists here; any other name opens as an empty
// folder, "#0", since a "-" would end the session.
func (s *Session) cmdFold(arg string) sandbox.Outcome {
	name := strings.TrimSpace(arg)
	if name == "" {
		return fail("fold.syntax")
	}
	s.expunge()
	s.open(name)
	if s.folder != Inbox {
		return answer(count(0, "fold.none", "folder", echo(name)))
	}
	return answer(count(len(s.msgs), "fold.ok", "folder", Inbox))
}

// open selects a folder and puts the cursor on its first message.
func (s *Session) open(name string) {
	s.msgs, s.folder = nil, name
	if strings.EqualFold(name, Inbox) {
		s.folder = Inbox
		s.msgs = s.store.Messages(s.box)
	}
	s.deleted = make([]bool, len(s.msgs))
	s.current = 1
	s.SetState(Mbox)
}

// expunge removes the messages ACKD marked in the selected folder.
func (s *Session) expunge() int {
	var uids []string
	for i, m := range s.msgs {
		if s.deleted[i] {
			uids = append(uids, m.UID)
		}
	}
	if len(uids) == 0 {
		return 0
	}
	n := s.store.Remove(s.box, uids)
	s.mailboxEvent("removed", uids)
	clear(s.deleted)
	return n
}

// cmdRead selects message n, or the current one, and announces its length.
func (s *Session) cmdRead(arg string) sandbox.Outcome {
	a := strings.TrimSpace(arg)
	if a == "" {
		return answer(s.announce("read"))
	}
	if !sandbox.IsNumber(a) || strings.Trim(a, "0") == "" {
		return fail("read.syntax", "arg", echo(a))
	}
	n, err := strconv.Atoi(a)
	if err != nil || n > len(s.msgs) {
		s.current = len(s.msgs) + 1
		s.SetState(Mbox)
		return answer(length(0, "read.no_such", "n", echo(a), "count", strconv.Itoa(len(s.msgs)), "folder", echo(s.folder)))
	}
	s.current = n
	return answer(s.announce("read"))
}

// announce answers "=ccc", the length of the current message, and enters
// ITEM; or "=0" when there is no message to send, and stays in MBOX.
func (s *Session) announce(verb string) *sandbox.Reply {
	n := strconv.Itoa(s.current)
	switch {
	case s.current > len(s.msgs):
		s.SetState(Mbox)
		return length(0, verb+".none", "n", n, "count", strconv.Itoa(len(s.msgs)), "folder", echo(s.folder))
	case s.deleted[s.current-1]:
		s.SetState(Mbox)
		return length(0, verb+".deleted", "n", n)
	}
	s.SetState(Item)
	return length(len(transfer(s.msgs[s.current-1])), verb+".ok", "n", n)
}

// cmdRetr sends the current message: exactly the announced number of
// octets, with no terminator and no dot-stuffing.
func (s *Session) cmdRetr(arg string) sandbox.Outcome {
	if r := noArgs("RETR", arg); r != nil {
		return abort(r)
	}
	m := s.msgs[s.current-1]
	s.mailboxEvent("retrieved", []string{m.UID})
	s.SetState(Next)
	return answer(text(transfer(m), "retr.ok", "n", strconv.Itoa(s.current)))
}

// cmdAcks: received and kept; on to the next message.
func (s *Session) cmdAcks(arg string) sandbox.Outcome {
	if r := noArgs("ACKS", arg); r != nil {
		return abort(r)
	}
	s.advance()
	return answer(s.announce("acks"))
}

// cmdAckd: received, delete it; on to the next message. The message is
// only marked: it goes when the folder is closed (QUIT or FOLD), as in
// ipop2d, so a cut connection loses nothing.
func (s *Session) cmdAckd(arg string) sandbox.Outcome {
	if r := noArgs("ACKD", arg); r != nil {
		return abort(r)
	}
	s.deleted[s.current-1] = true
	s.advance()
	return answer(s.announce("ackd"))
}

// cmdNack: the transfer failed; keep the message and stay on it.
func (s *Session) cmdNack(arg string) sandbox.Outcome {
	if r := noArgs("NACK", arg); r != nil {
		return abort(r)
	}
	return answer(s.announce("nack"))
}

// advance moves the cursor past the current message and any marked ones.
func (s *Session) advance() {
	s.current++
	for s.current <= len(s.msgs) && s.deleted[s.current-1] {
		s.current++
	}
}

// cmdQuit closes the folder, applying the ACKD marks, and says goodbye.
func (s *Session) cmdQuit(arg string) sandbox.Outcome {
	if r := noArgs("QUIT", arg); r != nil {
		return abort(r)
	}
	key := "quit"
	removed := 0
	if s.box != "" {
		removed = s.expunge()
		key = "quit.update"
	}
	return sandbox.Outcome{Reply: plus(key, "host", s.Host(), "removed", strconv.Itoa(removed)), Then: sandbox.Quit}
}

// noArgs refuses an argument to a command that takes none.
func noArgs(verb, arg string) *sandbox.Reply {
	if strings.TrimSpace(arg) == "" {
		return nil
	}
	key := "no_args"
	if verb == "RETR" {
		key = "no_args.retr" // RETR n is POP3; POP2 selects with READ n
	}
	return minus(key, "verb", verb)
}

// pop3Verbs are POP3 commands students may try here.
var pop3Verbs = []string{"USER", "PASS", "APOP", "STAT", "LIST", "DELE", "NOOP", "RSET", "TOP", "UIDL", "CAPA", "LAST"}

// unknown answers a line whose verb is not POP2.
func unknown(verb, line string) *sandbox.Reply {
	switch {
	case strings.TrimSpace(line) == "":
		return minus("unknown.empty")
	case sandbox.HasControl(line):
		return minus("unknown.control")
	}
	if slices.Contains(pop3Verbs, verb) {
		return minus("unknown.pop3", "verb", verb)
	}
	// FOLDER, as some old tutorials spell FOLD, and other lengthened verbs.
	if _, ok := verbs.Lookup(verb[:min(4, len(verb))]); ok && len(verb) > 4 {
		return minus("unknown.long", "verb", echo(verb), "near", verb[:4])
	}
	return minus("unknown", "verb", echo(verb))
}

// carriesSecret reports whether a command line holds credentials: HELO
// names the user and gives the password on one line (RFC 937). Its input
// event is marked so that watchers other than the session's own terminal
// hide it.
func carriesSecret(line []byte) bool {
	verb, _, _ := strings.Cut(string(line[:min(len(line), 5)]), " ")
	return strings.EqualFold(verb, "HELO")
}

func commandParts(verb, arg string) []sandbox.Part {
	parts := []sandbox.Part{{Kind: "verb", Text: verb}}
	if verb == "HELO" {
		user, pass, _ := strings.Cut(strings.TrimLeft(arg, " "), " ")
		if user != "" {
			parts = append(parts, sandbox.Part{Kind: "text", Text: user})
		}
		if pass != "" {
			parts = append(parts, sandbox.Part{Kind: sandbox.PartSecret, Text: pass})
		}
		return parts
	}
	if a := strings.TrimSpace(arg); a != "" {
		kind := "text"
		if sandbox.IsNumber(a) {
			kind = "number"
		}
		parts = append(parts, sandbox.Part{Kind: kind, Text: a})
	}
	return parts
}

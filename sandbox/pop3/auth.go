package pop3

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// cmdUser remembers the name for PASS. It answers +OK even for a name that
// has no mailbox, and fails only at PASS, so that USER cannot be used to
// find out who exists (RFC 1939 §13 warns against such probing).
func (s *Session) cmdUser(_, arg string) *sandbox.Reply {
	f := fields(arg)
	if len(f) != 1 {
		return fail("user.syntax")
	}
	again := s.user != ""
	s.user = f[0]
	name := echo(f[0])
	a, exists := s.lookup(f[0])
	e := a.entry
	switch {
	case !exists:
		return ok("user.ok.unknown", "name", name)
	case !e.HasMailbox():
		return ok("user.ok.not_mailbox", "name", name)
	case again:
		return ok("user.ok.again", "name", name)
	}
	return ok("user.ok", "name", name)
}

// cmdPass checks the password of the name USER gave. The argument is the
// rest of the line, spaces included (RFC 1939 §7).
func (s *Session) cmdPass(arg string) sandbox.Outcome {
	if s.user == "" {
		return sandbox.Answer(fail("pass.no_user"))
	}
	if arg == "" {
		return sandbox.Answer(fail("pass.syntax"))
	}
	name := s.user
	s.user = "" // after PASS, right or wrong, a new login starts with USER
	a, found := s.account(name)
	switch {
	case !found:
		return s.loginFailed("pass.fail.unknown", name)
	case subtle.ConstantTimeCompare([]byte(arg), []byte(a.entry.Password)) != 1:
		return s.loginFailed("pass.fail", name)
	}
	return sandbox.Answer(s.login(a, "PASS"))
}

// cmdApop logs in with a digest instead of a password: the MD5 of the
// greeting's timestamp followed by the password, in lower-case hex, so the
// password itself never crosses the network (RFC 1939 §7).
func (s *Session) cmdApop(arg string) sandbox.Outcome {
	f := fields(arg)
	if len(f) != 2 || !isDigest(f[1]) {
		return sandbox.Answer(fail("apop.syntax"))
	}
	s.user = ""
	a, found := s.account(f[0])
	if !found {
		return s.loginFailed("apop.fail.unknown", f[0])
	}
	want := digest(s.stamp, a.entry.Password)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(f[1])), []byte(want)) != 1 {
		return s.loginFailed("apop.fail", f[0])
	}
	return sandbox.Answer(s.login(a, "APOP"))
}

func digest(stamp, password string) string {
	sum := md5.Sum([]byte(stamp + password))
	return hex.EncodeToString(sum[:])
}

func isDigest(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// account is a POP login resolved: the world keeping the mailbox, and its
// owner there.
type account struct {
	world *sandbox.World
	entry sandbox.Entry
	name  string // as replies name it: "alice", or "lea@2nde-b.test" in a neighbour world
}

// lookup resolves a login name. A bare name is an address of the session's
// world. name@domain, when another world of the sandbox owns domain (a
// class's), is an address of that world: the one POP3 port serves every
// world's mailboxes. Any other name is looked up as it is, so a name with a
// domain no neighbour owns is simply unknown, as it always was.
func (s *Session) lookup(login string) (account, bool) {
	w, local := s.World, login
	if i := strings.LastIndexByte(login, '@'); i > 0 {
		if n := s.World.Maildrop(login[i+1:]); n != nil {
			w, local = n, login[:i]
		}
	}
	e, ok := w.Lookup(local)
	a := account{world: w, entry: e, name: e.Local}
	if w != s.World {
		a.name = w.Address(e.Local)
	}
	return a, ok
}

// account finds the user whose mailbox a POP login names.
func (s *Session) account(login string) (account, bool) {
	a, ok := s.lookup(login)
	return a, ok && a.entry.HasMailbox()
}

// loginFailed answers a wrong login with [AUTH] (RFC 3206) after a delay
// that slows down guessing, and hangs up after MaxLoginFailures. kv are
// more arguments of the reply (what AUTH decoded).
func (s *Session) loginFailed(key, name string, kv ...string) sandbox.Outcome {
	s.Delay(s.World.Limits.AuthFailDelay)
	s.failures++
	if s.failures >= MaxLoginFailures {
		return sandbox.Outcome{Reply: fail("login.too_many", "limit", strconv.Itoa(MaxLoginFailures)), Then: sandbox.Abort}
	}
	args := append([]string{"name", echo(name), "left", strconv.Itoa(MaxLoginFailures - s.failures)}, kv...)
	return sandbox.Answer(fail(key, args...))
}

// login enters TRANSACTION with a's maildrop and tells its size, or fails
// as enter does.
func (s *Session) login(a account, verb string) *sandbox.Reply {
	if r := s.enter(a, verb); r != nil {
		return r
	}
	count, octets := s.drop.stat()
	key := "login.ok"
	if count == 0 {
		key = "login.ok.empty"
	}
	return ok(key, "name", a.name, "verb", verb, "count", strconv.Itoa(count), "octets", strconv.Itoa(octets))
}

// enter locks a's maildrop, in the store of the world that keeps it, and
// enters TRANSACTION; or it returns [IN-USE] (RFC 2449 §8.1.1) if another
// session holds the lock, and the session stays in AUTHORIZATION.
func (s *Session) enter(a account, verb string) *sandbox.Reply {
	if !a.world.Store.Lock(a.entry.Local) {
		return fail("login.in_use", "name", a.name, "verb", verb)
	}
	s.drop = newMaildrop(a.world, a.entry.Local)
	s.mailboxEvent("locked", nil)
	s.SetState(Transaction)
	return nil
}

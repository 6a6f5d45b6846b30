package pop3

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// mechanisms are the SASL mechanisms AUTH offers: PLAIN (RFC 4616), the
// one every mail program knows.
var mechanisms = []string{"PLAIN"}

// offerSASL is the CAPA line of AUTH (RFC 2449 §6.3). Like USER, it is
// announced in both states: it tells what the server supports.
func (s *Session) offerSASL() string { return "SASL " + strings.Join(mechanisms, " ") }

// cmdAuth starts a SASL exchange (RFC 5034 §4). Without an argument it
// lists the mechanisms, as most servers do. On the teaching service it
// works in clear, and the explanation shows what that gives away.
func (s *Session) cmdAuth(arg string) sandbox.Outcome {
	mech, initial, _ := strings.Cut(strings.TrimSpace(arg), " ")
	mech, initial = strings.ToUpper(mech), strings.TrimSpace(initial)
	switch {
	case mech == "":
		return sandbox.Answer(multiline(ok("auth.mechanisms"), mechanisms))
	case mech != "PLAIN":
		return sandbox.Answer(fail("auth.mechanism", "mech", echo(mech), "mechs", strings.Join(mechanisms, " ")))
	}
	s.user = "" // as after APOP: a new login starts with USER
	switch initial {
	case "":
		// PLAIN has no server challenge: an empty one asks for the
		// response (RFC 5034 §4).
		s.sasl = true
		s.lines.Max = MaxSASLLine
		return sandbox.Answer(challenge("auth.challenge"))
	case "=":
		initial = "" // an initial response of zero length (RFC 5034 §4)
	}
	return s.plain(initial)
}

// saslLine reads the client's answer to the "+ " challenge.
func (s *Session) saslLine(l sandbox.Line) {
	line := s.ReceivedSecret(l)
	s.endSASL()
	switch {
	case l.TooLong:
		s.Send(fail("auth.line_too_long", "limit", strconv.Itoa(MaxSASLLine)))
	case !l.CRLF:
		s.Send(fail("auth.bare_lf"))
	case strings.TrimSpace(line) == "*":
		// RFC 5034 §4: the client gives up; the server must answer -ERR.
		s.Send(fail("auth.cancelled"))
	default:
		s.conclude(s.plain(strings.TrimSpace(line)))
	}
}

// endSASL goes back to reading commands.
func (s *Session) endSASL() {
	s.sasl = false
	s.lines.Max = sandbox.MaxPOP3Line
}

// plain checks a PLAIN response (RFC 4616 §2): base64 of
// authzid NUL authcid NUL passwd.
func (s *Session) plain(b64 string) sandbox.Outcome {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return sandbox.Answer(fail("auth.bad_base64"))
	}
	parts := bytes.Split(raw, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 || len(parts[2]) == 0 {
		if s.Encrypted() {
			return sandbox.Answer(fail("auth.plain_syntax"))
		}
		return sandbox.Answer(fail("auth.plain_syntax.clear", "decoded", echo(string(raw))))
	}
	authz, user, pass := string(parts[0]), string(parts[1]), string(parts[2])
	overheard := s.overheard(pass)
	a, found := s.account(user)
	switch {
	case authz != "" && authz != user:
		// Acting as someone else needs an administrator's rights.
		return s.loginFailed(s.clearKey("auth.authzid"), user, append(overheard, "authzid", echo(authz))...)
	case !found:
		return s.loginFailed(s.clearKey("auth.fail.unknown"), user, overheard...)
	case subtle.ConstantTimeCompare([]byte(pass), []byte(a.entry.Password)) != 1:
		return s.loginFailed(s.clearKey("auth.fail"), user, overheard...)
	}
	if r := s.enter(a, "AUTH"); r != nil {
		return sandbox.Answer(r)
	}
	count, octets := s.drop.stat()
	return sandbox.Answer(ok(s.clearKey("auth.ok"), append(overheard,
		"name", a.name, "user", echo(user), "count", strconv.Itoa(count), "octets", strconv.Itoa(octets))...))
}

// overheard is what a reason may show of the credentials: in clear, the
// password anyone on the path read in the base64; under TLS, nothing.
func (s *Session) overheard(pass string) []string {
	if s.Encrypted() {
		return nil
	}
	return []string{"password", echo(pass)}
}

// clearKey picks the explanation that shows what was given away, when the
// credentials crossed the network in clear.
func (s *Session) clearKey(key string) string {
	if s.Encrypted() {
		return key
	}
	return key + ".clear"
}

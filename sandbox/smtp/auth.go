package smtp

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// Mechanisms are the SASL mechanisms AUTH offers, in EHLO's order: PLAIN
// (RFC 4616) and LOGIN, the older one many mail programs still use.
var mechanisms = []string{"PLAIN", "LOGIN"}

// saslExchange is an AUTH in progress: the server sent a 334 challenge and
// reads the client's next line as the answer, not as a command.
type saslExchange struct {
	mech string
	user string // LOGIN: the user name, once given
}

// mayAuth reports whether AUTH may be used on this connection. A submission
// service accepts passwords only under TLS (RFC 8314 §4, RFC 4954 §4); the
// teaching service takes them in clear, and its explanations say why no real
// server should.
func (s *Session) mayAuth() bool {
	return s.Peer.Service != sandbox.Submission || s.Encrypted()
}

// offerAuth is the EHLO keyword, with the mechanisms, while AUTH may be used.
func (s *Session) offerAuth() string {
	if !s.mayAuth() || s.login != "" {
		return ""
	}
	return "AUTH " + strings.Join(mechanisms, " ")
}

// cmdAuth starts a SASL exchange (RFC 4954 §4).
func (s *Session) cmdAuth(arg string) sandbox.Outcome {
	switch {
	case s.login != "":
		return sandbox.Answer(reply(503, "5.5.1", "auth.again", "user", echo(s.login)))
	case !s.esmtp:
		return sandbox.Answer(reply(503, "5.5.1", "auth.no_ehlo"))
	case s.State() == HaveFrom || s.State() == HaveRcpt:
		return sandbox.Answer(reply(503, "5.5.1", "auth.in_transaction"))
	case !s.mayAuth():
		return sandbox.Answer(reply(538, "5.7.11", "auth.need_tls"))
	}
	mech, initial, _ := strings.Cut(strings.TrimSpace(arg), " ")
	mech = strings.ToUpper(mech)
	switch {
	case mech == "":
		return sandbox.Answer(reply(501, "5.5.4", "auth.syntax"))
	case mech != "PLAIN" && mech != "LOGIN":
		return sandbox.Answer(reply(504, "5.5.4", "auth.mechanism", "mech", echo(mech), "mechs", strings.Join(mechanisms, ", ")))
	}
	s.sasl = &saslExchange{mech: mech}
	s.lines.Max = sandbox.MaxAuthLine
	initial = strings.TrimSpace(initial)
	switch {
	case initial == "" && mech == "PLAIN":
		return sandbox.Answer(reply(334, "", "auth.challenge.plain"))
	case initial == "":
		// LOGIN's challenges are base64 of "Username:" and "Password:".
		return sandbox.Answer(reply(334, "", "auth.challenge.user"))
	case initial == "=":
		// RFC 4954 §4: "=" is an initial response of zero length.
		initial = ""
	}
	return s.saslAnswer(initial)
}

// saslLine reads a line of the exchange: the client's answer to a challenge.
func (s *Session) saslLine(l sandbox.Line) {
	line := s.ReceivedSecret(l)
	switch {
	case l.TooLong:
		s.endSASL()
		s.Send(reply(500, "5.5.6", "auth.line_too_long", "limit", strconv.Itoa(sandbox.MaxAuthLine)))
	case !l.CRLF:
		s.endSASL()
		s.Send(reply(500, "5.5.2", "auth.bare_lf"))
	default:
		s.conclude(s.saslAnswer(strings.TrimSpace(line)))
	}
}

func (s *Session) endSASL() {
	s.sasl = nil
	s.lines.Max = sandbox.MaxCommandLine
}

// saslAnswer handles one answer of the client, initial response included.
func (s *Session) saslAnswer(b64 string) sandbox.Outcome {
	if b64 == "*" {
		s.endSASL()
		return sandbox.Answer(reply(501, "5.0.0", "auth.cancelled"))
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		s.endSASL()
		return sandbox.Answer(reply(501, "5.5.2", "auth.bad_base64"))
	}
	if s.sasl.mech == "LOGIN" {
		if s.sasl.user == "" {
			s.sasl.user = string(raw)
			return sandbox.Answer(reply(334, "", "auth.challenge.password"))
		}
		return s.verify(s.sasl.user, string(raw))
	}
	// PLAIN (RFC 4616 §2): authzid NUL authcid NUL passwd.
	parts := bytes.Split(raw, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		s.endSASL()
		if s.Encrypted() {
			return sandbox.Answer(reply(501, "5.5.2", "auth.plain_syntax"))
		}
		return sandbox.Answer(reply(501, "5.5.2", "auth.plain_syntax.clear", "decoded", echo(showNUL(raw))))
	}
	authz, user, pass := string(parts[0]), string(parts[1]), string(parts[2])
	if authz != "" && authz != user {
		s.endSASL()
		return s.refuse("auth.authzid", "user", echo(user), "authzid", echo(authz))
	}
	return s.verify(user, pass)
}

// verify checks a user name and password against the sandbox's users: a
// bare name is this world's, user@domain any world of the sandbox.
func (s *Session) verify(user, pass string) sandbox.Outcome {
	s.endSASL()
	home, local := s.World, user
	if l, d, ok := cutAddress(user); ok {
		home, local = s.home(d), l
	}
	var e sandbox.Entry
	found := false
	if home != nil {
		e, found = home.Lookup(local)
	}
	// Under TLS the password stays out of the event: only a clear-text
	// login is worth showing as what an eavesdropper would read.
	clear := []string{"user", echo(user)}
	if !s.Encrypted() {
		clear = append(clear, "password", echo(pass))
	}
	if !found || !e.HasMailbox() || subtle.ConstantTimeCompare([]byte(pass), []byte(e.Password)) != 1 {
		return s.refuse(s.clearKey("auth.fail"), clear...)
	}
	s.login = home.Address(e.Local)
	s.authFailures = 0
	s.env.Auth = s.login
	s.envelopeChanged()
	return sandbox.Answer(reply(235, "2.7.0", s.clearKey("auth.ok"), append(clear, "login", s.login)...))
}

// refuse answers a failed login, slowly; past MaxAuthFailures the server
// hangs up, as real servers do against password guessing.
func (s *Session) refuse(key string, kv ...string) sandbox.Outcome {
	s.Delay(s.World.Limits.AuthFailDelay)
	s.authFailures++
	if s.authFailures >= sandbox.MaxAuthFailures {
		return sandbox.Outcome{
			Reply: reply(421, "4.7.0", "auth.too_many", "host", s.Host(), "limit", strconv.Itoa(sandbox.MaxAuthFailures)),
			Then:  sandbox.Abort,
		}
	}
	return sandbox.Answer(reply(535, "5.7.8", key, kv...))
}

// clearKey picks the explanation that shows what anyone on the path could
// read, when the credentials crossed the network in clear.
func (s *Session) clearKey(key string) string {
	if s.Encrypted() {
		return key
	}
	return key + ".clear"
}

// showNUL makes the NUL separators of a PLAIN response visible.
func showNUL(b []byte) string {
	return strings.ReplaceAll(string(b), "\x00", "\\0")
}

// isAuthLine reports whether a command line is AUTH, whose arguments may
// carry credentials.
func isAuthLine(b []byte) bool {
	return len(b) >= 4 && strings.EqualFold(string(b[:4]), "AUTH") && (len(b) == 4 || b[4] == ' ')
}

// shownArg is the argument a command event shows: an AUTH line's initial
// response is credentials, the same as a later answer line, and stays in
// the input event only (marked secret).
func (s *Session) shownArg(verb, arg string) string {
	if verb != "AUTH" {
		return arg
	}
	mech, _, _ := strings.Cut(strings.TrimSpace(arg), " ")
	return mech
}

// partsOf labels a command's pieces for the syntax hints.
func (s *Session) partsOf(verb, arg string) []sandbox.Part {
	if verb != "AUTH" {
		return s.commandParts(verb, arg)
	}
	parts := []sandbox.Part{{Kind: "verb", Text: verb}}
	mech, initial, _ := strings.Cut(strings.TrimSpace(arg), " ")
	if mech != "" {
		parts = append(parts, sandbox.Part{Kind: "keyword", Text: mech})
	}
	if initial != "" {
		parts = append(parts, sandbox.Part{Kind: sandbox.PartSecret, Text: initial})
	}
	return parts
}

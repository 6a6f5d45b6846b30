package smtp

import (
	"slices"
	"strings"

	"smtplab/sandbox"
)

// verbs is every command the engine answers, declared once: dispatch, HELP,
// typo suggestions, EHLO keywords and the catalog tests derive from it.
// SMTP commands check their own sequence (each wrong order has its own
// explanation), so none declares States.
var verbs *sandbox.Verbs[*Session]

// retiredVerbs are RFC 821 verbs that RFC 2821 deprecated: answered with 502
// and their story, listed apart in HELP.
var retiredVerbs = []string{"TURN", "SEND", "SOML", "SAML"}

// unofferedVerbs are real SMTP verbs this sandbox does not offer: 502, not
// 500, and never suggested.
var unofferedVerbs = []string{"BDAT", "ETRN", "ATRN", "VERB", "XCLIENT", "XFORWARD"}

func init() {
	vs := []sandbox.Verb[*Session]{
		answer("HELO", (*Session).cmdHelo),
		answer("EHLO", (*Session).cmdEhlo),
		{Name: "STARTTLS", Run: (*Session).cmdStartTLS, Advertise: (*Session).offerStartTLS},
		{Name: "AUTH", Rest: true, Run: (*Session).cmdAuth, Advertise: (*Session).offerAuth},
		answer("MAIL", (*Session).cmdMail),
		answer("RCPT", (*Session).cmdRcpt),
		answer("DATA", (*Session).cmdData),
		answer("RSET", (*Session).cmdRset),
		answer("VRFY", (*Session).cmdVrfy),
		keyword(answer("EXPN", (*Session).cmdExpn)),
		keyword(answer("HELP", (*Session).cmdHelp)),
		answer("NOOP", (*Session).cmdNoop),
		{Name: "QUIT", Run: (*Session).cmdQuit},
	}
	for _, v := range retiredVerbs {
		vs = append(vs, answer(v, retired(v)))
	}
	for _, v := range unofferedVerbs {
		d := answer(v, unimplemented(v))
		d.Hidden = true
		vs = append(vs, d)
	}
	verbs = sandbox.DeclareVerbs(vs...)
}

// answer declares a command whose session goes on after its reply.
func answer(name string, h func(*Session, string) *sandbox.Reply) sandbox.Verb[*Session] {
	return sandbox.Verb[*Session]{Name: name, Run: func(s *Session, arg string) sandbox.Outcome {
		return sandbox.Answer(h(s, arg))
	}}
}

// keyword makes a command announce itself in EHLO under its own name.
func keyword(v sandbox.Verb[*Session]) sandbox.Verb[*Session] {
	name := v.Name
	v.Advertise = func(*Session) string { return name }
	return v
}

// helpTopics are the commands HELP can explain, in the order it lists them.
func helpTopics() []string { return verbs.Names() }

// conclude sends a command's reply and does what its outcome says next.
func (s *Session) conclude(o sandbox.Outcome) {
	switch o.Then {
	case sandbox.Quit:
		s.finish(o.Reply, "quit")
	case sandbox.Abort:
		s.finish(o.Reply, "abort")
	case sandbox.UpgradeTLS:
		s.Send(o.Reply)
		s.StartTLS()
	default:
		s.Send(o.Reply)
	}
}

// retired answers TURN, SEND, SOML and SAML: RFC 821 verbs that RFC 2821
// deprecated, each with its own story in the explanation.
func retired(verb string) func(*Session, string) *sandbox.Reply {
	return func(*Session, string) *sandbox.Reply {
		return reply(502, "5.5.1", "retired."+strings.ToLower(verb), "verb", verb)
	}
}

// unimplemented answers real SMTP verbs this sandbox does not offer.
func unimplemented(verb string) func(*Session, string) *sandbox.Reply {
	return func(*Session, string) *sandbox.Reply {
		return reply(502, "5.5.1", "unimplemented."+strings.ToLower(verb), "verb", verb)
	}
}

// isRetired reports whether verb is one of RFC 821's retired verbs.
func isRetired(verb string) bool { return slices.Contains(retiredVerbs, verb) }

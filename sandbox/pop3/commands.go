package pop3

import (
	"slices"
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// States a command may be declared for.
var (
	authorization = []string{Authorization}
	transaction   = []string{Transaction}
)

// verbs is every command the engine answers, declared once: dispatch, the
// state check, typo suggestions, CAPA and the catalog tests derive from it.
// RFC 1939 §9 lists the first ones, in the order typos are matched against;
// CAPA comes from RFC 2449, LAST from RFC 1081, STLS from RFC 2595 and AUTH
// from RFC 5034. CAPA and QUIT declare no state: they work in every one.
var verbs *sandbox.Verbs[*Session]

func init() {
	verbs = sandbox.DeclareVerbs(
		advertised(command("USER", authorization, (*Session).cmdUser)),
		sandbox.Verb[*Session]{Name: "PASS", States: authorization, Rest: true, Run: (*Session).cmdPass},
		sandbox.Verb[*Session]{Name: "APOP", States: authorization, Run: (*Session).cmdApop},
		command("STAT", transaction, (*Session).cmdStat),
		command("LIST", transaction, (*Session).cmdList),
		command("RETR", transaction, (*Session).cmdRetr),
		command("DELE", transaction, (*Session).cmdDele),
		command("NOOP", transaction, (*Session).cmdNoop),
		command("RSET", transaction, (*Session).cmdRset),
		sandbox.Verb[*Session]{Name: "QUIT", Run: (*Session).cmdQuit},
		advertised(command("TOP", transaction, (*Session).cmdTop)),
		advertised(command("UIDL", transaction, (*Session).cmdUidl)),
		command("CAPA", nil, (*Session).cmdCapa),
		command("LAST", transaction, (*Session).cmdLast),
		sandbox.Verb[*Session]{Name: "AUTH", States: authorization, Run: (*Session).cmdAuth, Advertise: (*Session).offerSASL},
		sandbox.Verb[*Session]{Name: "STLS", States: authorization, Run: (*Session).cmdStls, Advertise: (*Session).offerSTLS},
		// A real POP3 verb this sandbox no longer offers, with its reason.
		retired(command("RPOP", nil, refused("retired.rpop"))),
	)
}

// command declares a verb whose session goes on after its reply. The
// handler is told its verb, for the replies that name it.
func command(name string, states []string, h func(s *Session, verb, arg string) *sandbox.Reply) sandbox.Verb[*Session] {
	return sandbox.Verb[*Session]{Name: name, States: states, Run: func(s *Session, arg string) sandbox.Outcome {
		return sandbox.Answer(h(s, name, arg))
	}}
}

// advertised makes a command announce itself in CAPA under its own name:
// the capability tag of USER, TOP and UIDL is the verb (RFC 2449 §6).
func advertised(v sandbox.Verb[*Session]) sandbox.Verb[*Session] {
	name := v.Name
	v.Advertise = func(*Session) string { return name }
	return v
}

// retired hides a verb that is answered but never suggested nor
// advertised; its argument is taken whole, whatever it holds.
func retired(v sandbox.Verb[*Session]) sandbox.Verb[*Session] {
	v.Hidden, v.Rest = true, true
	return v
}

// splitCommand cuts a line into its verb (upper case: keywords are
// case-insensitive, RFC 1939 §3) and the rest.
func splitCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), arg
}

// carriesSecret reports whether a command line holds credentials: PASS's
// password, or AUTH's initial response. Its input event is marked so that
// watchers other than the session's own terminal hide it.
func carriesSecret(line []byte) bool {
	verb, _ := splitCommand(string(line[:min(len(line), 5)]))
	return verb == "PASS" || verb == "AUTH"
}

// fields splits arguments. RFC 1939 separates them by one space; like most
// servers, this one also takes several.
func fields(arg string) []string { return strings.Fields(arg) }

// checkArgs enforces RFC 1939 §3: an argument is at most 40 characters.
// AUTH's initial response is base64 credentials, bounded by the command
// line only (RFC 5034 §4); its mechanism name is checked like any argument.
func checkArgs(v *sandbox.Verb[*Session], arg string) *sandbox.Reply {
	args := fields(arg)
	switch {
	case v.Rest:
		args = []string{arg}
	case v.Name == "AUTH":
		args = args[:min(1, len(args))]
	}
	for _, a := range args {
		if len(a) > sandbox.MaxPOP3Arg {
			return fail("arg_too_long", "limit", strconv.Itoa(sandbox.MaxPOP3Arg))
		}
	}
	return nil
}

// noArgs answers a command that takes no argument but got one; nil if fine.
func noArgs(verb, arg string) *sandbox.Reply {
	if strings.TrimSpace(arg) != "" {
		return fail("no_args", "verb", verb)
	}
	return nil
}

// shownArg is the argument a command event shows: AUTH's initial response
// is credentials and stays in the input event only, marked secret.
func shownArg(verb, arg string) string {
	if verb != "AUTH" {
		return arg
	}
	mech, _, _ := strings.Cut(strings.TrimSpace(arg), " ")
	return mech
}

// commandParts splits a command into labelled pieces, for syntax hints. v
// is nil for an unknown verb.
func commandParts(v *sandbox.Verb[*Session], verb, arg string) []sandbox.Part {
	parts := []sandbox.Part{{Kind: "verb", Text: verb}}
	switch {
	case verb == "AUTH":
		mech, initial, _ := strings.Cut(strings.TrimSpace(arg), " ")
		if mech != "" {
			parts = append(parts, sandbox.Part{Kind: "keyword", Text: mech})
		}
		if initial = strings.TrimSpace(initial); initial != "" {
			parts = append(parts, sandbox.Part{Kind: sandbox.PartSecret, Text: initial})
		}
		return parts
	case v != nil && v.Rest:
		if arg != "" {
			parts = append(parts, sandbox.Part{Kind: "text", Text: arg})
		}
		return parts
	}
	for _, a := range fields(arg) {
		kind := "text"
		if sandbox.IsNumber(a) {
			kind = "number"
		}
		parts = append(parts, sandbox.Part{Kind: kind, Text: a})
	}
	return parts
}

// refused answers a verb the sandbox knows but does not offer.
func refused(key string) func(*Session, string, string) *sandbox.Reply {
	return func(_ *Session, verb, _ string) *sandbox.Reply { return fail(key, "verb", verb) }
}

// Verbs of the neighbouring protocols, which students type here by mistake.
var (
	smtpVerbs = []string{"EHLO", "MAIL", "RCPT", "DATA", "VRFY", "EXPN", "HELP"}
	pop2Verbs = []string{"FOLD", "READ", "ACKS", "ACKD", "NACK"}
)

// unknown answers a line whose verb is not POP3, saying as precisely as it
// can what went wrong.
func unknown(verb, line string) *sandbox.Reply {
	switch {
	case strings.TrimSpace(line) == "":
		return fail("unknown.empty")
	case sandbox.HasControl(line):
		return fail("unknown.control")
	case verb == "HELO":
		return fail("unknown.helo")
	case slices.Contains(smtpVerbs, verb):
		return fail("unknown.smtp", "verb", verb)
	case slices.Contains(pop2Verbs, verb):
		return fail("unknown.pop2", "verb", verb)
	}
	if near := verbs.Nearest(verb); near != "" {
		return fail("unknown.typo", "verb", echo(verb), "near", near)
	}
	return fail("unknown", "verb", echo(verb))
}

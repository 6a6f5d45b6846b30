package pop3

import (
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// States a command is valid in, as bits.
const (
	inAuthorization = 1 << iota
	inTransaction
	anyState = inAuthorization | inTransaction
)

// command is one verb the engine knows.
type command struct {
	states int
	rest   bool // the argument is the rest of the line, spaces included (PASS)
	run    func(s *Session, verb, arg string) *sandbox.Reply
}

// commands maps each verb to its command. RFC 1939 §9 lists the first ones;
// CAPA comes from RFC 2449 and LAST from RFC 1081.
var commands map[string]command

func init() {
	commands = map[string]command{
		"USER": {states: inAuthorization, run: (*Session).cmdUser},
		"PASS": {states: inAuthorization, rest: true, run: (*Session).cmdPass},
		"APOP": {states: inAuthorization, run: (*Session).cmdApop},
		"STAT": {states: inTransaction, run: (*Session).cmdStat},
		"LIST": {states: inTransaction, run: (*Session).cmdList},
		"RETR": {states: inTransaction, run: (*Session).cmdRetr},
		"DELE": {states: inTransaction, run: (*Session).cmdDele},
		"NOOP": {states: inTransaction, run: (*Session).cmdNoop},
		"RSET": {states: inTransaction, run: (*Session).cmdRset},
		"TOP":  {states: inTransaction, run: (*Session).cmdTop},
		"UIDL": {states: inTransaction, run: (*Session).cmdUidl},
		"LAST": {states: inTransaction, run: (*Session).cmdLast},
		"CAPA": {states: anyState, run: (*Session).cmdCapa},
		"QUIT": {states: anyState, run: (*Session).cmdQuit},
		// Real POP3 verbs this sandbox does not offer, each with its reason.
		"AUTH": {states: anyState, rest: true, run: refused("unimplemented.auth")},
		"STLS": {states: anyState, rest: true, run: refused("unimplemented.stls")},
		"RPOP": {states: anyState, rest: true, run: refused("retired.rpop")},
	}
}

// splitCommand cuts a line into its verb (upper case: keywords are
// case-insensitive, RFC 1939 §3) and the rest.
func splitCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), arg
}

// fields splits arguments. RFC 1939 separates them by one space; like most
// servers, this one also takes several.
func fields(arg string) []string { return strings.Fields(arg) }

// checkArgs enforces RFC 1939 §3: an argument is at most 40 characters.
func checkArgs(c command, arg string) *sandbox.Reply {
	args := fields(arg)
	if c.rest {
		args = []string{arg}
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

// commandParts splits a command into labelled pieces, for syntax hints.
func commandParts(verb, arg string, rest bool) []sandbox.Part {
	parts := []sandbox.Part{{Kind: "verb", Text: verb}}
	if rest {
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
	case contains(smtpVerbs, verb):
		return fail("unknown.smtp", "verb", verb)
	case contains(pop2Verbs, verb):
		return fail("unknown.pop2", "verb", verb)
	}
	if near := nearestVerb(verb); near != "" {
		return fail("unknown.typo", "verb", echo(verb), "near", near)
	}
	return fail("unknown", "verb", echo(verb))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// typoTargets are the verbs a typo may be suggested for, in order of preference.
var typoTargets = []string{
	"USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT", "TOP", "UIDL", "CAPA", "LAST",
}

// nearestVerb suggests a POP3 verb one typo away from v, if there is one.
func nearestVerb(v string) string {
	for _, known := range typoTargets {
		if len(v) >= 3 && sandbox.OneEditApart(v, known) {
			return known
		}
	}
	return ""
}

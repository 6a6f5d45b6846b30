package lessons

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// vocabulary lists each condition and the keys it accepts.
var vocabulary = map[string][]string{
	"session":  {"proto", "host"},
	"command":  {"verb", "proto", "count", "route"},
	"reply":    {"verb", "code", "proto", "count", "scope", "route", "tls", "auth", "mech", "because", "host", "user"},
	"envelope": {"rcpts"},
	"message": {"rcpts", "listed", "hidden", "undelivered", "cc", "blind", "self", "bcc", "rcpt", "sender",
		"warning", "without", "subject", "body", "size", "dots", "tls", "auth", "host"},
	"delivery": {"status", "user", "rcpt", "because"},
	"queue":    {"action", "rcpt", "host", "because", "count"},
	"mailbox":  {"user", "count", "subject"},
	"state":    {"proto", "to"},
	"input":    {"data", "prefix"},
	"closed":   {"reason"},
	"quiz":     {"found"},
}

// values says which values a key takes.
var values = map[string]*regexp.Regexp{
	"proto":       regexp.MustCompile(`^(smtp|pop3|pop2)$`),
	"count":       regexp.MustCompile(`^[1-9][0-9]*$`),
	"rcpts":       regexp.MustCompile(`^[1-9][0-9]*$`),
	"listed":      regexp.MustCompile(`^(0|[1-9][0-9]*)$`), // 0: none
	"hidden":      regexp.MustCompile(`^(0|[1-9][0-9]*)$`),
	"undelivered": regexp.MustCompile(`^(0|[1-9][0-9]*)$`),
	"cc":          regexp.MustCompile(`^(0|[1-9][0-9]*)$`),
	"blind":       regexp.MustCompile(`^(0|[1-9][0-9]*)$`),
	"route":       regexp.MustCompile(`^(yes|no)$`),
	"size":        regexp.MustCompile(`^(yes|no)$`),
	"dots":        regexp.MustCompile(`^(yes|no)$`),
	"sender":      regexp.MustCompile(`^(null|local|foreign)$`),
	"rcpt":        regexp.MustCompile(`^[a-z0-9.-]+(@[a-z0-9.-]+)?$`),
	"found":       regexp.MustCompile(`^[1-9][0-9]*$`),
	"scope":       regexp.MustCompile(`^transaction$`),
	"bcc":         regexp.MustCompile(`^(yes|no)$`),
	"self":        regexp.MustCompile(`^(yes|no)$`),
	"data":        regexp.MustCompile(`^(yes|no)$`),
	"status":      regexp.MustCompile(`^(delivered|bounced|dropped)$`),
	"reason":      regexp.MustCompile(`^(quit|timeout|hangup|shutdown|full)$`),
	"code":        regexp.MustCompile(`^([2-5][0-9][0-9]|[2-5]xx|\+OK|-ERR|[-+#=])$`),
	"verb":        regexp.MustCompile(`^[A-Z]{3,8}(\|[A-Z]{3,8})*$`), // HELO|EHLO: either
	"to":          regexp.MustCompile(`^[A-Z_]+$`),
	"user":        regexp.MustCompile(`^[a-z0-9.-]+(@[a-z0-9.-]+)?$`),                              // bob, or bob@other.test
	"host":        regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)+(\|[a-z0-9-]+(\.[a-z0-9-]+)+)*$`), // a|b: either
	"action":      regexp.MustCompile(`^(queued|deferred|relayed|failed)$`),
	"subject":     regexp.MustCompile(`^\S+$`),
	"body":        regexp.MustCompile(`^(7BIT|8BITMIME)$`),
	"prefix":      regexp.MustCompile(`^\S+$`),
	"warning":     regexp.MustCompile(`^(` + strings.Join(sandbox.WarningKeys, "|") + `)$`),
	"without":     regexp.MustCompile(`^(` + strings.Join(sandbox.WarningKeys, "|") + `)(,(` + strings.Join(sandbox.WarningKeys, "|") + `))*$`),
	"tls":         regexp.MustCompile(`^(yes|no|starttls|implicit)$`),
	"auth":        regexp.MustCompile(`^(yes|no)$`),
	"mech":        regexp.MustCompile(`^[A-Z0-9-]{2,20}$`),
	"because":     regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+(\|[a-z0-9_]+(\.[a-z0-9_]+)+)*$`), // smtp.rcpt.relay.auth|…: any
}

// textKeys are the keys whose values are words of the lesson's language,
// not protocol: each language's file gives its own (subject=Lunch in
// English, subject=Pique-nique in French), and a goal accepts the values of
// every language of its lesson, so a student who switches language halfway
// still ticks what they typed.
var textKeys = []string{"subject"}

// parseCondition reads "kind key=value …"; the error says what is wrong.
func parseCondition(line string) (Condition, string) {
	fields := strings.Fields(line)
	c := Condition{Kind: fields[0], Args: map[string]string{}}
	keys, ok := vocabulary[c.Kind]
	if !ok {
		return c, "unknown goal condition " + strconv.Quote(c.Kind) + " (known: " + strings.Join(sortedKinds(), ", ") + ")"
	}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return c, "goal arguments look like key=value, not " + strconv.Quote(f)
		}
		if !slices.Contains(keys, k) {
			return c, "condition " + c.Kind + " has no key " + strconv.Quote(k) + " (known: " + strings.Join(keys, ", ") + ")"
		}
		if !values[k].MatchString(v) {
			return c, "bad value " + strconv.Quote(v) + " for " + k
		}
		c.Args[k] = v
	}
	return c, ""
}

func sortedKinds() []string {
	kinds := make([]string, 0, len(vocabulary))
	for k := range vocabulary {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// Facts are what a goal is checked against: the events of the student's
// terminal since the lesson started, the world's mailboxes, and the quiz.
type Facts struct {
	Events []sandbox.Event
	World  *sandbox.World
	Found  int // mistakes found in the step's quiz
	Misses int // right lines picked in it
}

// Holds reports whether every condition of g holds.
func (g Goal) Holds(f Facts) bool {
	for _, c := range g {
		if !c.Holds(f) {
			return false
		}
	}
	return true
}

// Holds reports whether the condition holds.
func (c Condition) Holds(f Facts) bool {
	switch c.Kind {
	case "reply":
		return c.replyHolds(f.Events, f.World)
	case "mailbox":
		return c.mailboxHolds(f.World)
	case "quiz":
		return f.Found >= c.num("found") && f.Misses <= MaxQuizMisses
	}
	n := 0
	dots := map[string]bool{} // session → a dot-stuffed line in the text being sent
	conns := newConns()       // what each session's connection is
	for _, ev := range f.Events {
		conns.see(ev)
		if conns.relay[ev.Session] && !c.aboutServers() {
			continue
		}
		if ev.Input != nil {
			switch {
			case !ev.Input.Data:
				delete(dots, ev.Session)
			case strings.HasPrefix(ev.Input.Text, ".."):
				dots[ev.Session] = true
			}
		}
		if c.Kind == "message" {
			if ev.Message != nil && c.messageMatches(ev.Message, f.World, dots[ev.Session], conns.tls[ev.Session], conns.host[ev.Session]) {
				n++
			}
			if ev.Message != nil {
				delete(dots, ev.Session)
			}
			continue
		}
		if c.matches(ev, conns, f.World) {
			n++
		}
	}
	return n >= c.num("count")
}

func (c Condition) num(key string) int {
	if v, ok := c.Args[key]; ok {
		n, _ := strconv.Atoi(v)
		return n
	}
	return 1
}

// counts compares an optional count with n: at least that many, or none
// for 0.
func (c Condition) counts(key string, n int) bool {
	if _, ok := c.Args[key]; !ok {
		return true
	}
	if want := c.num(key); want > 0 {
		return n >= want
	}
	return n == 0
}

// is compares an optional argument with a value.
func (c Condition) is(key, v string) bool {
	want, ok := c.Args[key]
	return !ok || strings.EqualFold(want, v)
}

// aboutServers reports whether the condition looks at what the servers
// did with a message, relay sessions included; the others look at the
// student's own sessions only (a relay session's commands are typed by a
// server, not by the student).
func (c Condition) aboutServers() bool { return c.Kind == "delivery" || c.Kind == "queue" }

// matches reports whether one event satisfies a single-event condition;
// cs is what the sessions are once it is seen, w the world the student
// works in (for user=).
func (c Condition) matches(ev sandbox.Event, cs conns, w *sandbox.World) bool {
	switch c.Kind {
	case "session":
		return ev.Kind == sandbox.EventOpen && c.is("proto", string(ev.Proto)) && c.hostIs(cs.host[ev.Session])
	case "command":
		return ev.Command != nil && ev.Command.Known && c.verbIs(ev.Command.Verb) && c.is("proto", string(ev.Proto)) &&
			c.is("route", yesNo(routed(ev.Command)))
	case "state":
		return ev.State != nil && c.is("to", ev.State.To) && c.is("proto", string(ev.Proto))
	case "closed":
		return ev.Close != nil && c.is("reason", ev.Close.Reason)
	case "input":
		return ev.Input != nil && c.is("data", yesNo(ev.Input.Data)) &&
			strings.HasPrefix(ev.Input.Text, c.Args["prefix"])
	case "envelope":
		return ev.Envelope != nil && len(ev.Envelope.To) >= c.num("rcpts")
	case "delivery":
		d := ev.Delivery
		return d != nil && c.is("status", d.Status) && c.copyOf(d, w) && c.rcptIs(d.Recipient) && c.because(d.Reason)
	case "queue":
		q := ev.Queue
		return q != nil && c.is("action", q.Action) && c.rcptIs(q.Recipient) && c.hostIs(q.Host) && c.because(q.Reason)
	}
	return false
}

// hostIs compares an optional host= argument, one server name or several
// separated by | (any of them), with the server a session talks to.
func (c Condition) hostIs(host string) bool {
	want, ok := c.Args["host"]
	host = strings.TrimSuffix(host, ".")
	return !ok || slices.ContainsFunc(strings.Split(want, "|"), func(w string) bool { return strings.EqualFold(w, host) })
}

// rcptIs compares an optional rcpt= argument with one recipient: a whole
// address, or a local part of any domain.
func (c Condition) rcptIs(rcpt string) bool {
	want, ok := c.Args["rcpt"]
	return !ok || hasRecipient([]string{rcpt}, want)
}

// copyOf compares an optional user= argument with the mailbox a delivery
// went to. A local part (bob) is a mailbox of w, the world the student
// works in; bob@other.test one of another server. A copy's domain is its
// RCPT TO address's: a list's members and an alias's target share it.
func (c Condition) copyOf(d *sandbox.Delivery, w *sandbox.World) bool {
	want, ok := c.Args["user"]
	if !ok {
		return true
	}
	local, domain, _ := strings.Cut(want, "@")
	got := "" // the copy's domain
	if i := strings.LastIndexByte(d.Recipient, '@'); i >= 0 {
		got = d.Recipient[i+1:]
	}
	if w != nil {
		domain = cmp.Or(domain, w.Domain)
		got = cmp.Or(got, w.Domain) // RCPT TO:<postmaster>, without a domain
	}
	return strings.EqualFold(d.Mailbox, local) && (domain == "" || strings.EqualFold(got, domain))
}

// loginIs compares an optional user= argument with who a session logged
// in as; a name of w's own domain may be written with it or without.
func (c Condition) loginIs(login string, w *sandbox.World) bool {
	want, ok := c.Args["user"]
	if !ok {
		return true
	}
	if login == "" {
		return false
	}
	return strings.EqualFold(localName(want, w), localName(login, w))
}

// localName is a user name without w's domain: bob@example.test is bob
// in example.test's world.
func localName(name string, w *sandbox.World) string {
	if w != nil {
		if local, domain, ok := strings.Cut(name, "@"); ok && strings.EqualFold(domain, w.Domain) {
			return local
		}
	}
	return name
}

// maildrop is the world that keeps user's mailbox and the mailbox's name
// there: bob in w, bob@other.test in other.test's server, which w's POP
// services serve too (World.Maildrop); nil when none does.
func maildrop(w *sandbox.World, user string) (*sandbox.World, string) {
	if w == nil {
		return nil, ""
	}
	local, domain, ok := strings.Cut(user, "@")
	if !ok || strings.EqualFold(domain, w.Domain) {
		return w, local
	}
	return w.Maildrop(domain), local
}

// because compares an optional because= argument, the reason key of an
// explanation (smtp.rcpt.relay.auth) or several separated by |, with a
// reply's, a delivery's or a queue event's. A step says with it why the
// reply came when the code alone cannot: a 554 to RCPT is a refused relay
// for a stranger and for a logged-in user alike; a copy delivered to
// alice may be a report (delivery.bounce).
func (c Condition) because(reason string) bool {
	want, ok := c.Args["because"]
	return !ok || slices.Contains(strings.Split(want, "|"), reason)
}

// verbIs compares an optional verb argument, one verb or several separated
// by | (HELO|EHLO: either), with a command's verb.
func (c Condition) verbIs(verb string) bool {
	want, ok := c.Args["verb"]
	return !ok || slices.ContainsFunc(strings.Split(want, "|"), func(w string) bool { return strings.EqualFold(w, verb) })
}

// routed reports whether a command's address carried a source route
// (<@one,@two:joe@three>).
func routed(cmd *sandbox.Command) bool {
	return cmd != nil && slices.ContainsFunc(cmd.Parts, func(p sandbox.Part) bool { return p.Kind == "route" })
}

// messageMatches checks an accepted message; w is the world the student
// writes to (for sender=), dots says a line of its text was dot-stuffed,
// tls how its connection was encrypted and host the server that took it
// (see conns).
func (c Condition) messageMatches(m *sandbox.Accepted, w *sandbox.World, dots bool, tls, host string) bool {
	return len(c.messageMisses(m, w, dots, tls, host)) == 0
}

// conns follows what each session's connection is, event after event:
// which server it talks to (host=), whether one server opened it with
// another (a relay session), encrypted or not, and how (tls=), logged in
// or not (auth=) and as whom (user=), and the verb and AUTH mechanism of
// its last command (for the replies).
type conns struct {
	host  map[string]string // session → the server it talks to
	relay map[string]bool   // session → a relay session, between two servers
	tls   map[string]string // session → "starttls" or "implicit"; absent in clear
	auth  map[string]bool   // session → an AUTH got 235
	login map[string]string // session → who it logged in as (SMTP AUTH, POP3 USER and PASS or APOP, POP2 HELO)
	named map[string]string // session → the user its last POP login command named
	last  map[string]string // session → verb of its last command ("GREETING" at first)
	mech  map[string]string // session → mechanism of its last AUTH
}

func newConns() conns {
	return conns{host: map[string]string{}, relay: map[string]bool{}, tls: map[string]string{}, auth: map[string]bool{},
		login: map[string]string{}, named: map[string]string{}, last: map[string]string{}, mech: map[string]string{}}
}

// see takes the next event. A reply is checked before see takes it: what
// a reply's condition looks at is the connection as its command found it,
// so the 235 of AUTH is a reply to a session not logged in yet.
func (cs conns) see(ev sandbox.Event) {
	switch {
	case ev.Kind == sandbox.EventOpen:
		cs.last[ev.Session] = "GREETING"
		for _, m := range []map[string]string{cs.host, cs.tls, cs.mech, cs.login, cs.named} {
			delete(m, ev.Session)
		}
		delete(cs.auth, ev.Session)
		delete(cs.relay, ev.Session)
		if ev.Open == nil {
			break
		}
		cs.host[ev.Session] = strings.TrimSuffix(ev.Open.Host, ".")
		cs.relay[ev.Session] = ev.Open.Transport == sandbox.TransportRelay
		if ev.Open.TLS != nil {
			cs.tls[ev.Session] = "implicit"
		}
	case ev.Command != nil:
		cs.last[ev.Session] = ev.Command.Verb
		if !ev.Command.Known {
			cs.last[ev.Session] = "?" + ev.Command.Verb
		}
		if ev.Command.Verb == "AUTH" {
			mech, _, _ := strings.Cut(strings.TrimSpace(ev.Command.Arg), " ")
			cs.mech[ev.Session] = strings.ToUpper(mech)
		}
		if names, _ := popLogin(ev.Proto, ev.Command.Verb); names {
			name, _, _ := strings.Cut(strings.TrimSpace(ev.Command.Arg), " ")
			cs.named[ev.Session] = name
		}
	case ev.Reply != nil:
		if cs.last[ev.Session] == "AUTH" && ev.Reply.Code == 235 {
			cs.auth[ev.Session] = true
		}
		if _, logsIn := popLogin(ev.Proto, cs.last[ev.Session]); logsIn && ev.Reply.Positive() {
			cs.login[ev.Session] = cs.named[ev.Session]
		}
	case ev.Envelope != nil && ev.Envelope.Auth != "":
		cs.login[ev.Session] = ev.Envelope.Auth
	case ev.TLS != nil:
		cs.tls[ev.Session] = "starttls"
	}
}

// popLogin says what a POP command does to a login: whether it names the
// user (POP3 USER and APOP, POP2 HELO), and whether its positive reply
// logs the session in (POP3 PASS and APOP, POP2 HELO).
func popLogin(p sandbox.Proto, verb string) (names, logsIn bool) {
	switch {
	case p == sandbox.POP3 && verb == "USER":
		return true, false
	case p == sandbox.POP3 && verb == "PASS":
		return false, true
	case p == sandbox.POP3 && verb == "APOP", p == sandbox.POP2 && verb == "HELO":
		return true, true
	}
	return false, false
}

// tlsIs compares an optional tls= with how a connection is encrypted: yes
// (either way), no (in clear), starttls or implicit.
func (c Condition) tlsIs(tls string) bool {
	switch want := c.Args["tls"]; want {
	case "":
		return true
	case "yes":
		return tls != ""
	case "no":
		return tls == ""
	default:
		return tls == want
	}
}

// connIs checks the connection keys of a reply condition (tls, auth,
// mech, host, user) against the session of ev, as its command found it;
// w is the world the student works in.
func (c Condition) connIs(cs conns, session string, w *sandbox.World) bool {
	return c.tlsIs(cs.tls[session]) && c.is("auth", yesNo(cs.auth[session])) &&
		(c.Args["mech"] == "" || cs.last[session] == "AUTH" && c.is("mech", cs.mech[session])) &&
		c.hostIs(cs.host[session]) && c.loginIs(cs.login[session], w)
}

// senderKind says whose MAIL FROM a message had: null (<>), local (an
// address of the world's domain) or foreign.
func senderKind(from *string, w *sandbox.World) string {
	switch {
	case from == nil || *from == "":
		return "null"
	case w != nil && strings.EqualFold((*from)[strings.LastIndexByte(*from, '@')+1:], w.Domain):
		return "local"
	}
	return "foreign"
}

// hasRecipient looks for want among envelope recipients: a whole address,
// or a local part (team) for an address of any domain.
func hasRecipient(rcpts []string, want string) bool {
	for _, r := range rcpts {
		local := r
		if i := strings.LastIndexByte(r, '@'); i >= 0 && !strings.Contains(want, "@") {
			local = r[:i]
		}
		if strings.EqualFold(local, want) {
			return true
		}
	}
	return false
}

// replyHolds counts replies to the verb with the code, in the whole history
// or, with scope=transaction, within one mail transaction; w is the world
// the student works in. Only the student's own sessions count.
func (c Condition) replyHolds(evs []sandbox.Event, w *sandbox.World) bool {
	cs := newConns()
	route := map[string]bool{} // session → its last command had a source route
	perTx := map[string]int{}  // session → matching replies in the open transaction
	total, best := 0, 0
	for _, ev := range evs {
		switch {
		case cs.relay[ev.Session] && ev.Kind != sandbox.EventOpen:
			// A relay session: the servers' conversation, not the student's.
		case ev.Kind == sandbox.EventOpen:
			perTx[ev.Session] = 0
		case ev.Command != nil:
			route[ev.Session] = routed(ev.Command)
		case ev.Reply != nil:
			verb := cs.last[ev.Session]
			if startsTransaction(verb, ev.Reply) {
				perTx[ev.Session] = 0
			}
			if c.verbIs(verb) && c.is("proto", string(ev.Proto)) && c.is("route", yesNo(route[ev.Session])) &&
				codeMatches(c.Args["code"], ev.Reply) && c.because(ev.Reply.Reason) && c.connIs(cs, ev.Session, w) {
				total++
				perTx[ev.Session]++
				best = max(best, perTx[ev.Session])
			}
		}
		cs.see(ev)
	}
	if c.Args["scope"] == "transaction" {
		return best >= c.num("count")
	}
	return total >= c.num("count")
}

// startsTransaction: a new transaction begins when MAIL is accepted, or a
// reset (RSET, HELO, EHLO) discards the old one.
func startsTransaction(verb string, r *sandbox.Reply) bool {
	switch verb {
	case "MAIL", "RSET", "HELO", "EHLO":
		return r.Positive()
	}
	return false
}

// codeMatches compares a reply with "250", "2xx", "+OK", "-ERR" or a POP2 sign.
func codeMatches(want string, r *sandbox.Reply) bool {
	switch {
	case want == "":
		return true
	case r.Code != 0 && strings.HasSuffix(want, "xx"):
		return strconv.Itoa(r.Code)[0] == want[0]
	case r.Code != 0:
		return strconv.Itoa(r.Code) == want
	}
	return r.Status == want
}

func (c Condition) mailboxHolds(w *sandbox.World) bool {
	drop, user := maildrop(w, c.Args["user"])
	if drop == nil {
		return false
	}
	n := 0
	for _, m := range drop.Store.Messages(user) {
		if c.subjectIn(m.Subject) {
			n++
		}
	}
	return n >= c.num("count")
}

// subjectIn reports whether a subject holds the condition's subject=, or
// the one another language of the lesson gives (Alts); true without one.
func (c Condition) subjectIn(subject string) bool {
	want, ok := c.Args["subject"]
	if !ok {
		return true
	}
	return subjectMatches(want, subject) ||
		slices.ContainsFunc(c.Alts["subject"], func(alt string) bool { return subjectMatches(alt, subject) })
}

// subjectMatches looks for want (with _ for spaces) in a subject, ignoring case.
func subjectMatches(want, subject string) bool {
	want = strings.ReplaceAll(want, "_", " ")
	return strings.Contains(strings.ToLower(subject), strings.ToLower(want))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

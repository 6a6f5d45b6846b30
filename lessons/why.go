package lessons

import (
	"slices"
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// MaxWhy bounds the reasons Why gives at once: the first few things to
// fix, not a list that hides them.
const MaxWhy = 3

// Why is one reason the current step has not ticked, about what the
// student did that comes closest to its goal: a key of the page's texts
// ("why.…" in web/i18n) and the values of its placeholders. When Plural is
// set the text has a .one and a .other form, chosen by N, which is also
// its {n}.
type Why struct {
	Key    string
	Args   map[string]string
	N      int
	Plural bool
	// Warning, for why.message.without: the warning the message still
	// has, which the page tells in the words of the catalog.
	Warning *sandbox.Warning
}

// whyKeys lists every key Why can give, true for those with plural forms.
var whyKeys = map[string]bool{
	"why.done": false, "why.session": false, "why.session.any": false, "why.host": false,
	"why.command": false, "why.command.route": false, "why.command.count": true,
	"why.reply.greeting": false, "why.reply.any": false, "why.reply.code": false,
	"why.reply.count": true, "why.reply.transaction": true,
	"why.reply.tls.yes": false, "why.reply.tls.no": false, "why.reply.tls.starttls": false, "why.reply.tls.implicit": false,
	"why.reply.auth.yes": false, "why.reply.auth.no": false, "why.reply.mech": false, "why.reply.because": false, "why.reply.user": false,
	"why.message.tls.yes": false, "why.message.tls.no": false, "why.message.tls.starttls": false, "why.message.tls.implicit": false,
	"why.message.auth.yes": false, "why.message.auth.no": false,
	"why.envelope":     true,
	"why.message.none": false, "why.message.rcpts": true, "why.message.rcpt": false,
	"why.message.listed": true, "why.message.listed.none": false,
	"why.message.hidden": true, "why.message.hidden.none": false,
	"why.message.undelivered": true, "why.message.undelivered.none": false,
	"why.message.cc": true, "why.message.cc.none": false,
	"why.message.blind": true, "why.message.blind.none": false,
	"why.message.self.yes": false, "why.message.self.no": false,
	"why.message.bcc.yes": false, "why.message.bcc.no": false,
	"why.message.body": false, "why.message.size.yes": false, "why.message.size.no": false,
	"why.message.dots.yes": false, "why.message.dots.no": false,
	"why.message.sender.null": false, "why.message.sender.local": false, "why.message.sender.foreign": false,
	"why.message.subject": false, "why.message.subject.none": false,
	"why.message.warning": false, "why.message.without": false,
	"why.delivery.delivered": false, "why.delivery.bounced": false, "why.delivery.dropped": false,
	"why.queue.queued": false, "why.queue.deferred": false, "why.queue.relayed": false, "why.queue.failed": false,
	"why.mailbox": true, "why.mailbox.subject": true,
	"why.state": false, "why.state.UPDATE": false, "why.state.NEXT": false, "why.state.MBOX": false, "why.state.IN_DATA": false,
	"why.input": false, "why.input.data": false,
	"why.closed": false, "why.closed.quit": false,
	"why.quiz": true, "why.quiz.locked": false,
}

// WhyKeys lists the keys Why can give: key → whether it has plural forms.
func WhyKeys() map[string]bool {
	out := make(map[string]bool, len(whyKeys))
	for k, v := range whyKeys {
		out[k] = v
	}
	return out
}

// Why explains why the current step has not ticked yet: for each
// condition of its goal that does not hold, what the student did that
// comes closest, at most MaxWhy reasons. It returns the step's id, "" once
// every step is done.
func (c *Checker) Why() (string, []Why) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == len(c.lesson.Steps) {
		return "", []Why{{Key: "why.done"}}
	}
	s := c.lesson.Steps[c.done]
	f := c.facts(s)
	var out []Why
	for _, cond := range s.Goal {
		if !cond.Holds(f) {
			out = append(out, cond.why(f)...)
		}
	}
	return s.ID, out[:min(len(out), MaxWhy)]
}

// why tells what is missing for c to hold.
func (c Condition) why(f Facts) []Why {
	switch c.Kind {
	case "session":
		if _, ok := c.Args["host"]; ok && c.without("host").Holds(f) {
			return []Why{c.hostWhy()}
		}
		if p := c.Args["proto"]; p != "" {
			return []Why{{Key: "why.session", Args: sandbox.Args("proto", strings.ToUpper(p))}}
		}
		return []Why{{Key: "why.session.any"}}
	case "command":
		return []Why{c.commandWhy(f.Events)}
	case "reply":
		return []Why{c.replyWhy(f)}
	case "envelope":
		most := 0
		for _, ev := range f.Events {
			if ev.Envelope != nil {
				most = max(most, len(ev.Envelope.To))
			}
		}
		return []Why{plural("why.envelope", most, "want", c.Args["rcpts"])}
	case "message":
		return c.messageWhy(f)
	case "delivery":
		status := c.Args["status"]
		if status == "" {
			status = sandbox.Delivered
		}
		who := c.Args["user"]
		if who == "" {
			who = c.Args["rcpt"]
		}
		return []Why{{Key: "why.delivery." + status, Args: sandbox.Args("user", who)}}
	case "queue":
		action := c.Args["action"]
		if action == "" {
			action = sandbox.QueueQueued
		}
		return []Why{{Key: "why.queue." + action, Args: sandbox.Args("rcpt", c.Args["rcpt"], "host", hosts(c))}}
	case "mailbox":
		n := 0
		if drop, user := maildrop(f.World, c.Args["user"]); drop != nil {
			for _, m := range drop.Store.Messages(user) {
				if c.subjectIn(m.Subject) {
					n++
				}
			}
		}
		if s := c.Args["subject"]; s != "" {
			return []Why{plural("why.mailbox.subject", n, "user", c.Args["user"], "want", strconv.Itoa(c.num("count")), "subject", shownSubject(s))}
		}
		return []Why{plural("why.mailbox", n, "user", c.Args["user"], "want", strconv.Itoa(c.num("count")))}
	case "state":
		if key := "why.state." + c.Args["to"]; hasWhy(key) {
			return []Why{{Key: key}}
		}
		return []Why{{Key: "why.state"}}
	case "input":
		key := "why.input"
		if c.Args["data"] == "yes" {
			key = "why.input.data"
		}
		return []Why{{Key: key, Args: sandbox.Args("prefix", c.Args["prefix"])}}
	case "closed":
		if key := "why.closed." + c.Args["reason"]; hasWhy(key) {
			return []Why{{Key: key}}
		}
		return []Why{{Key: "why.closed"}}
	case "quiz":
		if f.Misses > MaxQuizMisses {
			return []Why{{Key: "why.quiz.locked", Args: sandbox.Args("max", strconv.Itoa(MaxQuizMisses))}}
		}
		return []Why{plural("why.quiz", f.Found, "want", strconv.Itoa(c.num("found")))}
	}
	return nil
}

func hasWhy(key string) bool { _, ok := whyKeys[key]; return ok }

func plural(key string, n int, kv ...string) Why {
	return Why{Key: key, Args: sandbox.Args(kv...), N: n, Plural: true}
}

// verbs is how a verb argument reads in a sentence: HELO|EHLO as HELO / EHLO.
func verbs(c Condition) string { return strings.ReplaceAll(c.Args["verb"], "|", " / ") }

// hosts is how a host argument reads in a sentence, as verbs.
func hosts(c Condition) string { return strings.ReplaceAll(c.Args["host"], "|", " / ") }

// hostWhy: what the step asks happened, but with another server.
func (c Condition) hostWhy() Why { return Why{Key: "why.host", Args: sandbox.Args("host", hosts(c))} }

func shownSubject(s string) string { return strings.ReplaceAll(s, "_", " ") }

func (c Condition) commandWhy(evs []sandbox.Event) Why {
	typed, routedToo := 0, false
	cs := newConns()
	for _, ev := range evs {
		cs.see(ev)
		if ev.Command != nil && !cs.relay[ev.Session] && ev.Command.Known && c.verbIs(ev.Command.Verb) && c.is("proto", string(ev.Proto)) {
			typed++
			routedToo = routedToo || routed(ev.Command)
		}
	}
	switch {
	case typed == 0:
		return Why{Key: "why.command", Args: sandbox.Args("verb", verbs(c))}
	case c.Args["route"] == "yes" && !routedToo:
		return Why{Key: "why.command.route", Args: sandbox.Args("verb", verbs(c))}
	}
	return plural("why.command.count", typed, "verb", verbs(c), "want", strconv.Itoa(c.num("count")))
}

// replyWhy compares the replies to the condition's verb with what it wants.
func (c Condition) replyWhy(f Facts) Why {
	evs := f.Events
	last := map[string]string{}
	route := map[string]bool{}
	relay := map[string]bool{}
	answered, routedToo, got := 0, false, ""
	for _, ev := range evs {
		if ev.Kind == sandbox.EventOpen {
			relay[ev.Session] = ev.Open != nil && ev.Open.Transport == sandbox.TransportRelay
		}
		if relay[ev.Session] {
			continue // the servers' own conversation
		}
		switch {
		case ev.Kind == sandbox.EventOpen:
			last[ev.Session] = "GREETING"
		case ev.Command != nil:
			last[ev.Session], route[ev.Session] = ev.Command.Verb, routed(ev.Command)
			if !ev.Command.Known {
				last[ev.Session] = "?" + ev.Command.Verb
			}
		case ev.Reply != nil:
			if !c.verbIs(last[ev.Session]) || !c.is("proto", string(ev.Proto)) {
				continue
			}
			answered++
			routedToo = routedToo || route[ev.Session]
			got = ev.Reply.Status
			if ev.Reply.Code != 0 {
				got = strconv.Itoa(ev.Reply.Code)
			}
		}
	}
	want := c.Args["code"]
	switch {
	case c.Args["verb"] == "":
		return Why{Key: "why.reply.any", Args: sandbox.Args("want", want)}
	case c.Args["verb"] == "GREETING":
		if answered == 0 {
			return Why{Key: "why.session.any"}
		}
		return Why{Key: "why.reply.greeting", Args: sandbox.Args("want", want, "got", got)}
	case answered == 0:
		return Why{Key: "why.command", Args: sandbox.Args("verb", verbs(c))}
	case c.Args["route"] == "yes" && !routedToo:
		return Why{Key: "why.command.route", Args: sandbox.Args("verb", verbs(c))}
	}
	n := c.matching(f)
	if n == 0 {
		if w, ok := c.connWhy(f); ok {
			return w
		}
		return Why{Key: "why.reply.code", Args: sandbox.Args("verb", verbs(c), "want", want, "got", got)}
	}
	if c.Args["scope"] == "transaction" {
		return plural("why.reply.transaction", n, "verb", verbs(c), "want", want, "count", strconv.Itoa(c.num("count")))
	}
	return plural("why.reply.count", n, "verb", verbs(c), "want", want, "count", strconv.Itoa(c.num("count")))
}

// connKeys are the keys of a reply condition about the connection its
// command was sent on, and why the reply came, in the order Why tells them.
var connKeys = []string{"host", "user", "mech", "tls", "auth", "because"}

// connWhy: when the replies the condition wants came, but not on the
// connection it wants (in clear instead of under TLS, before AUTH, with
// another server…), it says which of its connection keys was not met.
func (c Condition) connWhy(f Facts) (Why, bool) {
	if !slices.ContainsFunc(connKeys, func(k string) bool { _, ok := c.Args[k]; return ok }) {
		return Why{}, false
	}
	loose := c.without(append([]string{"count"}, connKeys...)...)
	if !loose.replyHolds(f.Events, f.World) {
		return Why{}, false
	}
	for _, k := range connKeys {
		v, ok := c.Args[k]
		if !ok {
			continue
		}
		probe := loose.without()
		probe.Args[k] = v
		if probe.replyHolds(f.Events, f.World) {
			loose = probe
			continue
		}
		args := sandbox.Args("verb", verbs(c), "want", c.Args["code"])
		switch k {
		case "host":
			return c.hostWhy(), true
		case "user":
			args["user"] = v
			return Why{Key: "why.reply.user", Args: args}, true
		case "mech":
			args["mech"] = v
			return Why{Key: "why.reply.mech", Args: args}, true
		case "because":
			return Why{Key: "why.reply.because", Args: args}, true
		}
		return Why{Key: "why.reply." + k + "." + v, Args: args}, true
	}
	return Why{}, false
}

// without is a copy of c without the keys named.
func (c Condition) without(keys ...string) Condition {
	probe := c
	probe.Args = map[string]string{}
	for k, v := range c.Args {
		if !slices.Contains(keys, k) {
			probe.Args[k] = v
		}
	}
	return probe
}

// matching is how many replies match the condition: in all, or in the best
// transaction with scope=transaction.
func (c Condition) matching(f Facts) int {
	for n := 1; ; n++ {
		probe := c
		probe.Args = map[string]string{}
		for k, v := range c.Args {
			probe.Args[k] = v
		}
		probe.Args["count"] = strconv.Itoa(n)
		if !probe.replyHolds(f.Events, f.World) {
			return n - 1
		}
	}
}

// messageWhy finds the accepted message closest to the condition (the
// fewest things to change, the latest of those) and says what it lacks.
func (c Condition) messageWhy(f Facts) []Why {
	var best []Why
	found := false
	dots := map[string]bool{}
	conns := newConns()
	for _, ev := range f.Events {
		conns.see(ev)
		if conns.relay[ev.Session] {
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
		if ev.Message == nil {
			continue
		}
		misses := c.messageMisses(ev.Message, f.World, dots[ev.Session], conns.tls[ev.Session], conns.host[ev.Session])
		delete(dots, ev.Session)
		if !found || len(misses) <= len(best) {
			best, found = misses, true
		}
	}
	if !found {
		return []Why{{Key: "why.message.none"}}
	}
	return best
}

// messageMisses lists what keeps m from matching the condition; none when
// it matches. w is the world the student writes to (for sender=), dots
// says a line of its text was dot-stuffed, tls how its connection was
// encrypted ("", "starttls" or "implicit"), host the server that took it.
func (c Condition) messageMisses(m *sandbox.Accepted, w *sandbox.World, dots bool, tls, host string) []Why {
	a := m.Analysis
	var listed, hidden, undelivered, cc, blind []string
	for _, v := range a.Verdicts {
		switch v.Verdict {
		case sandbox.DeliveredListed:
			listed = append(listed, v.Address)
			if v.Field == "Cc" {
				cc = append(cc, v.Address)
			}
		case sandbox.DeliveredHidden:
			hidden = append(hidden, v.Address)
			if v.Field == "Bcc" {
				blind = append(blind, v.Address)
			}
		case sandbox.ListedNotDelivered:
			undelivered = append(undelivered, v.Address)
		}
	}
	var self string // the sender's own address among the recipients
	for _, r := range m.Envelope.To {
		if m.Envelope.From != nil && strings.EqualFold(r, *m.Envelope.From) {
			self = r
		}
	}
	warned := func(key string) *sandbox.Warning {
		for i := range a.Warnings {
			if a.Warnings[i].Key == key {
				return &a.Warnings[i]
			}
		}
		return nil
	}
	var out []Why
	if !c.hostIs(host) {
		out = append(out, c.hostWhy())
	}
	if r := c.Args["rcpt"]; r != "" && !hasRecipient(m.Envelope.To, r) {
		out = append(out, Why{Key: "why.message.rcpt", Args: sandbox.Args("rcpt", r)})
	}
	if n := len(m.Envelope.To); n < c.num("rcpts") {
		out = append(out, plural("why.message.rcpts", n, "want", c.Args["rcpts"]))
	}
	for _, k := range []struct {
		key   string
		addrs []string
	}{{"undelivered", undelivered}, {"listed", listed}, {"hidden", hidden}, {"cc", cc}, {"blind", blind}} {
		if c.counts(k.key, len(k.addrs)) {
			continue
		}
		if c.num(k.key) == 0 {
			out = append(out, Why{Key: "why.message." + k.key + ".none", Args: sandbox.Args("addrs", strings.Join(k.addrs, ", "))})
		} else {
			out = append(out, plural("why.message."+k.key, len(k.addrs), "want", c.Args[k.key]))
		}
	}
	if !c.is("self", yesNo(self != "")) {
		from := ""
		if m.Envelope.From != nil {
			from = *m.Envelope.From
		}
		out = append(out, Why{Key: "why.message.self." + c.Args["self"], Args: sandbox.Args("addr", from)})
	}
	if !c.tlsIs(tls) {
		out = append(out, Why{Key: "why.message.tls." + c.Args["tls"]})
	}
	for _, k := range []struct {
		key string
		has bool
	}{{"bcc", len(a.Bcc) > 0}, {"size", m.Envelope.Size > 0}, {"dots", dots}, {"auth", m.Envelope.Auth != ""}} {
		if !c.is(k.key, yesNo(k.has)) {
			out = append(out, Why{Key: "why.message." + k.key + "." + c.Args[k.key]})
		}
	}
	if !c.is("body", m.Envelope.Body) {
		out = append(out, Why{Key: "why.message.body", Args: sandbox.Args("want", c.Args["body"])})
	}
	if got := senderKind(m.Envelope.From, w); !c.is("sender", got) {
		from := "<>"
		if m.Envelope.From != nil && *m.Envelope.From != "" {
			from = "<" + *m.Envelope.From + ">"
		}
		out = append(out, Why{Key: "why.message.sender." + c.Args["sender"], Args: sandbox.Args("got", from)})
	}
	if s := c.Args["subject"]; !c.subjectIn(a.Subject) {
		if a.Subject == "" {
			out = append(out, Why{Key: "why.message.subject.none", Args: sandbox.Args("want", shownSubject(s))})
		} else {
			out = append(out, Why{Key: "why.message.subject", Args: sandbox.Args("want", shownSubject(s), "got", a.Subject)})
		}
	}
	if k := c.Args["warning"]; k != "" && warned(k) == nil {
		out = append(out, Why{Key: "why.message.warning"})
	}
	if keys, ok := c.Args["without"]; ok {
		for _, k := range strings.Split(keys, ",") {
			if w := warned(k); w != nil {
				out = append(out, Why{Key: "why.message.without", Warning: w})
				break
			}
		}
	}
	return out
}

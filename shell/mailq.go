package shell

import (
	"fmt"
	"strings"

	"smtplab/sandbox"
)

// asctime is the layout of C's asctime(3), which Postfix prints a
// message's arrival with: "Fri Jan  2 03:04:05 2026".
const asctime = "Mon Jan _2 15:04:05 2006"

// Columns of Postfix's mailq with short queue ids (showq_compat.c): the
// id and its status mark, the size, the arrival time (asctime cut to 20
// characters, its final space kept), then the sender, one space apart.
const (
	idWidth      = 11
	sizeWidth    = 7
	arrivalWidth = 20
	// rcptIndent is where a recipient starts: under the sender, the three
	// empty columns before it.
	rcptIndent = idWidth + 1 + sizeWidth + 1 + arrivalWidth + 1
	// reasonWidth: a reason, in parentheses, is aligned on the right of
	// this many characters.
	reasonWidth = 76
)

// nullSender is how Postfix shows the null sender <> of a report.
const nullSender = "MAILER-DAEMON"

// mailq lists the outgoing queue of the server as Postfix's mailq
// (postqueue -p) prints it: one block per message, its recipients still
// to deliver under the reason of their last attempt, then the total; and
// explains each reason in the reader's language.
func (sh *Shell) mailq(argv []string) Result {
	for _, a := range argv {
		if !strings.HasPrefix(a, "-") || a == "-" {
			// Postfix's mailq is sendmail -bp: its options are taken and
			// change nothing here, an address is refused.
			return Result{Lines: []Line{fail("shell.mailq.recipient"), note("shell.note.mailq.recipient")}}
		}
	}
	queue := sh.Queue()
	if len(queue) == 0 {
		return Result{Lines: []Line{out("shell.mailq.empty"), note("shell.note.mailq.empty", "host", sh.Host)}}
	}
	lines := []Line{out("shell.mailq.heading")}
	notes := []Line{note("shell.note.mailq", "host", sh.Host)}
	var octets int64
	for i, q := range queue {
		if i > 0 {
			lines = append(lines, raw(""))
		}
		octets += q.Size()
		id := q.ID
		if q.Attempts == 0 {
			// Not tried yet: the queue manager has it in hand (the active
			// queue), which mailq marks with a star.
			id += "*"
			notes = append(notes, note("shell.note.mailq.active", "id", q.ID))
		}
		sender := q.From
		if sender == "" {
			sender = nullSender
		}
		lines = append(lines, raw(fmt.Sprintf("%-*s %*d %-*.*s %s", idWidth, id, sizeWidth, q.Size(),
			arrivalWidth, arrivalWidth, q.Arrived.Format(asctime), sender)))
		// As Postfix: a reason is printed when it differs from the one
		// above, "reason unavailable" when a recipient has none after one
		// that had.
		shown := ""
		for _, rc := range q.Rcpts {
			if why := reason(rc.Last); why != shown {
				shown = why
				if why == "" {
					why = out("shell.mailq.unavailable").Text("")
				}
				lines = append(lines, raw(strings.Repeat(" ", max(reasonWidth-len(why), 0))+"("+why+")"))
				if rc.Last != nil && rc.Last.Reason != "" {
					notes = append(notes, sh.waiting(q, rc))
				}
			}
			lines = append(lines, raw(strings.Repeat(" ", rcptIndent)+rc.Addr))
		}
	}
	total := "shell.mailq.total"
	if len(queue) > 1 {
		total = "shell.mailq.total.many"
	}
	lines = append(lines, raw(""), out(total, "kbytes", fmt.Sprint(octets/1024), "count", itoa(len(queue))))
	return Result{Lines: append(lines, notes...)}
}

// reason is what mailq prints of the last attempt for a recipient, in
// Postfix's words: the reply of the next server and what it answered, or
// why no reply came; "" before the first attempt.
func reason(a *sandbox.Attempt) string {
	switch {
	case a == nil:
		return ""
	case len(a.Reply) == 0:
		return a.Text
	case a.Stage == "greeting":
		return out("shell.mailq.refused_talk", "host", a.Host, "reply", strings.Join(a.Reply, " ")).Text("")
	}
	return out("shell.mailq.said", "host", a.Host, "reply", strings.Join(a.Reply, " "), "stage", a.Stage).Text("")
}

// waiting explains why rc of q still waits: the explanation the queue
// gave of its last attempt, with what it says filled in.
func (sh *Shell) waiting(q sandbox.Queued, rc sandbox.QueuedRcpt) Line {
	a := rc.Last
	domain := strings.ToLower(rc.Addr[strings.LastIndexByte(rc.Addr, '@')+1:])
	return note(a.Reason, "id", q.ID, "rcpt", rc.Addr, "domain", domain, "host", a.Host, "hosts", sh.exchangers(domain, a.Host),
		"reply", strings.Join(a.Reply, " "), "stage", a.Stage, "sender", "<"+q.From+">", "attempts", itoa(q.Attempts),
		"next", sandbox.HumanDuration(max(q.NextTry.Sub(sh.now()), 0)))
}

// exchangers names the hosts the DNS gives for domain's mail, best first:
// those a sending server tries in turn. Without a DNS, or with no answer,
// the host of the last attempt.
func (sh *Shell) exchangers(domain, host string) string {
	if sh.DNS == nil || sh.DNS.Resolver == nil {
		return host
	}
	hops, err := sh.DNS.Resolver.NextHops(domain)
	if err != nil || len(hops) == 0 {
		return host
	}
	var names []string
	for _, h := range hops {
		if len(names) == 0 || names[len(names)-1] != h.Host {
			names = append(names, h.Host)
		}
	}
	return strings.Join(names, ", ")
}

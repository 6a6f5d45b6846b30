// Package dsn writes delivery status notifications (RFC 3464): the report
// a server sends back to a message's envelope sender when, after its 250,
// it could not deliver the message to some recipient. It also sends them:
// into the sender's mailbox when a world of the sandbox keeps it, through
// the world's queue otherwise, and never for a message whose sender was
// the null sender <> (RFC 5321 §6.1: a report must not cause another).
package dsn

import (
	"bytes"
	"strings"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// Actions a report gives a recipient (RFC 3464 §2.3.3).
const (
	Failed  = "failed"
	Delayed = "delayed"
)

// Recipient is one recipient a report is about.
type Recipient struct {
	Final    string // the address that failed (Final-Recipient)
	Original string // the RCPT TO address, when it differs (a list's member failed)
	Action   string
	Status   string // RFC 3463 code, e.g. "5.1.1"
	// RemoteMTA is the server that answered, if one did, and Reply its
	// reply's lines (Diagnostic-Code: smtp; …). Without a reply, Why says
	// what happened in words (Diagnostic-Code: X-Smtplab; …).
	RemoteMTA   string
	Reply       []string
	Why         string
	Notice      string // the line about it in the part for people
	LastAttempt time.Time
}

// Report is a delivery status notification for one message.
type Report struct {
	Host       string // the server writing it (Reporting-MTA)
	Original   string // the queue id of the message it reports on
	Sender     string // the envelope sender it goes to; "" is <>, which gets none
	Arrived    time.Time
	Recipients []Recipient
	// Headers is the header section of the message as the server kept it,
	// sent back as text/rfc822-headers (RFC 6522): not the body, which the
	// sender has, and which may be big.
	Headers []byte
}

// Text is the report as a message from id, dated date: multipart/report
// (RFC 6522) with a part for people, the message/delivery-status part
// (RFC 3464 §2) and the original's headers. Lines end with CRLF.
func (r *Report) Text(id string, date time.Time) []byte {
	headers := bytes.TrimRight(r.Headers, "\r\n")
	boundary := id + "/" + r.Host
	for bytes.Contains(headers, []byte(boundary)) {
		boundary += "="
	}
	var notices []string
	for _, rc := range r.Recipients {
		notices = append(notices, rc.Notice)
	}
	text := catalog.Wire("smtp.dsn", sandbox.Args(
		"host", r.Host, "sender", r.Sender, "id", id, "date", date.Format(time.RFC1123Z),
		"subject", catalog.Wire("smtp.dsn.subject", nil), "boundary", boundary,
		"notice", catalog.Wire("smtp.dsn.notice", sandbox.Args(
			"host", r.Host, "original", r.Original, "recipients", strings.Join(notices, "\n\n"))),
		"status", r.status(), "headers", string(headers),
	))
	return crlf(text)
}

// status is the message/delivery-status part: the per-message fields, then
// a group of fields for each recipient, each after an empty line.
func (r *Report) status() string {
	var b strings.Builder
	b.WriteString("Reporting-MTA: dns; " + r.Host + "\n")
	b.WriteString("X-Smtplab-Queue-ID: " + r.Original + "\n")
	b.WriteString("Arrival-Date: " + r.Arrived.Format(time.RFC1123Z) + "\n")
	for _, rc := range r.Recipients {
		b.WriteString("\nFinal-Recipient: rfc822; " + rc.Final + "\n")
		if rc.Original != "" && !strings.EqualFold(rc.Original, rc.Final) {
			b.WriteString("Original-Recipient: rfc822; " + rc.Original + "\n")
		}
		b.WriteString("Action: " + rc.Action + "\n")
		b.WriteString("Status: " + rc.Status + "\n")
		if rc.RemoteMTA != "" {
			b.WriteString("Remote-MTA: dns; " + rc.RemoteMTA + "\n")
		}
		switch {
		case len(rc.Reply) > 0:
			b.WriteString("Diagnostic-Code: smtp; " + strings.Join(rc.Reply, " ") + "\n")
		case rc.Why != "":
			b.WriteString("Diagnostic-Code: X-Smtplab; " + rc.Why + "\n")
		}
		if !rc.LastAttempt.IsZero() {
			b.WriteString("Last-Attempt-Date: " + rc.LastAttempt.Format(time.RFC1123Z) + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// crlf ends every line of a catalog text with CRLF, the last included.
func crlf(s string) []byte {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n") + "\r\n")
}

// Local is a recipient whose copy the server could not store: why is the
// catalog key of the reason ("delivery.mailbox_full"), status its RFC 3463
// code.
func Local(final, rcpt, status, why string, at time.Time) Recipient {
	text := catalog.Wire("smtp."+why, nil)
	return Recipient{
		Final: final, Original: rcpt, Action: Failed, Status: status, Why: text, LastAttempt: at,
		Notice: catalog.Wire("smtp.dsn.rcpt", sandbox.Args("rcpt", rcpt, "what", text)),
	}
}

// Attempted is a recipient the queue gave up on after a, its last attempt;
// expired says the queue's lifetime (given) passed, rather than a server
// refusing it for good.
func Attempted(rcpt string, a sandbox.Attempt, expired bool, lifetime time.Duration) Recipient {
	what := Said(a)
	rc := Recipient{
		Final: rcpt, Action: Failed, Status: a.Status, RemoteMTA: a.Host, Reply: a.Reply, LastAttempt: a.At,
		Notice: catalog.Wire("smtp.dsn.rcpt", sandbox.Args("rcpt", rcpt, "what", what)),
	}
	if len(a.Reply) == 0 {
		rc.Why = a.Text
	}
	if expired {
		// RFC 3463: X.4.7, delivery time expired, a persistent transient
		// failure: the last attempt's own code says what kept it waiting.
		rc.Status = "4.4.7"
		rc.Notice = catalog.Wire("smtp.dsn.rcpt.expired", sandbox.Args(
			"rcpt", rcpt, "lifetime", sandbox.HumanDuration(lifetime), "what", what))
	}
	return rc
}

// Said tells an attempt in words, as a report quotes it: the reply and the
// command it answered, or what happened when no reply came.
func Said(a sandbox.Attempt) string {
	switch {
	case len(a.Reply) == 0:
		return a.Text
	case a.Stage == "greeting":
		return catalog.Wire("smtp.dsn.refused_talk", sandbox.Args("remote", a.Host, "reply", strings.Join(a.Reply, " ")))
	}
	return catalog.Wire("smtp.dsn.said", sandbox.Args("remote", a.Host, "reply", strings.Join(a.Reply, " "), "stage", a.Stage))
}

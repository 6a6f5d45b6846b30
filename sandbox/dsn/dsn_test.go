package dsn

import (
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

var at = sandboxtest.Clock

func report(sender string) *Report {
	return &Report{
		Host: "mail.example.test", Original: "A1", Sender: sender, Arrived: at,
		Headers: []byte("Received: from c.test ([192.0.2.1])\r\n\tby mail.example.test (smtplab) with ESMTP id A1\r\nSubject: s\r\n\r\n"),
		Recipients: []Recipient{
			Local("full@example.test", "team@example.test", "5.2.2", "delivery.mailbox_full", at),
			Attempted("zoe@other.test", sandbox.Attempt{At: at.Add(time.Minute), Host: "mx.other.test", Status: "5.1.1",
				Stage: "RCPT TO", Reply: []string{"550-5.1.1 <zoe@other.test>: no such user", "550 5.1.1 try another"}}, false, 0),
		},
	}
}

// TestText: the parts and fields RFC 3464 and RFC 6522 ask for, in order.
func TestText(t *testing.T) {
	text := string(report("alice@example.test").Text("B2", at))
	for _, want := range []string{
		"From: Mail Delivery System <MAILER-DAEMON@mail.example.test>\r\nTo: <alice@example.test>\r\n",
		"Message-ID: <B2@mail.example.test>\r\n",
		"Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"B2/mail.example.test\"\r\n",
		"\r\n--B2/mail.example.test\r\nContent-Type: text/plain; charset=us-ascii\r\n",
		"Your message A1 was accepted",
		"<team@example.test>: mailbox full (quota exceeded)\r\n\r\n<zoe@other.test>: host mx.other.test said: 550-5.1.1 <zoe@other.test>: no such user 550 5.1.1 try another (in reply to RCPT TO command)\r\n",
		"Content-Type: message/delivery-status\r\nContent-Description: Delivery report\r\n\r\n" +
			"Reporting-MTA: dns; mail.example.test\r\nX-Smtplab-Queue-ID: A1\r\nArrival-Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n" +
			"\r\nFinal-Recipient: rfc822; full@example.test\r\nOriginal-Recipient: rfc822; team@example.test\r\nAction: failed\r\nStatus: 5.2.2\r\n" +
			"Diagnostic-Code: X-Smtplab; mailbox full (quota exceeded)\r\nLast-Attempt-Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n" +
			"\r\nFinal-Recipient: rfc822; zoe@other.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.other.test\r\n" +
			"Diagnostic-Code: smtp; 550-5.1.1 <zoe@other.test>: no such user 550 5.1.1 try another\r\n" +
			"Last-Attempt-Date: Fri, 02 Jan 2026 03:05:05 +0000\r\n\r\n--B2/mail.example.test\r\n",
		"Content-Type: text/rfc822-headers\r\nContent-Description: Undelivered Message Headers\r\n\r\n" +
			"Received: from c.test ([192.0.2.1])\r\n\tby mail.example.test (smtplab) with ESMTP id A1\r\nSubject: s\r\n\r\n--B2/mail.example.test--\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks\n%q\nin\n%s", want, text)
		}
	}
	if strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") || strings.Contains(text, "{") {
		t.Errorf("bare LF or unfilled placeholder in\n%q", text)
	}
}

// TestBoundaryNotInHeaders: a boundary the returned headers contain would
// cut the report short; another is chosen.
func TestBoundaryNotInHeaders(t *testing.T) {
	r := report("alice@example.test")
	r.Headers = []byte("X-Trap: --B2/mail.example.test\r\n\r\n")
	if text := string(r.Text("B2", at)); !strings.Contains(text, `boundary="B2/mail.example.test="`) {
		t.Errorf("boundary kept although the headers hold it:\n%s", text)
	}
}

// TestExpired: a recipient the queue gave up on says so, with X.4.7 and
// the last attempt's words.
func TestExpired(t *testing.T) {
	rc := Attempted("bob@other.test", sandbox.Attempt{At: at, Status: "4.4.1", Text: "connect to mx.other.test: Connection refused"}, true, 10*time.Minute)
	if rc.Status != "4.4.7" || rc.Why != "connect to mx.other.test: Connection refused" || rc.RemoteMTA != "" ||
		rc.Notice != "<bob@other.test>: delivery time expired: the message waited 10 min in the\nqueue. Last attempt: connect to mx.other.test: Connection refused" {
		t.Errorf("%+v", rc)
	}
	rc = Attempted("bob@other.test", sandbox.Attempt{Host: "mx.other.test", Stage: "greeting", Status: "5.7.1", Reply: []string{"554 5.7.1 go away"}}, false, 0)
	if rc.Notice != "<bob@other.test>: host mx.other.test refused to talk to me: 554 5.7.1 go away" {
		t.Errorf("refused at the banner: %q", rc.Notice)
	}
}

// relay records that a report was queued.
type relay struct{ queued int }

func (r *relay) Queued() { r.queued++ }
func (r *relay) Close()  {}

// TestReturn: where a report goes, by sender.
func TestReturn(t *testing.T) {
	w := sandboxtest.OptionWorld(t, map[string]string{"neighbor": "2nde-b.test"})
	// The null sender gets nothing, ever.
	if res := Return(w, report("")); res.Status != sandbox.Dropped || res.Why != NullSender || res.ID != "" {
		t.Errorf("null sender: %+v", res)
	}
	// A user of the world: into the mailbox, under the world's trace,
	// from <>.
	res := Return(w, report("bob@example.test"))
	if res.Status != sandbox.Bounced || res.Stored == nil || res.Home != w || res.ID != "12A36E8003D4" {
		t.Fatalf("local sender: %+v", res)
	}
	m := w.Store.Messages("bob")[0]
	if *m.Envelope.From != "" || m.From != "MAILER-DAEMON@mail.example.test" || m.Subject != "Undelivered Mail Returned to Sender" ||
		!strings.HasPrefix(string(m.Raw), "Return-Path: <>\r\nReceived: by mail.example.test (smtplab) id 12A36E8003D4\r\n\tfor <bob@example.test>; ") ||
		!strings.HasPrefix(string(m.Raw[m.Trace:]), "From: Mail Delivery System") {
		t.Errorf("the stored report:\n%s", m.Raw)
	}
	// A user of a neighbour world: into that world's mailbox.
	if res := Return(w, report("lea@2nde-b.test")); res.Stored == nil || res.Home != w.Neighbor("2nde-b.test") ||
		len(res.Home.Store.Messages("lea")) != 1 {
		t.Errorf("neighbour sender: %+v", res)
	}
	// No mailbox there: dropped, without an id.
	for _, sender := range []string{"nobody@example.test", "team@example.test", "x@elsewhere.test"} {
		if res := Return(w, report(sender)); res.Status != sandbox.Dropped || res.Why != ForeignSender || res.ID != "" {
			t.Errorf("%s: %+v", sender, res)
		}
	}
	// With a relay, a sender elsewhere gets the report through the queue,
	// from <>.
	rl := &relay{}
	w.SetRelay(rl)
	res = Return(w, report("x@elsewhere.test"))
	q := w.Store.Queue()
	if res.Status != sandbox.Bounced || res.Queued == nil || rl.queued != 1 || len(q) != 1 || q[0].From != "" ||
		q[0].Rcpts[0].Addr != "x@elsewhere.test" || !strings.HasPrefix(string(q[0].Raw), "Received: by mail.example.test (smtplab) id ") {
		t.Errorf("queued report: %+v, queue %+v", res, q)
	}
}

package relay_test

import (
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/pop3"
	"smtplab/sandbox/sandboxtest"
)

var hello = []string{"From: Alice <alice@example.test>", "To: Bob <bob@other.test>", "Subject: hello", "", "Hi Bob!"}

// TestRelayedToOtherServer: alice submits a message for bob@other.test; it
// waits in mail.example.test's queue, goes to mx.other.test in a session
// both worlds can watch, arrives with two Received lines, newest on top,
// and bob reads it over POP3.
func TestRelayedToOtherServer(t *testing.T) {
	n, example, other := standard(t)
	recA, recB := sandboxtest.Record(example), sandboxtest.Record(other)
	out := submit(t, example, "alice", []string{"bob@other.test"}, hello...)
	for _, want := range []string{"250 2.1.5 Recipient <bob@other.test> OK", "250 2.0.0 Ok: queued as 100000000001"} {
		if !strings.Contains(out, want) {
			t.Fatalf("submission lacks %q:\n%s", want, out)
		}
	}
	q := example.Store.Queue()
	if len(q) != 1 || q[0].Rcpts[0].Addr != "bob@other.test" || len(other.Store.Messages("bob")) != 0 {
		t.Fatalf("after the 250: queue %+v, bob has %d messages", q, len(other.Store.Messages("bob")))
	}
	if got := n.clock.pending(); len(got) != 1 || got[0] != 0 {
		t.Errorf("the runner should ask to run at once: timers %v", got)
	}

	n.relays[example].RunDue()
	if len(example.Store.Queue()) != 0 {
		t.Errorf("the queue keeps %d entries after delivery", len(example.Store.Queue()))
	}
	msgs := other.Store.Messages("bob")
	if len(msgs) != 1 {
		t.Fatalf("bob has %d messages", len(msgs))
	}
	raw := string(msgs[0].Raw)
	wantTrace := "Return-Path: <alice@example.test>\r\n" +
		"Received: from mail.example.test ([198.51.100.10])\r\n" +
		"\tby mx.other.test (smtplab) with ESMTPS id 200000000001\r\n" +
		"\tfor <bob@other.test>; Fri, 02 Jan 2026 03:04:05 +0000\r\n" +
		"Received: from laptop.example.test ([192.0.2.7])\r\n" +
		"\tby mail.example.test (smtplab) with ESMTPSA id 100000000001\r\n" +
		"\tfor <bob@other.test>; Fri, 02 Jan 2026 03:04:05 +0000\r\n" +
		"From: Alice <alice@example.test>\r\n"
	if !strings.HasPrefix(raw, wantTrace) {
		t.Errorf("bob's copy:\n%s\nwant it to start with\n%s", raw, wantTrace)
	}

	// The relay session is in other.test's event stream like any session,
	// opened by mail.example.test as a relay.
	var open *sandbox.Open
	var lines []string
	for _, e := range recB.Events() {
		switch {
		case e.Open != nil:
			open = e.Open
		case e.Command != nil:
			lines = append(lines, e.Command.Verb)
		}
	}
	if open == nil || open.Transport != sandbox.TransportRelay || open.Remote != "198.51.100.10" || open.Host != "mx.other.test" {
		t.Fatalf("relay session's open event: %+v", open)
	}
	if got := strings.Join(lines, " "); got != "EHLO STARTTLS EHLO MAIL RCPT DATA QUIT" {
		t.Errorf("relay session's commands: %s", got)
	}
	if got := strings.Join(queueEvents(recA), "; "); got != "queued bob@other.test queue.queued; relayed bob@other.test queue.relayed" {
		t.Errorf("queue events: %s", got)
	}
	for _, e := range recA.Events() {
		if q := e.Queue; q != nil && q.Action == sandbox.QueueRelayed &&
			(q.Host != "mx.other.test" || q.Session != "smtp-1" || q.Reply.Code != 250 || q.Attempts != 1) {
			t.Errorf("relayed event: %+v", q)
		}
	}
	explained(t, recA)

	p := pop3.NewSession(other, sandboxtest.Peer)
	p.Start()
	got := string(sandbox.FeedAll(p, []byte("USER bob\r\nPASS bob\r\nRETR 1\r\nQUIT\r\n")).Bytes())
	if !strings.Contains(got, wantTrace) || !strings.Contains(got, "Hi Bob!\r\n.\r\n") {
		t.Errorf("POP3 RETR:\n%s", got)
	}
}

// TestDeferredThenDelivered: a 4xx keeps the message queued; it is tried
// again after QueueRetry and goes through.
func TestDeferredThenDelivered(t *testing.T) {
	n, example, other := standard(t)
	rec := sandboxtest.Record(example)
	other.SetEntry(sandbox.Entry{Local: "bob", Kind: sandbox.KindBusy}) // 450 4.2.1 for now
	submit(t, example, "alice", []string{"bob@other.test"}, hello...)
	n.relays[example].RunDue()

	q := example.Store.Queue()
	if len(q) != 1 || q[0].Attempts != 1 || !q[0].NextTry.Equal(n.clock.Now().Add(sandbox.DefaultQueueRetry)) {
		t.Fatalf("after a 450: %+v", q)
	}
	last := q[0].Rcpts[0].Last
	if last == nil || last.Status != "4.2.1" || last.Host != "mx.other.test" || last.Stage != "RCPT TO" ||
		!strings.HasPrefix(last.Reply[0], "450 4.2.1 ") || last.Reason != "queue.deferred.reply" {
		t.Fatalf("last attempt: %+v", last)
	}
	if got := n.clock.pending(); len(got) != 1 || got[0] != 30*time.Second {
		t.Errorf("timers after a 450: %v, want one in 30 s", got)
	}
	// Not due yet: nothing happens.
	n.clock.Advance(29 * time.Second)
	n.relays[example].RunDue()
	if q := example.Store.Queue(); q[0].Attempts != 1 {
		t.Fatalf("tried before its time: %+v", q[0])
	}

	other.SetEntry(sandbox.Entry{Local: "bob", Kind: sandbox.KindUser, Password: "bob"})
	n.clock.Advance(time.Second)
	n.relays[example].RunDue()
	if len(example.Store.Queue()) != 0 || len(other.Store.Messages("bob")) != 1 {
		t.Fatalf("after the retry: queue %d, bob %d", len(example.Store.Queue()), len(other.Store.Messages("bob")))
	}
	want := "queued bob@other.test queue.queued; deferred bob@other.test queue.deferred.reply; relayed bob@other.test queue.relayed"
	if got := strings.Join(queueEvents(rec), "; "); got != want {
		t.Errorf("queue events:\n%s\nwant\n%s", got, want)
	}
	for _, e := range rec.Events() {
		if q := e.Queue; q != nil && q.Action == sandbox.QueueDeferred {
			if q.Args["next"] != "30 s" || q.Reply == nil || q.Reply.Enhanced != "4.2.1" || !q.NextTry.Equal(sandboxtest.Clock.Add(30*time.Second)) {
				t.Errorf("deferred event: %+v", q)
			}
		}
	}
	explained(t, rec)
	if got := n.clock.pending(); len(got) != 0 {
		t.Errorf("timers left with an empty queue: %v", got)
	}
}

// TestRetryScheduleAndLifetime: retries back off (30 s, 1 min, then every
// 2 min) until the lifetime passes; then the sender gets one report whose
// Status is 4.4.7 and whose diagnostic is the last reply.
func TestRetryScheduleAndLifetime(t *testing.T) {
	n, example, other := standard(t)
	rec := sandboxtest.Record(example)
	other.SetEntry(sandbox.Entry{Local: "bob", Kind: sandbox.KindBusy})
	submit(t, example, "alice", []string{"bob@other.test"}, hello...)
	var waits []time.Duration
	for range 20 {
		n.relays[example].RunDue()
		p := n.clock.pending()
		if len(p) == 0 {
			break
		}
		waits = append(waits, p[0])
		n.clock.Advance(p[0])
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute}
	if !equalDurations(waits, want) {
		t.Errorf("waits between attempts: %v, want %v", waits, want)
	}
	if len(example.Store.Queue()) != 0 {
		t.Fatal("the message is still queued after its lifetime")
	}
	reports := example.Store.Messages("alice")
	if len(reports) != 1 {
		t.Fatalf("alice got %d reports, want 1", len(reports))
	}
	d := parseReport(t, reports[0].Raw[reports[0].Trace:])
	r := d.recipients[0]
	if r.get("Action") != "failed" || r.get("Status") != "4.4.7" || r.get("Remote-MTA") != "dns; mx.other.test" ||
		!strings.HasPrefix(r.get("Diagnostic-Code"), "smtp; 450 4.2.1 ") || r.get("Final-Recipient") != "rfc822; bob@other.test" {
		t.Errorf("report on bob: %v", r)
	}
	if !strings.Contains(d.notice, "delivery time expired: the message waited 10 min in the\r\nqueue.") {
		t.Errorf("the notice does not say the lifetime passed:\n%s", d.notice)
	}
	events := queueEvents(rec)
	if last := events[len(events)-1]; last != "failed bob@other.test queue.failed.expired" {
		t.Errorf("last queue events: %v", events[len(events)-3:])
	}
	explained(t, rec)
}

// TestLimitsKnob: a lesson sets its own schedule through the world's Limits.
func TestLimitsKnob(t *testing.T) {
	n := newNetwork(t)
	example := n.server("example.test", "mail.example.test", nil,
		sandbox.Limits{QueueRetry: 5 * time.Second, QueueRetryMax: 15 * time.Second, QueueLifetime: time.Minute}, nil)
	n.server("other.test", "mx.other.test", []sandbox.Entry{{Local: "bob", Kind: sandbox.KindBusy}}, sandbox.Limits{}, nil)
	submit(t, example, "alice", []string{"bob@other.test"}, hello...)
	var waits []time.Duration
	for range 30 {
		n.relays[example].RunDue()
		p := n.clock.pending()
		if len(p) == 0 {
			break
		}
		waits = append(waits, p[0])
		n.clock.Advance(p[0])
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second, 15 * time.Second, 15 * time.Second}
	if !equalDurations(waits, want) {
		t.Errorf("waits: %v, want %v", waits, want)
	}
	if len(example.Store.Messages("alice")) != 1 {
		t.Error("no report after the lesson's lifetime")
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPermanentFailure: a 550 from the next server fails that recipient at
// once; the others of the same session are delivered, and the sender gets
// one report (RFC 3464) naming the refused one only.
func TestPermanentFailure(t *testing.T) {
	n, example, other := standard(t)
	rec := sandboxtest.Record(example)
	submit(t, example, "alice", []string{"bob@other.test", "zoe@other.test"}, hello...)
	n.relays[example].RunDue()
	if len(example.Store.Queue()) != 0 || len(other.Store.Messages("bob")) != 1 {
		t.Fatalf("queue %d, bob %d", len(example.Store.Queue()), len(other.Store.Messages("bob")))
	}
	reports := example.Store.Messages("alice")
	if len(reports) != 1 {
		t.Fatalf("alice has %d messages, want one report", len(reports))
	}
	m := reports[0]
	if *m.Envelope.From != "" || m.Envelope.To[0] != "alice@example.test" || !strings.HasPrefix(string(m.Raw), "Return-Path: <>\r\n") {
		t.Errorf("the report's envelope: from <%s> to %v", *m.Envelope.From, m.Envelope.To)
	}
	d := parseReport(t, m.Raw[m.Trace:])
	if len(d.recipients) != 1 {
		t.Fatalf("report on %d recipients, want 1", len(d.recipients))
	}
	r := d.recipients[0]
	want := map[string]string{
		"Final-Recipient": "rfc822; zoe@other.test", "Action": "failed", "Status": "5.1.1",
		"Remote-MTA":      "dns; mx.other.test",
		"Diagnostic-Code": "smtp; 550 5.1.1 <zoe@other.test>: Recipient address rejected: User unknown in local recipient table",
	}
	for k, v := range want {
		if r.get(k) != v {
			t.Errorf("%s: %q, want %q", k, r.get(k), v)
		}
	}
	if d.fields.get("Reporting-MTA") != "dns; mail.example.test" || d.fields.get("Arrival-Date") == "" {
		t.Errorf("per-message fields: %v", d.fields)
	}
	if !strings.Contains(d.notice, "<zoe@other.test>: host mx.other.test said: 550 5.1.1") ||
		!strings.Contains(d.notice, "(in reply to RCPT TO command)") {
		t.Errorf("notice:\n%s", d.notice)
	}
	if !strings.Contains(d.headers, "Subject: hello") || !strings.Contains(d.headers, "by mail.example.test (smtplab) with ESMTPSA") ||
		strings.Contains(d.headers, "Hi Bob!") {
		t.Errorf("returned headers:\n%s", d.headers)
	}
	checkWithPython(t, m.Raw[m.Trace:], "zoe@other.test", "5.1.1")
	want2 := "queued bob@other.test queue.queued; queued zoe@other.test queue.queued; " +
		"relayed bob@other.test queue.relayed; failed zoe@other.test queue.failed.reply"
	if got := strings.Join(queueEvents(rec), "; "); got != want2 {
		t.Errorf("queue events:\n%s\nwant\n%s", got, want2)
	}
	explained(t, rec)
}

// TestNoReportForNullSender: a message from <> that fails gets no report
// (RFC 5321 §6.1); the failure is told as a dropped delivery.
func TestNoReportForNullSender(t *testing.T) {
	n, example, _ := standard(t)
	rec := sandboxtest.Record(example)
	// Another server of the sandbox hands over a report for someone of
	// other.test, who does not exist: the relay is allowed for it.
	s := newRelaySession(example)
	out := feed(s, "EHLO mx.third.test", "MAIL FROM:<>", "RCPT TO:<zoe@other.test>", "DATA",
		"Subject: Undelivered Mail Returned to Sender", "", "report", ".", "QUIT")
	if !strings.Contains(out, "250 2.1.5 Recipient <zoe@other.test> OK") || !strings.Contains(out, "250 2.0.0 Ok") {
		t.Fatalf("the relay session:\n%s", out)
	}
	before := countStored(example)
	n.runAll()
	if len(example.Store.Queue()) != 0 || countStored(example) != before {
		t.Errorf("queue %d, stored %d→%d: a report went somewhere", len(example.Store.Queue()), before, countStored(example))
	}
	dropped := false
	for _, e := range rec.Events() {
		if d := e.Delivery; d != nil && d.Recipient == "zoe@other.test" {
			dropped = d.Status == sandbox.Dropped && d.Args["why"] == "null_sender"
		}
	}
	if !dropped {
		t.Error("no dropped delivery for the null sender's message")
	}
	explained(t, rec)
}

func countStored(w *sandbox.World) int {
	n, _ := w.Store.Usage()
	return n
}

// TestRelayNamesWhatItCarries: the relay session's open event says which
// server opened it and which message of its queue it carries, and a
// report, stored or queued, names the message it reports on: what lets a
// page follow a message it submitted from server to server, and back.
func TestRelayNamesWhatItCarries(t *testing.T) {
	n, example, other := standard(t)
	recA, recB := sandboxtest.Record(example), sandboxtest.Record(other)
	submit(t, example, "alice", []string{"bob@other.test", "zoe@other.test"}, hello...)
	q := example.Store.Queue()
	if len(q) != 1 {
		t.Fatalf("queue %+v", q)
	}
	id := q[0].ID
	n.relays[example].RunDue()
	var via *sandbox.Via
	for _, e := range recB.Events() {
		if e.Open != nil {
			via = e.Open.Via
		}
	}
	if via == nil || *via != (sandbox.Via{Host: "mail.example.test", Queue: id}) {
		t.Errorf("the relay session's open event names %+v, want mail.example.test and %s", via, id)
	}
	var report *sandbox.Delivery
	for _, e := range recA.Events() {
		if d := e.Delivery; d != nil && d.Reason == "delivery.bounce" {
			report = d
		}
		if d := e.Delivery; d != nil && d.Reason != "delivery.bounce" && d.Original != "" {
			t.Errorf("a delivery that is no report names an original: %+v", d)
		}
	}
	if report == nil || report.Original != id || report.MessageID == id || report.Recipient != "alice@example.test" {
		t.Errorf("the report's delivery: %+v, want one naming %s", report, id)
	}

	// A report for a sender of another server waits in the queue, and
	// names the message it is about too.
	s := newRelaySession(example)
	feed(s, "EHLO mx.other.test", "MAIL FROM:<dan@other.test>", "RCPT TO:<someone@nowhere.test>", "DATA",
		"Subject: lost", "", "text", ".", "QUIT")
	lost := example.Store.Queue()
	if len(lost) != 1 {
		t.Fatalf("queue %+v", lost)
	}
	n.relays[example].RunDue()
	var queued *sandbox.QueueEvent
	for _, e := range recA.Events() {
		if qe := e.Queue; qe != nil && qe.Reason == "queue.queued.report" {
			queued = qe
		}
	}
	if queued == nil || queued.Original != lost[0].ID || queued.ID == lost[0].ID || queued.Recipient != "dan@other.test" {
		t.Errorf("the queued report: %+v, want one naming %s", queued, lost[0].ID)
	}
}

package smtp

import (
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// converse runs lines through a new session of w and returns its output.
func converse(t *testing.T, w *sandbox.World, lines ...string) string {
	t.Helper()
	s := NewSession(w, sandboxtest.Peer)
	out := string(s.Start().Bytes())
	out += string(sandbox.FeedAll(s, []byte(strings.Join(lines, "\r\n")+"\r\n")).Bytes())
	return out
}

func TestDeliveredCopy(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	out := converse(t, w,
		"EHLO client.example.test",
		"MAIL FROM:<alice@example.test>",
		"RCPT TO:<bob@example.test>",
		"RCPT TO:<carol@example.test>",
		"DATA",
		"From: Alice <alice@example.test>",
		"To: bob@example.test",
		"Bcc: carol@example.test,",
		"  dan@example.test",
		"Subject: hi",
		"",
		"..one dot",
		"..",
		"last",
		".",
	)
	if !strings.Contains(out, "250 2.0.0 Ok: queued as 12A36E8003D4") {
		t.Fatalf("message not accepted:\n%s", out)
	}
	for _, box := range []string{"bob", "carol"} {
		msgs := w.Store.Messages(box)
		if len(msgs) != 1 {
			t.Fatalf("%s has %d messages", box, len(msgs))
		}
		m := msgs[0]
		want := "Return-Path: <alice@example.test>\r\n" +
			"Received: from client.example.test ([192.0.2.1])\r\n" +
			"\tby mail.example.test (smtplab) with ESMTP id 12A36E8003D4\r\n" +
			"\tfor <" + box + "@example.test>; Fri, 02 Jan 2026 03:04:05 +0000\r\n" +
			"From: Alice <alice@example.test>\r\n" +
			"To: bob@example.test\r\n" +
			"Subject: hi\r\n" +
			"\r\n" +
			".one dot\r\n" +
			".\r\n" +
			"last\r\n"
		if string(m.Raw) != want {
			t.Errorf("%s's copy:\n%q\nwant\n%q", box, m.Raw, want)
		}
		if m.Bcc != "Bcc: carol@example.test,\r\n  dan@example.test" {
			t.Errorf("removed Bcc = %q", m.Bcc)
		}
		if m.Trace != strings.Index(string(m.Raw), "From:") || m.Subject != "hi" || m.Size() != len(want) {
			t.Errorf("trace=%d subject=%q size=%d", m.Trace, m.Subject, m.Size())
		}
	}
}

func TestEventsOfATransaction(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	converse(t, w,
		"HELO c.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>",
		"DATA", "Subject: x", "", "y", ".", "QUIT")
	var kinds []string
	for _, e := range rec.Events() {
		k := string(e.Kind)
		switch {
		case e.Reply != nil:
			k += ":" + e.Reply.Reason
		case e.State != nil:
			k += ":" + e.State.To
		case e.Command != nil:
			k += ":" + e.Command.Verb
		}
		kinds = append(kinds, k)
	}
	want := []string{
		"open", "state:GREETED", "reply:smtp.greeting",
		"input", "command:HELO", "state:READY", "reply:smtp.helo.ok",
		"input", "command:MAIL", "state:HAVE_FROM", "envelope", "reply:smtp.mail.ok",
		"input", "command:RCPT", "state:HAVE_RCPT", "envelope", "reply:smtp.rcpt.ok",
		"input", "command:DATA", "state:IN_DATA", "reply:smtp.data.go",
		"input", "input", "input", "input",
		"message", "reply:smtp.data.ok", "delivery", "state:READY", "envelope",
		"input", "command:QUIT", "reply:smtp.quit", "state:CLOSED", "close",
	}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Errorf("events:\n%s\nwant\n%s", strings.Join(kinds, " "), strings.Join(want, " "))
	}
	for i, e := range rec.Events() {
		if e.Seq != uint64(i+1) || e.Session != "smtp-1" || e.Proto != sandbox.SMTP {
			t.Fatalf("event %d: seq=%d session=%q proto=%q", i, e.Seq, e.Session, e.Proto)
		}
	}
}

func TestAnalysisInMessageEvent(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	converse(t, w,
		"EHLO c.test", "MAIL FROM:<alice@example.test>",
		"RCPT TO:<bob@example.test>", "RCPT TO:<carol@example.test>",
		"DATA", "From: alice@example.test", "To: bob@example.test", "Cc: dan@example.test", "Subject: s", "", "b", ".")
	var acc *sandbox.Accepted
	var deliveries []string
	for _, e := range rec.Events() {
		if e.Message != nil {
			acc = e.Message
		}
		if e.Delivery != nil {
			deliveries = append(deliveries, e.Delivery.Recipient+"→"+e.Delivery.Mailbox+":"+e.Delivery.Status)
		}
	}
	if acc == nil {
		t.Fatal("no message event")
	}
	got := map[string]string{}
	for _, v := range acc.Analysis.Verdicts {
		got[v.Address] = v.Verdict
	}
	want := map[string]string{
		"bob@example.test":   sandbox.DeliveredListed,
		"carol@example.test": sandbox.DeliveredHidden,
		"dan@example.test":   sandbox.ListedNotDelivered,
	}
	for a, v := range want {
		if got[a] != v {
			t.Errorf("%s: verdict %q, want %q", a, got[a], v)
		}
	}
	if strings.Join(deliveries, " ") != "bob@example.test→bob:delivered carol@example.test→carol:delivered" {
		t.Errorf("deliveries: %v", deliveries)
	}
}

func TestBounceContent(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	converse(t, w, "HELO c.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<full@example.test>",
		"DATA", "Subject: for full", "", "hello", ".")
	msgs := w.Store.Messages("bob")
	if len(msgs) != 1 {
		t.Fatalf("bob has %d messages, want the bounce", len(msgs))
	}
	b := string(msgs[0].Raw)
	for _, want := range []string{"Return-Path: <>\r\n", "From: Mail Delivery System <MAILER-DAEMON@mail.example.test>",
		"<full@example.test>: mailbox full", "Subject: for full"} {
		if !strings.Contains(b, want) {
			t.Errorf("bounce lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(b, "\n") && strings.Count(b, "\n") != strings.Count(b, "\r\n") {
		t.Error("bounce has bare LF line ends")
	}
}

func TestMessageOverDefaultSize(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	s.Feed([]byte("EHLO c.test\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"))
	line := strings.Repeat("x", 998) + "\r\n"
	chunk := []byte(strings.Repeat(line, 1000)) // about 1 MB
	for i := 0; i < 11; i++ {
		if out := sandbox.FeedAll(s, chunk); len(out.Replies) != 0 {
			t.Fatalf("reply before the end of data: %v", out.Replies[0].Lines)
		}
	}
	out := sandbox.FeedAll(s, []byte(".\r\n"))
	if len(out.Replies) != 1 || out.Replies[0].Code != 552 || out.Replies[0].Enhanced != "5.3.4" {
		t.Fatalf("got %v, want 552 5.3.4", out.Replies)
	}
	if n := len(w.Store.Messages("bob")); n != 0 {
		t.Errorf("bob has %d messages", n)
	}
}

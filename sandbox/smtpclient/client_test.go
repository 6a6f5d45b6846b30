package smtpclient

import (
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
)

// script plays a server: each element is one reply, its lines joined by
// "\n", fed to c after each of its outputs. It returns every line the
// client sent, and the last output.
func script(t *testing.T, c *Client, replies ...string) (sent []string, last Output) {
	t.Helper()
	for _, r := range replies {
		if c.Done() {
			t.Fatalf("the client ended before %q; it sent %q", r, sent)
		}
		last = c.Feed([]byte(strings.ReplaceAll(r, "\n", "\r\n") + "\r\n"))
		if len(last.Send) > 0 {
			sent = append(sent, strings.Split(strings.TrimSuffix(string(last.Send), "\r\n"), "\r\n")...)
		}
	}
	return sent, last
}

func message(to ...string) Message {
	return Message{Host: "mail.example.test", From: "alice@example.test", To: to,
		Text: []byte("Subject: hi\r\n\r\nhello\r\n")}
}

const ehloOK = "250-mx.other.test Hello mail.example.test\n250-SIZE 10485760\n250-8BITMIME\n250 ENHANCEDSTATUSCODES"

// result checks one recipient's outcome.
func result(t *testing.T, r Result, rcpt string, s Status, stage, reply string) {
	t.Helper()
	got := ""
	if r.Reply != nil {
		got = r.Reply.Wire()
	}
	if r.Rcpt != rcpt || r.Status != s || r.Stage != stage || got != reply {
		t.Errorf("result %s %s at %q: %q; want %s %s at %q: %q", r.Rcpt, r.Status, r.Stage, got, rcpt, s, stage, reply)
	}
}

func TestDelivered(t *testing.T) {
	c := New(message("bob@other.test"))
	sent, last := script(t, c, "220 mx.other.test ESMTP", ehloOK, "250 2.1.0 Ok", "250 2.1.5 Ok",
		"354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as B1", "221 2.0.0 Bye")
	want := []string{"EHLO mail.example.test", "MAIL FROM:<alice@example.test> SIZE=22", "RCPT TO:<bob@other.test>",
		"DATA", "Subject: hi", "", "hello", ".", "QUIT"}
	if strings.Join(sent, "\n") != strings.Join(want, "\n") {
		t.Errorf("sent:\n%s\nwant:\n%s", strings.Join(sent, "\n"), strings.Join(want, "\n"))
	}
	if !c.Done() || !last.Close {
		t.Error("the conversation should be over after 221")
	}
	result(t, c.Results()[0], "bob@other.test", Delivered, StageDot, "250 2.0.0 Ok: queued as B1")
	if c.Extensions()["SIZE"] != "10485760" {
		t.Errorf("extensions %v", c.Extensions())
	}
}

// TestGreylisted: a first refusal at RCPT (451 4.7.1, what greylisting
// answers) defers the recipient; the next attempt goes through.
func TestGreylisted(t *testing.T) {
	c := New(message("bob@other.test"))
	sent, _ := script(t, c, "220 mx.other.test ESMTP", ehloOK, "250 2.1.0 Ok",
		"451 4.7.1 <bob@other.test>: Recipient address rejected: Greylisted, try again in 30 seconds", "221 2.0.0 Bye")
	if sent[len(sent)-1] != "QUIT" || strings.Contains(strings.Join(sent, "\n"), "DATA") {
		t.Errorf("with no recipient taken, the client should QUIT without DATA: %q", sent)
	}
	result(t, c.Results()[0], "bob@other.test", Deferred, StageRcpt,
		"451 4.7.1 <bob@other.test>: Recipient address rejected: Greylisted, try again in 30 seconds")
	if r := c.Results()[0]; r.Reply.Code != 451 || r.Reply.Enhanced != "4.7.1" {
		t.Errorf("reply read as %d %q", r.Reply.Code, r.Reply.Enhanced)
	}

	c = New(message("bob@other.test"))
	script(t, c, "220 mx.other.test ESMTP", ehloOK, "250 2.1.0 Ok", "250 2.1.5 Ok", "354 go", "250 2.0.0 Ok", "221 Bye")
	result(t, c.Results()[0], "bob@other.test", Delivered, StageDot, "250 2.0.0 Ok")
}

// TestOneRecipientRefused: a 550 for one RCPT fails that recipient only.
func TestOneRecipientRefused(t *testing.T) {
	c := New(message("bob@other.test", "zoe@other.test", "carol@other.test"))
	sent, _ := script(t, c, "220 mx.other.test ESMTP", ehloOK, "250 2.1.0 Ok", "250 2.1.5 Ok",
		"550 5.1.1 <zoe@other.test>: Recipient address rejected: User unknown", "250 2.1.5 Ok",
		"354 go", "250 2.0.0 Ok: queued as B2", "221 Bye")
	if !strings.Contains(strings.Join(sent, "\n"), "RCPT TO:<carol@other.test>\nDATA") {
		t.Errorf("the client should go on after a refused RCPT: %q", sent)
	}
	rs := c.Results()
	result(t, rs[0], "bob@other.test", Delivered, StageDot, "250 2.0.0 Ok: queued as B2")
	result(t, rs[1], "zoe@other.test", Failed, StageRcpt, "550 5.1.1 <zoe@other.test>: Recipient address rejected: User unknown")
	result(t, rs[2], "carol@other.test", Delivered, StageDot, "250 2.0.0 Ok: queued as B2")
}

// TestSizeRefused: 552 at MAIL (RFC 1870) fails every recipient.
func TestSizeRefused(t *testing.T) {
	c := New(message("bob@other.test", "carol@other.test"))
	sent, _ := script(t, c, "220 mx.other.test ESMTP", "250-mx.other.test\n250 SIZE 10", "552 5.3.4 Message size exceeds fixed limit", "221 Bye")
	if sent[1] != "MAIL FROM:<alice@example.test> SIZE=22" || sent[2] != "QUIT" {
		t.Errorf("sent %q", sent)
	}
	for i, rcpt := range []string{"bob@other.test", "carol@other.test"} {
		result(t, c.Results()[i], rcpt, Failed, StageMail, "552 5.3.4 Message size exceeds fixed limit")
	}
}

// TestBanner421: a server that is closing says 421 at once: every recipient
// waits for the next attempt, and the client closes without QUIT.
func TestBanner421(t *testing.T) {
	c := New(message("bob@other.test"))
	sent, last := script(t, c, "421 4.3.2 mx.other.test Service not available, closing transmission channel")
	if len(sent) != 0 || !last.Close || !c.Done() {
		t.Errorf("after a 421 banner: sent %q, close %v", sent, last.Close)
	}
	result(t, c.Results()[0], "bob@other.test", Deferred, StageGreeting,
		"421 4.3.2 mx.other.test Service not available, closing transmission channel")
}

// TestBanner554: a server refusing the connection for good: the recipients
// fail, and the client says QUIT (RFC 5321 §3.1).
func TestBanner554(t *testing.T) {
	c := New(message("bob@other.test"))
	sent, _ := script(t, c, "554 5.7.1 No SMTP service here", "221 Bye")
	if len(sent) != 1 || sent[0] != "QUIT" {
		t.Errorf("sent %q", sent)
	}
	result(t, c.Results()[0], "bob@other.test", Failed, StageGreeting, "554 5.7.1 No SMTP service here")
}

// TestNoAnswer: each wait has RFC 5321's length; when it passes, the
// recipients not yet decided are deferred and the connection closes.
func TestNoAnswer(t *testing.T) {
	c := New(message("bob@other.test", "carol@other.test"))
	if c.Wait() != GreetingTimeout {
		t.Errorf("wait for the banner: %v", c.Wait())
	}
	script(t, c, "220 mx.other.test ESMTP")
	if c.Wait() != MailTimeout {
		t.Errorf("wait after EHLO: %v", c.Wait())
	}
	script(t, c, ehloOK, "250 2.1.0 Ok")
	if c.Wait() != RcptTimeout {
		t.Errorf("wait after RCPT: %v", c.Wait())
	}
	script(t, c, "550 5.1.1 no such user", "250 2.1.5 Ok")
	if c.Wait() != DataInitTimeout {
		t.Errorf("wait after DATA: %v", c.Wait())
	}
	script(t, c, "354 go")
	if c.Wait() != DataTermTimeout || DataTermTimeout != 10*time.Minute {
		t.Errorf("wait after the final dot: %v", c.Wait())
	}
	out := c.Timeout()
	if !out.Close || len(out.Send) != 0 || !c.Done() {
		t.Errorf("after a timeout: %+v", out)
	}
	rs := c.Results()
	result(t, rs[0], "bob@other.test", Failed, StageRcpt, "550 5.1.1 no such user")
	result(t, rs[1], "carol@other.test", Deferred, StageDot, "")
	if rs[1].Problem != ProblemTimeout {
		t.Errorf("problem %q", rs[1].Problem)
	}
}

// TestHeloFallback: a server that knows no EHLO (500, 502) gets HELO, and
// MAIL without parameters.
func TestHeloFallback(t *testing.T) {
	for _, refusal := range []string{"500 5.5.2 Command not recognized", "502 Command not implemented"} {
		c := New(message("bob@other.test"))
		c.msg.Body = "8BITMIME"
		sent, _ := script(t, c, "220 old.other.test", refusal, "250 old.other.test", "250 Ok", "250 Ok", "354 go", "250 Ok", "221 Bye")
		if sent[1] != "HELO mail.example.test" || sent[2] != "MAIL FROM:<alice@example.test>" {
			t.Errorf("after %q: sent %q", refusal, sent)
		}
		result(t, c.Results()[0], "bob@other.test", Delivered, StageDot, "250 Ok")
		if c.Extensions() != nil {
			t.Errorf("extensions after HELO: %v", c.Extensions())
		}
	}
	c := New(message("bob@other.test"))
	script(t, c, "220 x", "554 5.7.1 go away", "221 Bye")
	result(t, c.Results()[0], "bob@other.test", Failed, StageEHLO, "554 5.7.1 go away")
}

// TestMailParameters: SIZE= and BODY=8BITMIME only where the server
// offers them; the null sender is <>.
func TestMailParameters(t *testing.T) {
	m := message("bob@other.test")
	m.From, m.Body = "", "8BITMIME"
	c := New(m)
	sent, _ := script(t, c, "220 x", ehloOK)
	if sent[1] != "MAIL FROM:<> SIZE=22 BODY=8BITMIME" {
		t.Errorf("MAIL line %q", sent[1])
	}
	c = New(m)
	sent, _ = script(t, c, "220 x", "250-x\n250 PIPELINING")
	if sent[1] != "MAIL FROM:<>" {
		t.Errorf("MAIL line without SIZE or 8BITMIME offered: %q", sent[1])
	}
}

// TestDotStuffing: lines starting with a dot get one more; bare LFs are
// sent as CRLF; a text without a final line end still ends cleanly.
func TestDotStuffing(t *testing.T) {
	m := message("bob@other.test")
	m.Text = []byte("Subject: dots\r\n\r\n.\r\n..two\r\n.x\nbare\nlast")
	c := New(m)
	script(t, c, "220 x", ehloOK, "250 Ok", "250 Ok")
	out := c.Feed([]byte("354 go\r\n"))
	want := "Subject: dots\r\n\r\n..\r\n...two\r\n..x\r\nbare\r\nlast\r\n.\r\n"
	if string(out.Send) != want {
		t.Errorf("text sent:\n%q\nwant\n%q", out.Send, want)
	}
}

// TestRepliesInPieces: a reply cut anywhere, a multi-line one included,
// reads the same.
func TestRepliesInPieces(t *testing.T) {
	c := New(message("bob@other.test"))
	var sent []byte
	for _, p := range []string{"22", "0 x\r", "\n250-x Hello\r\n250-SI", "ZE 100\r\n", "250 HELP\r\n"} {
		sent = append(sent, c.Feed([]byte(p)).Send...)
	}
	if string(sent) != "EHLO mail.example.test\r\nMAIL FROM:<alice@example.test> SIZE=22\r\n" {
		t.Errorf("sent %q", sent)
	}
	// A bare code ends a reply, too.
	if out := c.Feed([]byte("250\r\n")); string(out.Send) != "RCPT TO:<bob@other.test>\r\n" {
		t.Errorf("after a bare 250: %q", out.Send)
	}
}

// TestBadReplies: what is not an SMTP reply ends the conversation; the
// recipients wait for another attempt.
func TestBadReplies(t *testing.T) {
	for _, bad := range []string{
		"hello there",
		"220-x\r\n250 y", // another code inside a multi-line reply
		"999 x",
		"220x",
		strings.Repeat("250-x\r\n", MaxReplyLines) + "250 x",
	} {
		c := New(message("bob@other.test"))
		out := c.Feed([]byte(bad + "\r\n"))
		if !out.Close || !c.Done() || len(out.Send) != 0 {
			t.Errorf("%.20q: %+v", bad, out)
		}
		if r := c.Results()[0]; r.Status != Deferred || r.Problem != ProblemBadReply {
			t.Errorf("%.20q: %+v", bad, r)
		}
	}
}

// TestHangup: a connection that closes mid-way defers what is not decided.
func TestHangup(t *testing.T) {
	c := New(message("bob@other.test"))
	script(t, c, "220 x")
	c.Hangup()
	if r := c.Results()[0]; !c.Done() || r.Status != Deferred || r.Problem != ProblemHangup || r.Stage != StageEHLO {
		t.Errorf("after a hangup: %+v", r)
	}
}

// Test421Later: 421 in the middle: recipients already refused stay so,
// the others are deferred, and no QUIT follows.
func Test421Later(t *testing.T) {
	c := New(message("zoe@other.test", "bob@other.test"))
	sent, last := script(t, c, "220 x", ehloOK, "250 Ok", "550 5.1.1 unknown", "421 4.4.2 x timeout")
	if sent[len(sent)-1] != "RCPT TO:<bob@other.test>" || !last.Close {
		t.Errorf("sent %q, close %v", sent, last.Close)
	}
	result(t, c.Results()[0], "zoe@other.test", Failed, StageRcpt, "550 5.1.1 unknown")
	result(t, c.Results()[1], "bob@other.test", Deferred, StageRcpt, "421 4.4.2 x timeout")
}

func TestEnhanced(t *testing.T) {
	for line, want := range map[string]string{
		"250 2.1.5 Ok":          "2.1.5",
		"550 5.1.1 <x>: no":     "5.1.1",
		"550-5.7.1 first line":  "5.7.1",
		"451 5.1.1 wrong class": "",
		"250 Ok":                "",
		"250 2.1 short":         "",
		"250 2.1.1234 long":     "",
		"250":                   "",
	} {
		code, _, _ := replyLine(line)
		if got := enhanced(code, line); got != want {
			t.Errorf("enhanced(%q) = %q, want %q", line, got, want)
		}
	}
}

// TestLongReplyLine: a reply line past MaxReplyLine is kept cut, not
// refused: the code is what counts (RFC 5321 §4.2).
func TestLongReplyLine(t *testing.T) {
	c := New(message("bob@other.test"))
	out := c.Feed([]byte("220 " + strings.Repeat("x", 2*MaxReplyLine) + "\r\n"))
	if string(out.Send) != "EHLO mail.example.test\r\n" {
		t.Fatalf("after a long banner: %q", out.Send)
	}
	script(t, c, "250 x", "250 Ok", "550 "+strings.Repeat("y", 2*MaxReplyLine), "221 Bye")
	r := c.Results()[0]
	if r.Status != Failed || len(r.Reply.Lines[0]) > MaxReplyLine {
		t.Errorf("long refusal kept as %d octets: %+v", len(r.Reply.Lines[0]), r.Status)
	}
}

const ehloTLS = "250-mx.other.test Hello mail.example.test\n250-STARTTLS\n250 ENHANCEDSTATUSCODES"

// TestStartTLS: where the server offers STARTTLS, a client that may
// encrypt asks first, waits for the handshake, then says EHLO again; one
// that may not, or a server that does not offer it, goes on in clear.
func TestStartTLS(t *testing.T) {
	m := message("bob@other.test")
	m.TLS = &sandbox.TLS{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256"}
	c := New(m)
	sent, last := script(t, c, "220 mx.other.test ESMTP", ehloTLS, "220 2.0.0 Ready to start TLS")
	if want := "EHLO mail.example.test\nSTARTTLS"; strings.Join(sent, "\n") != want || !last.StartTLS || len(last.Send) != 0 {
		t.Fatalf("sent %q, last %+v; want %q then the handshake", sent, last, want)
	}
	if c.TLS() != nil {
		t.Error("encrypted before the handshake")
	}
	if o := c.Secured(); string(o.Send) != "EHLO mail.example.test\r\n" || o.StartTLS {
		t.Errorf("after the handshake the client sends %q, want EHLO again", o.Send)
	}
	if c.TLS() == nil || c.Extensions() != nil {
		t.Errorf("after the handshake: TLS %v, extensions %v (the list read in clear must be forgotten)", c.TLS(), c.Extensions())
	}
	sent, _ = script(t, c, ehloTLS, "250 2.1.0 Ok")
	if want := "MAIL FROM:<alice@example.test>\nRCPT TO:<bob@other.test>"; strings.Join(sent, "\n") != want {
		t.Errorf("after the second EHLO the client sends %q, want %q (no second STARTTLS)", sent, want)
	}

	// Refused: on in clear.
	c = New(m)
	sent, last = script(t, c, "220 mx.other.test ESMTP", ehloTLS, "454 4.7.0 TLS not available")
	if want := "EHLO mail.example.test\nSTARTTLS\nMAIL FROM:<alice@example.test>"; strings.Join(sent, "\n") != want || last.StartTLS {
		t.Errorf("after 454 the client sends %q, want %q", sent, want)
	}
	// Not allowed to: STARTTLS is never asked for.
	c = New(message("bob@other.test"))
	if sent, _ = script(t, c, "220 mx.other.test ESMTP", ehloTLS); strings.Join(sent, "\n") != "EHLO mail.example.test\nMAIL FROM:<alice@example.test>" {
		t.Errorf("without Message.TLS the client sends %q", sent)
	}
}

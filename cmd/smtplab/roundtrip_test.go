package main

import (
	"io"
	"strconv"
	"strings"
	"testing"
)

// roundTripMessage is sent by bob to alice, with bob himself in Cc and
// carol as a blind copy. Its body holds a line with a single dot and one
// starting with two dots: both must survive SMTP's dot-stuffing and POP3's
// byte-stuffing, each done by one side and undone by the other.
const roundTripMessage = "From: Bob Durand <bob@example.test>\r\n" +
	"To: Alice Martin <alice@example.test>\r\n" +
	"Cc: bob@example.test\r\n" +
	"Bcc: carol@example.test\r\n" +
	"Subject: round trip\r\n" +
	"\r\n" +
	"Above the line with a single dot.\r\n" +
	".\r\n" +
	"..this line starts with two dots\r\n" +
	"Last line.\r\n"

// withoutBccLine is roundTripMessage as every mailbox should hold it, after
// the server's trace fields: the Bcc field is gone, all else is unchanged.
var withoutBccLine = strings.Replace(roundTripMessage, "Bcc: carol@example.test\r\n", "", 1)

func TestMailRoundTrip(t *testing.T) {
	a := startApp(t)
	smtpAddr, pop3Addr := a.addr(t, "smtp"), a.addr(t, "pop3")
	if withoutBccLine == roundTripMessage {
		t.Fatal("test message has no Bcc line to strip")
	}

	sendMail(t, smtpAddr, "bob@example.test",
		[]string{"alice@example.test", "bob@example.test", "carol@example.test"}, roundTripMessage)
	a.wantCount(t, map[string]int{"alice": 1, "bob": 1, "carol": 1})

	t.Run("each recipient retrieves it over POP3", func(t *testing.T) {
		for _, user := range []string{"alice", "bob", "carol"} {
			c := dialPOP3(t, pop3Addr)
			c.login(user, user)
			n, size := c.stat()
			if n != 1 {
				t.Fatalf("%s: STAT says %d messages, want 1", user, n)
			}
			status, list := c.multi("LIST")
			if len(list) != 1 || list[0] != "1 "+strconv.Itoa(size) {
				t.Errorf("%s: LIST = %q %q, want one line \"1 %d\"", user, status, list, size)
			}
			got := c.retr(1)
			c.quit()

			if len(got) != size {
				t.Errorf("%s: RETR gave %d octets, STAT said %d", user, len(got), size)
			}
			if stored := a.mailbox(user)[0]; got != stored {
				t.Errorf("%s: RETR differs from the stored copy:\n got %q\nwant %q", user, got, stored)
			}
			if !strings.HasPrefix(got, "Return-Path: <bob@example.test>\r\n") {
				t.Errorf("%s: copy does not start with Return-Path:\n%s", user, got)
			}
			if !hasField(got, "Received") || !strings.Contains(header(got), "for <"+user+"@example.test>") {
				t.Errorf("%s: no Received field naming the recipient:\n%s", user, header(got))
			}
			if hasField(got, "Bcc") {
				t.Errorf("%s: copy still has a Bcc field:\n%s", user, header(got))
			}
			if user != "carol" && strings.Contains(got, "carol") {
				t.Errorf("%s's copy reveals the blind copy to carol:\n%s", user, got)
			}
			// The message itself, dots included, comes back octet for octet.
			if !strings.HasSuffix(got, withoutBccLine) {
				t.Errorf("%s: message text changed in transit:\n got %q\nwant suffix %q", user, got, withoutBccLine)
			}
			if !strings.Contains(got, "\r\n.\r\n..this line starts with two dots\r\n") {
				t.Errorf("%s: the dot lines did not survive:\n%q", user, got)
			}
		}
		// Reading without DELE leaves everything in place.
		a.wantCount(t, map[string]int{"alice": 1, "bob": 1, "carol": 1})
	})

	t.Run("DELE then hang-up keeps the message", func(t *testing.T) {
		c := dialPOP3(t, pop3Addr)
		c.login("bob", "bob")
		c.ok("DELE 1")
		if n, _ := c.stat(); n != 0 {
			t.Errorf("after DELE 1 the session's STAT says %d messages, want 0", n)
		}
		c.c.Close() // no QUIT: no UPDATE state
		a.waitSessions(t, "pop3", 0)
		if !a.unlocked("bob") {
			t.Fatal("bob's maildrop is still locked after the client hung up")
		}
		c = dialPOP3(t, pop3Addr)
		c.login("bob", "bob")
		if n, _ := c.stat(); n != 1 {
			t.Fatalf("next session: STAT says %d messages, want 1 (DELE without QUIT must not delete)", n)
		}
		c.quit()
		a.wantCount(t, map[string]int{"bob": 1})
	})

	t.Run("DELE then QUIT removes the message", func(t *testing.T) {
		c := dialPOP3(t, pop3Addr)
		c.login("bob", "bob")
		c.ok("DELE 1")
		if r := c.cmd("RETR 1"); !strings.HasPrefix(r, "-ERR") {
			t.Errorf("RETR of a message marked deleted: %q, want -ERR", r)
		}
		c.quit()
		a.wantCount(t, map[string]int{"bob": 0, "alice": 1, "carol": 1})
		c = dialPOP3(t, pop3Addr)
		c.login("bob", "bob")
		if n, size := c.stat(); n != 0 || size != 0 {
			t.Errorf("next session: STAT says %d %d, want 0 0", n, size)
		}
		c.quit()
	})

	t.Run("mail arriving during a session waits for the next one", func(t *testing.T) {
		c := dialPOP3(t, pop3Addr)
		c.login("carol", "carol")
		n, size := c.stat()
		sendMail(t, smtpAddr, "alice@example.test", []string{"carol@example.test"}, "Subject: later\r\n\r\nArrived during a session.\r\n")
		a.wantCount(t, map[string]int{"carol": n + 1})
		if n2, size2 := c.stat(); n2 != n || size2 != size {
			t.Errorf("STAT changed within a session: %d %d, then %d %d", n, size, n2, size2)
		}
		if r := c.cmd("RETR " + strconv.Itoa(n+1)); !strings.HasPrefix(r, "-ERR") {
			t.Errorf("RETR of a message that arrived after login: %q, want -ERR", r)
		}
		c.quit()
		c = dialPOP3(t, pop3Addr)
		c.login("carol", "carol")
		if n3, _ := c.stat(); n3 != n+1 {
			t.Errorf("next session: STAT says %d messages, want %d", n3, n+1)
		}
		if got := c.retr(n + 1); !strings.HasSuffix(got, "Subject: later\r\n\r\nArrived during a session.\r\n") {
			t.Errorf("the new message: %q", got)
		}
		c.ok("DELE " + strconv.Itoa(n+1))
		c.quit()
	})

	t.Run("a second login to a locked maildrop gets IN-USE", func(t *testing.T) {
		first := dialPOP3(t, pop3Addr)
		first.login("alice", "alice")
		second := dialPOP3(t, pop3Addr)
		second.ok("USER alice")
		if r := second.cmd("PASS alice"); !strings.HasPrefix(r, "-ERR [IN-USE]") {
			t.Fatalf("second login: %q, want -ERR [IN-USE]", r)
		}
		if r := second.cmd("STAT"); !strings.HasPrefix(r, "-ERR") {
			t.Errorf("STAT after a refused login: %q, want -ERR", r)
		}
		// QUIT releases the lock before its +OK: the second session may
		// log in at once.
		first.quit()
		second.login("alice", "alice")
		if n, _ := second.stat(); n != 1 {
			t.Errorf("alice sees %d messages, want 1", n)
		}
		second.quit()
	})

	t.Run("a wrong password gets AUTH", func(t *testing.T) {
		c := dialPOP3(t, pop3Addr)
		c.ok("USER carol")
		if r := c.cmd("PASS alice"); !strings.HasPrefix(r, "-ERR [AUTH]") {
			t.Fatalf("wrong password: %q, want -ERR [AUTH]", r)
		}
		if !a.unlocked("carol") {
			t.Error("a failed login left carol's maildrop locked")
		}
		c.login("carol", "carol") // the right one still works in the same session
		if n, _ := c.stat(); n != 1 {
			t.Errorf("carol sees %d messages, want 1", n)
		}
		c.quit()
	})
}

func TestPOP2RoundTrip(t *testing.T) {
	a := startApp(t)
	msg := "From: alice@example.test\r\nTo: carol@example.test\r\nSubject: old school\r\n\r\n" +
		"POP2 sends this as it is stored:\r\n.\r\n..no stuffing, no terminator\r\n"
	sendMail(t, a.addr(t, "smtp"), "alice@example.test", []string{"carol@example.test"}, msg)
	stored := a.mailbox("carol")
	if len(stored) != 1 || !strings.HasSuffix(stored[0], msg) {
		t.Fatalf("carol's mailbox after SMTP: %q", stored)
	}
	want := stored[0]

	// retrieve runs HELO, READ, RETR, ACKD and returns the text; the caller
	// decides how the session ends.
	retrieve := func(t *testing.T) *lineConn {
		c := dialLines(t, a.addr(t, "pop2"))
		if g := c.line(); !strings.HasPrefix(g, "+ POP2 ") {
			t.Fatalf("POP2 greeting %q", g)
		}
		c.write("HELO carol carol\r\n")
		if r := c.line(); !strings.HasPrefix(r, "#1 ") && r != "#1" {
			t.Fatalf("HELO: %q, want #1", r)
		}
		c.write("READ\r\n")
		r := c.line()
		n, err := strconv.Atoi(strings.TrimPrefix(strings.Fields(r)[0], "="))
		if !strings.HasPrefix(r, "=") || err != nil {
			t.Fatalf("READ: %q, want =length", r)
		}
		if n != len(want) {
			t.Errorf("READ announced %d octets, the stored message has %d", n, len(want))
		}
		c.write("RETR\r\n")
		got := make([]byte, n)
		if _, err := io.ReadFull(c.rd, got); err != nil {
			t.Fatalf("RETR: reading %d octets: %v (got %q)", n, err, got)
		}
		if string(got) != want {
			t.Errorf("RETR sent\n%q\nwant\n%q", got, want)
		}
		// Nothing follows the text: the next line is the answer to ACKD.
		c.write("ACKD\r\n")
		if r := c.line(); !strings.HasPrefix(r, "=0") {
			t.Fatalf("ACKD: %q, want =0 (no next message)", r)
		}
		return c
	}

	t.Run("ACKD then hang-up keeps the message", func(t *testing.T) {
		c := retrieve(t)
		c.c.Close()
		a.waitSessions(t, "pop2", 0)
		a.wantCount(t, map[string]int{"carol": 1})
		if !a.unlocked("carol") {
			t.Error("carol's mailbox is still locked after the POP2 client hung up")
		}
	})

	t.Run("POP2 and POP3 share the maildrop lock", func(t *testing.T) {
		c := retrieve(t)
		p := dialPOP3(t, a.addr(t, "pop3"))
		p.ok("USER carol")
		if r := p.cmd("PASS carol"); !strings.HasPrefix(r, "-ERR [IN-USE]") {
			t.Errorf("POP3 login while POP2 holds carol's mailbox: %q, want -ERR [IN-USE]", r)
		}
		c.c.Close()
		a.waitSessions(t, "pop2", 0)
		p.login("carol", "carol")
		if n, _ := p.stat(); n != 1 {
			t.Errorf("after POP2 hung up, POP3 sees %d messages, want 1", n)
		}
		p.quit()
	})

	t.Run("ACKD then QUIT deletes it", func(t *testing.T) {
		c := retrieve(t)
		c.write("QUIT\r\n")
		if r := c.line(); !strings.HasPrefix(r, "+") {
			t.Fatalf("QUIT: %q, want +", r)
		}
		c.expectEOF()
		p := dialPOP3(t, a.addr(t, "pop3"))
		p.login("carol", "carol")
		if n, size := p.stat(); n != 0 || size != 0 {
			t.Errorf("POP3 after POP2's ACKD and QUIT: STAT %d %d, want 0 0", n, size)
		}
		p.quit()
		a.wantCount(t, map[string]int{"carol": 0})
	})
}

// TestLargeMessageRoundTrip sends a message of a few MiB whose lines have
// the longest length allowed, 998 octets and CRLF, some starting with a dot
// (1001 octets on the wire once stuffed), through both transports: every
// read and write boundary falls somewhere inside a line.
func TestLargeMessageRoundTrip(t *testing.T) {
	a := startApp(t)
	var b strings.Builder
	b.WriteString("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: big\r\n\r\n")
	for i := 0; b.Len() < 3<<20; i++ {
		switch i % 5 {
		case 0:
			b.WriteString("." + strings.Repeat(strconv.Itoa(i%10), 997) + "\r\n")
		case 1:
			b.WriteString(".\r\n")
		case 2:
			b.WriteString(".." + strings.Repeat("x", 996) + "\r\n")
		default:
			b.WriteString(strings.Repeat(string(rune('a'+i%26)), 998) + "\r\n")
		}
	}
	msg := b.String()
	sendMail(t, a.addr(t, "smtp"), "alice@example.test", []string{"bob@example.test"}, msg)
	a.wantCount(t, map[string]int{"bob": 1})

	c := dialPOP3(t, a.addr(t, "pop3"))
	c.login("bob", "bob")
	got := c.retr(1)
	c.quit()
	if got != a.mailbox("bob")[0] {
		t.Errorf("RETR differs from the stored copy")
	}
	text := got[min(len(got), strings.Index(got, "\r\nFrom: alice@example.test\r\n")+2):]
	if text != msg {
		i := 0
		for i < len(text) && i < len(msg) && text[i] == msg[i] {
			i++
		}
		t.Fatalf("a %d-octet message came back as %d octets of text; they differ from octet %d (line %d)",
			len(msg), len(text), i, strings.Count(msg[:i], "\n")+1)
	}
}

package main

import (
	"strings"
	"testing"
)

// TestConfigReachesTheWorld checks that the flags do more than parse: the
// domain and the idle timers given on the command line are the ones the
// sessions obey.
func TestConfigReachesTheWorld(t *testing.T) {
	a := startApp(t, "-domain", "school.test", "-smtp-timeout", "300ms", "-pop3-timeout", "300ms")
	a.deliver(t, "bob", "Subject: stays\r\n\r\nAn autologout deletes nothing.\r\n")

	s := dialSMTP(t, a.addr(t, "smtp"))
	p := dialPOP3(t, a.addr(t, "pop3"))
	if !strings.Contains(p.greeting, "mail.school.test") {
		t.Errorf("POP3 greeting %q does not name mail.school.test", p.greeting)
	}
	p.login("bob", "bob")
	p.ok("DELE 1")
	s.expect("HELO client.school.test", "250 mail.school.test ")
	s.expect("MAIL FROM:<bob@school.test>", "250 ")
	s.expect("RCPT TO:<alice@school.test>", "250 2.1.5 ")
	s.expect("RCPT TO:<alice@example.test>", "554 5.7.1 ")

	// Both clients now say nothing: each read returns when the server
	// gives up on them.
	if r := s.reply(); !strings.HasPrefix(r, "421 4.4.2 ") {
		t.Errorf("idle SMTP client got %q, want 421 4.4.2", r)
	} else {
		s.expectEOF()
	}
	if r := p.line(); !strings.HasPrefix(r, "-ERR ") {
		t.Errorf("idle POP3 client got %q, want -ERR (autologout)", r)
	} else {
		p.expectEOF()
	}
	a.wantCount(t, map[string]int{"alice": 0, "bob": 1})
	if !a.unlocked("bob") {
		t.Error("bob's maildrop is still locked after the autologout")
	}
}

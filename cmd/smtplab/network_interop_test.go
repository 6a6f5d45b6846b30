package main

import (
	"strings"
	"testing"
)

// pythonReadAs logs in over POP3 as argv[2] (password argv[3]) and prints
// the first message.
const pythonReadAs = `
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
resp, lines, octets = p.retr(1)
print("".join(l.decode() + "\n" for l in lines))
p.quit()
`

// TestRelayToOtherDomain: swaks logs in on the teaching port and sends to
// bob@other.test; the sandbox relays it to mx.other.test through an SMTP
// session, and Python's poplib, logged in as bob@other.test on the same
// POP3 port, reads it with one Received line per hop, the last on top.
func TestRelayToOtherDomain(t *testing.T) {
	swaks := needCommand(t, "swaks")
	python := needCommand(t, "python3")
	a := startApp(t)
	r := runCommand(t, nil, swaks, "--server", "127.0.0.1", "--port", a.port(t, "smtp"),
		"--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "alice",
		"--from", "alice@example.test", "--to", "bob@other.test",
		"--header", "Subject: across the network", "--body", "Relayed by the sandbox.")
	if r.code != 0 {
		t.Fatalf("swaks exited %d:\n%s", r.code, r.output())
	}
	var text string
	waitFor(t, "bob@other.test reads the message", func() bool {
		r = runCommand(t, nil, python, "-c", pythonReadAs, a.port(t, "pop3"), "bob@other.test", "bob")
		text = r.stdout
		return r.code == 0
	})
	last, first := strings.Index(text, "by mx.other.test"), strings.Index(text, "by mail.example.test")
	if last < 0 || first < 0 || last > first || !strings.Contains(text, "across the network") {
		t.Fatalf("the relayed message, read by poplib:\n%s", text)
	}
}

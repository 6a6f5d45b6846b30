package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// shellLine is one line the shell printed, as the page receives it.
type shellLine struct{ Text, Kind string }

// shellLines is every line the shell printed among ms, in order.
func shellLines(t *testing.T, ms []srvMsg) []shellLine {
	t.Helper()
	var out []shellLine
	for _, m := range ms {
		if m.T == "shell" {
			for _, l := range frameOf(t, m).Lines {
				out = append(out, shellLine{l.Text, l.Kind})
			}
		}
	}
	return out
}

// hangUpAfterQuit sends QUIT in the open connection and waits for the
// program's last line: the prompt is back.
func hangUpAfterQuit(t *testing.T, c *wsClient) {
	t.Helper()
	c.send(input("QUIT"))
	c.untilReply(221)
	closed, _ := c.until("telnet's last line", func(m srvMsg) bool { return m.T == "shell" })
	if got := printed(t, []srvMsg{closed}); got != "Connection closed by foreign host.\n" {
		t.Fatalf("after QUIT: %q", got)
	}
}

// TestNetworkDig: dig asks the visitor's network's DNS; its output is
// dig's own, its explanations come after it in the page's language.
func TestNetworkDig(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "fr")
	c.hello(nil)
	end, before := command(t, c, "dig MX other.test")
	if end.End != "prompt" {
		t.Fatalf("dig ended with %+v", end)
	}
	lines := shellLines(t, before)
	answer := slices.IndexFunc(lines, func(l shellLine) bool { return l.Text == ";; ANSWER SECTION:" })
	if answer < 0 || answer+1 >= len(lines) || !strings.Contains(lines[answer+1].Text, "MX\t10 mx.other.test.") || lines[answer+1].Kind != "out" {
		t.Fatalf("no answer naming mx.other.test:\n%s", printed(t, before))
	}
	want, _ := catalog.Text(catalog.FR, "dns.outcome.mx", map[string]string{"name": "other.test", "host": "mx.other.test", "pref": "10"})
	explained := slices.Index(lines, shellLine{want, "note"})
	last := slices.IndexFunc(lines, func(l shellLine) bool { return strings.HasPrefix(l.Text, ";; MSG SIZE") })
	if explained < 0 || explained < last {
		t.Errorf("the answer is not explained in French under the output (want %q):\n%s", want, printed(t, before))
	}
}

// TestNetworkTelnetMX: the student plays the sending server: mx.other.test
// takes mail for its own users without a login, and relays for no one.
func TestNetworkTelnetMX(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	end, before := command(t, c, "telnet mx.other.test 25")
	if end.End != "session" || !strings.Contains(printed(t, before), "Connected to mx.other.test.") {
		t.Fatalf("telnet: %+v\n%s", end, dump(before))
	}
	if banner := firstEvent(before, sandbox.EventReply); banner == nil || !strings.HasPrefix(banner.Reply.Lines[0], "220 mx.other.test ") {
		t.Errorf("no banner naming mx.other.test:\n%s", dump(before))
	}
	ehlo(t, c)
	c.send(input("MAIL FROM:<postmaster@example.test>"))
	c.untilReply(250)
	c.send(input("RCPT TO:<bob@other.test>"))
	c.untilReply(250)
	c.send(input("RCPT TO:<x@univ.test>"))
	if m, _ := c.untilReply(554); m.Ev.Reply.Enhanced != "5.7.1" {
		t.Errorf("relay refused with %+v", m.Ev.Reply)
	}
	hangUpAfterQuit(t, c)
}

// TestNetworkTelnetDown: a host that is down has an address and refuses
// the connection, as telnet says.
func TestNetworkTelnetDown(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	end, before := command(t, c, "telnet mx.down.test 25")
	lines := shellLines(t, before)
	if end.End != "prompt" || !slices.Contains(lines, shellLine{"Trying 203.0.113.50...", "out"}) ||
		!slices.Contains(lines, shellLine{"telnet: Unable to connect to remote host: Connection refused", "err"}) {
		t.Errorf("telnet: %+v\n%s", end, printed(t, before))
	}
}

// TestNetworkMailq: a logged-in message for a domain whose server is down
// waits in the practice server's queue; mailq shows it, and why.
func TestNetworkMailq(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	if _, before := command(t, c, "mailq"); !strings.Contains(printed(t, before), "Mail queue is empty\n") {
		t.Fatalf("mailq before any mail:\n%s", printed(t, before))
	}
	if end, before := command(t, c, "telnet mail.example.test 25"); end.End != "session" {
		t.Fatalf("telnet: %+v\n%s", end, dump(before))
	}
	ehlo(t, c)
	for _, step := range []struct {
		line string
		code int
	}{
		{"AUTH PLAIN AGFsaWNlAGFsaWNl", 235},
		{"MAIL FROM:<alice@example.test>", 250},
		{"RCPT TO:<x@down.test>", 250},
		{"DATA", 354},
	} {
		c.send(input(step.line))
		c.untilReply(step.code)
	}
	c.send(input("Subject: for x", "", "Are you there?", "."))
	c.untilReply(250)
	hangUpAfterQuit(t, c)

	// The relay tries the message as soon as it is queued, on its own.
	reason := "(connect to mx.down.test: Connection refused)"
	var lines []shellLine
	for deadline := time.Now().Add(readWait); ; time.Sleep(20 * time.Millisecond) {
		_, before := command(t, c, "mailq")
		lines = shellLines(t, before)
		if slices.ContainsFunc(lines, func(l shellLine) bool { return strings.TrimSpace(l.Text) == reason }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailq never showed the reason:\n%s", printed(t, before))
		}
	}
	text := func(l shellLine) string { return l.Text }
	var out []string
	var notes []string
	for _, l := range lines {
		switch l.Kind {
		case "out":
			out = append(out, text(l))
		case "note":
			notes = append(notes, text(l))
		}
	}
	if len(out) != 6 || out[0] != "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------" ||
		!strings.HasSuffix(out[1], "  alice@example.test") || strings.TrimSpace(out[3]) != "x@down.test" ||
		out[5] != "-- 0 Kbytes in 1 Request." {
		t.Errorf("mailq:\n%s", strings.Join(out, "\n"))
	}
	if !slices.ContainsFunc(notes, func(n string) bool {
		return strings.Contains(n, "No server of down.test accepted the connection (mx.down.test)")
	}) {
		t.Errorf("the reason is not explained:\n%s", strings.Join(notes, "\n"))
	}
}

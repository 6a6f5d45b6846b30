package server_test

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/network"
	"smtplab/server"
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

// TestNetworkTelnetBackupMX: mx1 and mx2 of univ.test are one mail
// system, but each answers by its own name: the banner, the open event
// (what lessons check) and the Received line say which one was reached.
func TestNetworkTelnetBackupMX(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	_, before := command(t, c, "telnet MX2.univ.test. 25")
	if open := firstEvent(before, sandbox.EventOpen); open == nil || open.Open.Host != "mx2.univ.test" {
		t.Errorf("open event %+v, want host mx2.univ.test", open)
	}
	if banner := firstEvent(before, sandbox.EventReply); banner == nil || !strings.HasPrefix(banner.Reply.Lines[0], "220 mx2.univ.test ") {
		t.Errorf("no banner naming mx2.univ.test:\n%s", dump(before))
	}
	hangUpAfterQuit(t, c)
	_, before = command(t, c, "telnet mx1.univ.test 25")
	if banner := firstEvent(before, sandbox.EventReply); banner == nil || !strings.HasPrefix(banner.Reply.Lines[0], "220 mx1.univ.test ") {
		t.Errorf("no banner naming mx1.univ.test:\n%s", dump(before))
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

// submit types, in c's open and logged-in SMTP session, a message from
// alice to rcpt, and returns its queue id (the message event's) and what
// came until the 250 that accepted it.
func submit(t *testing.T, c *wsClient, rcpt, subject string) (id string, before []srvMsg) {
	t.Helper()
	for _, step := range []struct {
		line string
		code int
	}{
		{"MAIL FROM:<alice@example.test>", 250},
		{"RCPT TO:<" + rcpt + ">", 250},
		{"DATA", 354},
	} {
		c.send(input(step.line))
		c.untilReply(step.code)
	}
	c.send(input("From: <alice@example.test>", "To: <"+rcpt+">", "Subject: "+subject, "", "Hello across.", "."))
	_, before = c.untilReply(250)
	msg := firstEvent(before, sandbox.EventMessage)
	if msg == nil {
		t.Fatalf("no message event before the 250:\n%s", dump(before))
	}
	return msg.Message.ID, before
}

// loggedIn opens a session with mail.example.test from c's terminal the
// way a line of the shell does, and logs in as alice.
func loggedIn(t *testing.T, c *wsClient, line string) {
	t.Helper()
	if end, before := command(t, c, line); end.End != "session" {
		t.Fatalf("%s: %+v\n%s", line, end, dump(before))
	}
	ehlo(t, c)
	c.send(input("AUTH PLAIN AGFsaWNlAGFsaWNl"))
	c.untilReply(235)
}

// queueEvent matches a queue event of message id that did action.
func queueEvent(id, action string) func(srvMsg) bool {
	return func(m srvMsg) bool {
		return m.kind() == sandbox.EventQueue && m.Ev.Queue.ID == id && m.Ev.Queue.Action == action
	}
}

// relaySession returns the events of the session whose open event names
// the message id as what it carries, and that session's page name.
func relaySession(t *testing.T, ms []srvMsg, via sandbox.Via) (string, []*sandbox.Event) {
	t.Helper()
	name := ""
	var evs []*sandbox.Event
	for _, m := range ms {
		if m.T != "event" {
			continue
		}
		if o := m.Ev.Open; o != nil && o.Via != nil && *o.Via == via {
			if o.Transport != sandbox.TransportRelay {
				t.Errorf("a session naming a queue id is opened over %q", o.Transport)
			}
			name = m.Ev.Session
		}
		if name != "" && m.Ev.Session == name {
			evs = append(evs, m.Ev)
		}
	}
	if name == "" {
		t.Fatalf("no relay session carrying %+v:\n%s", via, dump(ms))
	}
	return name, evs
}

// TestNetworkFollowsRelay: a message submitted on port 587 for
// bob@other.test is relayed by mail.example.test's queue to
// mx.other.test, outside any step of the terminal; the terminal that
// submitted it gets that relay session — its open event naming the
// message, mx.other.test's lines, the delivery to bob — under a name
// that cannot be taken for its own session's, and the queue event that
// says it was relayed. Its other tab and another visitor get none of it;
// a reload replays it.
func TestNetworkFollowsRelay(t *testing.T) {
	ts, _ := app(t)
	visitor := newVisitor(ts)
	c := connect(t, ts, visitor, "en")
	welcome, _, _ := c.hello(nil)
	tab := connect(t, ts, visitor, "en")
	tab.hello(nil)
	stranger := connect(t, ts, newVisitor(ts), "en")
	stranger.hello(nil)

	loggedIn(t, c, "openssl s_client -connect mail.example.test:587 -starttls smtp -crlf -ign_eof")
	id, before := submit(t, c, "bob@other.test", "Across")
	own := firstEvent(before, sandbox.EventMessage).Session
	if strings.Contains(own, "/") {
		t.Errorf("the terminal's own session is called %q", own)
	}
	relayed, during := c.until("the queue's relayed event", queueEvent(id, sandbox.QueueRelayed))

	name, evs := relaySession(t, during, sandbox.Via{Host: "mail.example.test", Queue: id})
	if !strings.HasPrefix(name, "mx.other.test/smtp-") || evs[0].Open.Host != "mx.other.test" {
		t.Errorf("relay session %q, opened on %q", name, evs[0].Open.Host)
	}
	var verbs []string
	var codes []int
	delivered := false
	for _, ev := range evs {
		switch {
		case ev.Command != nil:
			verbs = append(verbs, ev.Command.Verb)
		case ev.Reply != nil:
			codes = append(codes, ev.Reply.Code)
		case ev.Delivery != nil:
			delivered = ev.Delivery.Recipient == "bob@other.test" && ev.Delivery.Status == sandbox.Delivered
		}
	}
	if !slices.Equal(verbs, []string{"EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"}) ||
		!slices.Equal(codes, []int{220, 250, 220, 250, 250, 250, 354, 250, 221}) || !delivered {
		t.Errorf("relay session: verbs %v, codes %v, delivered to bob %v", verbs, codes, delivered)
	}
	for _, m := range during {
		if m.code() != 0 && m.Ev.Session == name && (m.X == nil || m.X.Reply == nil || m.X.Reply.Meaning == "") {
			t.Errorf("mx.other.test's reply is not explained: %s", m)
		}
	}
	if q := relayed.Ev.Queue; relayed.Ev.Session != "" || q.Session != name || q.Host != "mx.other.test" || q.Recipient != "bob@other.test" {
		t.Errorf("relayed event: session %q, %+v; want the relay session %q", relayed.Ev.Session, q, name)
	}

	// Nobody else hears of it: not the visitor's other tab, not another
	// visitor.
	for who, other := range map[string]*wsClient{"the other tab": tab, "another visitor": stranger} {
		for _, m := range other.sync() {
			if m.T == "event" {
				t.Errorf("%s got %s", who, m)
			}
		}
	}

	// The terminal's transcript keeps it: a reload shows it again.
	c.ws.Close()
	again := connect(t, ts, visitor, "fr")
	_, _, replay := again.hello(map[string]any{"terminal": welcome.Terminal})
	if got, _ := relaySession(t, replay, sandbox.Via{Host: "mail.example.test", Queue: id}); got != name {
		t.Errorf("replayed relay session %q, want %q", got, name)
	}
	if !slices.ContainsFunc(replay, queueEvent(id, sandbox.QueueRelayed)) {
		t.Errorf("the replay lacks the relayed event:\n%s", dump(replay))
	}
}

// TestNetworkFollowsBounce: a message for a user other.test does not
// have is accepted, then refused by mx.other.test: the terminal gets the
// queue's failed event, the failed delivery, and the report's delivery
// into alice's mailbox, which its page redraws.
func TestNetworkFollowsBounce(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	loggedIn(t, c, "telnet mail.example.test 25")
	id, _ := submit(t, c, "nobody@other.test", "Lost")
	failed, during := c.until("the queue's failed event", queueEvent(id, sandbox.QueueFailed))
	if q := failed.Ev.Queue; q.Reply == nil || q.Reply.Code != 550 || !strings.HasPrefix(q.Session, "mx.other.test/") {
		t.Errorf("failed event: %+v", q)
	}
	_, evs := relaySession(t, during, sandbox.Via{Host: "mail.example.test", Queue: id})
	if last := evs[len(evs)-1]; last.Kind != sandbox.EventClose {
		t.Errorf("the relay session's last event is %s", last.Kind)
	}
	report, after := c.until("the report's delivery", func(m srvMsg) bool {
		return m.kind() == sandbox.EventDelivery && m.Ev.Delivery.Reason == "delivery.bounce"
	})
	if d := report.Ev.Delivery; d.Original != id || d.Mailbox != "alice" || d.Recipient != "alice@example.test" || d.Status != sandbox.Delivered {
		t.Errorf("the report's delivery: %+v", d)
	}
	if !slices.ContainsFunc(append(during, after...), func(m srvMsg) bool {
		return m.kind() == sandbox.EventDelivery && m.Ev.Delivery.Reason == "delivery.relay_failed" && m.Ev.Delivery.MessageID == id
	}) {
		t.Errorf("no failed delivery of %s:\n%s", id, dump(append(during, after...)))
	}
	boxes, _ := c.untilT("mailboxes")
	if got := boxes.box("alice"); len(got) != 1 {
		t.Errorf("alice's mailbox after the report: %q", got)
	}
}

// relayLesson's steps tick only on what the terminal follows: the queue
// event that says a message was relayed, and the failed delivery the
// queue reports after a refusal, both after every step of the terminal.
const relayLesson = "---\ntitle: Across\nsummary: Mail between servers.\n---\n\nIntro.\n\n" +
	"## Relayed {#relayed}\n\nSend to bob@other.test.\n\n```goal\nqueue action=relayed\n```\n\n" +
	"```solution\ntelnet mail.example.test 25\n```\n\n" +
	"## Bounced {#bounced}\n\nSend to nobody@other.test.\n\n```goal\ndelivery status=bounced\n```\n\n" +
	"```solution\ntelnet mail.example.test 25\n```\n"

// TestNetworkLessonSeesRelay: a lesson's checker on the terminal sees
// the events the terminal follows, relay sessions and the queue's, and
// ticks steps on them, although they come outside any step of its own.
func TestNetworkLessonSeesRelay(t *testing.T) {
	lib, errs := lessons.Load(fstest.MapFS{"90-across.en.md": {Data: []byte(relayLesson)}}, ".")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	slug := lib.Slugs()[0]
	ts := appWith(t, sandbox.NewWorld(sandbox.Config{Name: "default"}), lib)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(map[string]any{"page": "lesson", "lesson": slug})
	loggedIn(t, c, "telnet mail.example.test 25")
	id, before := submit(t, c, "bob@other.test", "Across")
	if slices.ContainsFunc(before, func(m srvMsg) bool { return m.T == "progress" && len(m.Done) > 0 }) {
		t.Fatalf("a step ticked before the relay:\n%s", dump(before))
	}
	// The progress goes as soon as the checker ticks, before the batch
	// that ticked it.
	_, during := c.until("the relayed event", queueEvent(id, sandbox.QueueRelayed))
	if !slices.ContainsFunc(during, progressWith("relayed")) {
		t.Errorf("the queue's relayed event ticked nothing:\n%s", dump(during))
	}

	id, _ = submit(t, c, "nobody@other.test", "Lost")
	_, during = c.until("the failed event", queueEvent(id, sandbox.QueueFailed))
	var p srvMsg
	if i := slices.IndexFunc(during, progressWith("bounced")); i >= 0 {
		p = during[i]
	} else { // the failed delivery came in a later batch
		p, _ = c.until("the bounced step", progressWith("bounced"))
	}
	if !slices.Equal(p.Done, []string{"relayed", "bounced"}) {
		t.Errorf("progress %v", p.Done)
	}
}

// chainZone is a network whose other.test keeps the sandbox's built-in
// users, full@ among them: a mailbox over quota, whose mail is accepted,
// then bounced by mx.other.test itself.
const chainZone = `$RESOLVER ns.test 192.0.2.53
$DOMAIN example.test
$SERVER mail.example.test
$USERS builtin
example.test. IN MX 10 mail.example.test.
mail.example.test. IN A 192.0.2.25
$DOMAIN other.test
$SERVER mx.other.test
$USERS builtin
other.test. IN MX 10 mx.other.test.
mx.other.test. IN A 198.51.100.25
`

// TestNetworkFollowsChain: what a followed relay session gets accepted is
// followed too. mx.other.test takes alice's message for full@other.test,
// then bounces it; its report goes back to mail.example.test through a
// relay session of its own queue, which the terminal gets as well, with
// the report's delivery to alice.
func TestNetworkFollowsChain(t *testing.T) {
	n, err := network.Parse("chain.zone", strings.NewReader(chainZone))
	if err != nil {
		t.Fatal(err)
	}
	s := server.New(server.Config{World: sandbox.NewWorld(sandbox.Config{Name: "default"}), NewSession: engine.New, Network: n})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	loggedIn(t, c, "telnet mail.example.test 25")
	id, _ := submit(t, c, "full@other.test", "Too much")

	back, during := c.until("the report's relay session", func(m srvMsg) bool {
		return m.kind() == sandbox.EventOpen && m.Ev.Open.Via != nil && m.Ev.Open.Via.Host == "mx.other.test"
	})
	out, evs := relaySession(t, during, sandbox.Via{Host: "mail.example.test", Queue: id})
	var accepted, report string
	for _, ev := range evs {
		switch {
		case ev.Message != nil:
			accepted = ev.Message.ID
		case ev.Queue != nil && ev.Queue.Reason == "queue.queued.report":
			report = ev.Queue.ID
		}
	}
	if accepted == "" || report == "" || back.Ev.Open.Via.Queue != report {
		t.Fatalf("first hop %s accepted %q and queued the report %q; the way back carries %+v", out, accepted, report, back.Ev.Open.Via)
	}
	if want := "mail.example.test/"; !strings.HasPrefix(back.Ev.Session, want) || back.Ev.Session == out {
		t.Errorf("the way back is called %q, want a name under %s", back.Ev.Session, want)
	}
	delivered, _ := c.until("the report's delivery to alice", func(m srvMsg) bool {
		return m.kind() == sandbox.EventDelivery && m.Ev.Session == back.Ev.Session
	})
	if d := delivered.Ev.Delivery; d.Mailbox != "alice" || d.Status != sandbox.Delivered {
		t.Errorf("the way back delivered %+v", d)
	}
	relayed, _ := c.until("the report's relayed event", queueEvent(report, sandbox.QueueRelayed))
	if relayed.Ev.Queue.Session != back.Ev.Session {
		t.Errorf("the report relayed in %q, want %q", relayed.Ev.Queue.Session, back.Ev.Session)
	}
}

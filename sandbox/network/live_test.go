package network

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
)

// liveNet is the built-in network around a fresh practice world.
func liveNet(t *testing.T) *Live {
	t.Helper()
	n := Default()
	quick := func(c sandbox.Config) *sandbox.World {
		c.Limits.AuthFailDelay = -1
		return sandbox.NewWorld(c)
	}
	home := quick(sandbox.Config{Name: "home", Domain: sandbox.DefaultDomain, Entries: sandbox.DefaultEntries()})
	l := n.Start(home, n.Resolver(), Options{NewWorld: quick})
	t.Cleanup(l.Close)
	return l
}

// send types an SMTP session on w's server and returns the replies.
func send(w *sandbox.World, lines ...string) string {
	s := engine.New(w, sandbox.SMTP, sandboxtest.Peer)
	out := s.Start().Bytes()
	out = append(out, sandbox.FeedAll(s, []byte(strings.Join(lines, "\r\n")+"\r\n")).Bytes()...)
	return string(out)
}

// eventually waits for cond, which the queue runners make true in their
// own goroutines, and fails after a generous while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never happened: %s", what)
}

func message(from, to, subject string) []string {
	return []string{"MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">", "DATA",
		"From: <" + from + ">", "To: <" + to + ">", "Subject: " + subject, "", "Hello.", "."}
}

// TestLiveRelaysToOtherDomain: a logged-in student's message for
// bob@other.test is accepted, relayed to mx.other.test through an SMTP
// session, and lands in bob's mailbox there with one Received line per
// hop, the last hop's on top.
func TestLiveRelaysToOtherDomain(t *testing.T) {
	l := liveNet(t)
	got := send(l.Home(), append(append([]string{"EHLO pc.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl"},
		message("alice@example.test", "bob@other.test", "Across")...), "QUIT")...)
	if !strings.Contains(got, "235 ") || strings.Count(got, "\r\n250 ") < 4 {
		t.Fatalf("the submission was not accepted:\n%s", got)
	}
	other := l.ServerByHost("mx.other.test")
	if other == nil || other.Domain != "other.test" {
		t.Fatalf("mx.other.test is %v", other)
	}
	eventually(t, "the message reaches bob@other.test", func() bool { return len(other.Store.Messages("bob")) == 1 })
	raw := other.Store.Messages("bob")[0].Raw
	first, second := bytes.Index(raw, []byte("by mx.other.test")), bytes.Index(raw, []byte("by mail.example.test"))
	if first < 0 || second < 0 || first > second {
		t.Errorf("trace lines not one per hop, newest first:\n%s", raw)
	}
	if !bytes.Contains(raw, []byte("with ESMTPA")) {
		t.Errorf("the first hop does not say the client logged in (RFC 3848):\n%s", raw)
	}
	if n := len(l.Home().Store.Messages("bob")); n != 0 {
		t.Errorf("bob@example.test got %d copies of a message for bob@other.test", n)
	}
	// Every domain's users read their mail on the same POP3 service.
	pop := engine.New(l.Home(), sandbox.POP3, sandboxtest.Peer)
	pop.Start()
	got = string(sandbox.FeedAll(pop, []byte("USER bob@other.test\r\nPASS bob\r\nSTAT\r\nQUIT\r\n")).Bytes())
	if !strings.Contains(got, "+OK 1 ") {
		t.Errorf("bob@other.test does not find his message over POP3:\n%s", got)
	}
}

// TestLiveRefusesStrangers: without logging in, other.test is someone
// else's domain: relaying there is refused, as on any real server.
func TestLiveRefusesStrangers(t *testing.T) {
	l := liveNet(t)
	got := send(l.Home(), "EHLO pc.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@other.test>", "QUIT")
	if !strings.Contains(got, "554 5.7.1") {
		t.Fatalf("relay without login not refused:\n%s", got)
	}
	// other.test's own server takes mail for its own users from anyone,
	// and refuses to relay onward.
	other := l.ServerByHost("mx.other.test")
	got = send(other, "EHLO mail.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@other.test>",
		"RCPT TO:<carol@univ.test>", "QUIT")
	if !strings.Contains(got, "250 2.1.5") || !strings.Contains(got, "554 5.7.1") {
		t.Fatalf("mx.other.test should take bob's mail and refuse univ.test's:\n%s", got)
	}
}

// TestLiveBouncesNullMX: a domain that publishes a null MX takes no mail:
// the sender gets a delivery status notification, from <>.
func TestLiveBouncesNullMX(t *testing.T) {
	l := liveNet(t)
	got := send(l.Home(), append(append([]string{"EHLO pc.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl"},
		message("alice@example.test", "someone@nullmx.test", "Nowhere")...), "QUIT")...)
	if strings.Count(got, "\r\n250 ") < 4 {
		t.Fatalf("not accepted:\n%s", got)
	}
	home := l.Home()
	eventually(t, "alice gets a report", func() bool { return len(home.Store.Messages("alice")) == 1 })
	m := home.Store.Messages("alice")[0]
	for _, want := range []string{"report-type=delivery-status", "Status: 5.1.10", "Final-Recipient: rfc822; someone@nullmx.test"} {
		if !bytes.Contains(m.Raw, []byte(want)) {
			t.Errorf("the report lacks %q:\n%s", want, m.Raw)
		}
	}
	if m.Envelope.From == nil || *m.Envelope.From != "" {
		t.Errorf("a report comes from the null sender, not %v", m.Envelope.From)
	}
}

// TestLiveServers: the hosts of the network file, its backup MX run by
// the same server, a host that is down, and a name nobody serves.
func TestLiveServers(t *testing.T) {
	l := liveNet(t)
	if l.ServerByHost("mail.example.test") != l.Home() {
		t.Error("mail.example.test is not the home world")
	}
	mx1, mx2 := l.ServerByHost("mx1.univ.test"), l.ServerByHost("MX2.univ.test.")
	if mx1 == nil || mx1 != mx2 {
		t.Errorf("univ.test's two exchangers: %v and %v", mx1, mx2)
	}
	for _, h := range []string{"mx.down.test", "nothing.test"} {
		if w := l.ServerByHost(h); w != nil {
			t.Errorf("%s answers (%s)", h, w.Domain)
		}
	}
	if n := len(l.Worlds()); n != 2 {
		t.Errorf("%d worlds made, want home and univ.test's only", n)
	}
}

// TestLiveDefersWhenDown: mail for a domain whose only MX is down stays
// queued; nothing bounces before the queue's lifetime.
func TestLiveDefersWhenDown(t *testing.T) {
	l := liveNet(t)
	send(l.Home(), append(append([]string{"EHLO pc.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl"},
		message("alice@example.test", "x@down.test", "Later")...), "QUIT")...)
	home := l.Home()
	eventually(t, "an attempt is made", func() bool {
		q := home.Store.Queue()
		return len(q) == 1 && q[0].Attempts > 0 && q[0].Rcpts[0].Last != nil
	})
	if n := len(home.Store.Messages("alice")); n != 0 {
		t.Errorf("alice got %d reports for a message still in the queue", n)
	}
}

// TestLiveWatch: an owner that comes late hears of the worlds made so
// far and of each one made later, once each, never of home.
func TestLiveWatch(t *testing.T) {
	l := liveNet(t)
	univ := l.ServerByHost("mx1.univ.test")
	var told []*sandbox.World
	l.Watch(func(w *sandbox.World) { told = append(told, w) })
	if len(told) != 1 || told[0] != univ {
		t.Fatalf("told of %v, want univ.test's world", told)
	}
	other := l.ServerByHost("mx.other.test")
	l.ServerByHost("mx.other.test")
	l.ServerByHost("mail.example.test")
	if len(told) != 2 || told[1] != other {
		t.Errorf("told of %d worlds, want univ.test's then other.test's", len(told))
	}
}

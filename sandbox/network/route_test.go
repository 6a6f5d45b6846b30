package network

import (
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
)

// rcptReplies types a logged-in session on w's server and returns the
// replies to its RCPT commands, as events carry them.
func rcptReplies(t *testing.T, w *sandbox.World, rcpts ...string) []*sandbox.Reply {
	t.Helper()
	var got []*sandbox.Reply
	cancel := w.Subscribe(func(ev sandbox.Event) {
		if ev.Kind == sandbox.EventReply && strings.HasPrefix(ev.Reply.Reason, "smtp.rcpt.") {
			got = append(got, ev.Reply)
		}
	})
	defer cancel()
	s := engine.New(w, sandbox.SMTP, sandboxtest.Peer)
	s.Start()
	lines := []string{"EHLO pc.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl", "MAIL FROM:<alice@example.test>"}
	for _, r := range rcpts {
		lines = append(lines, "RCPT TO:"+r)
	}
	sandbox.FeedAll(s, []byte(strings.Join(append(lines, "QUIT"), "\r\n")+"\r\n"))
	return got
}

// TestSourceRouteBesideMX: a source route is ignored (RFC 5321 Appendix
// C), and the explanation shows the hops it asked for beside those the MX
// records choose: mx1 before its backup mx2 for univ.test.
func TestSourceRouteBesideMX(t *testing.T) {
	l := liveNet(t)
	got := rcptReplies(t, l.Home(), "<@relay.one.test,@relay.two.test:ines@univ.test>", "<@a.test:paul@nomx.test>",
		"<@a.test:someone@nullmx.test>", "<jules@univ.test>")
	if len(got) != 4 {
		t.Fatalf("%d RCPT replies, want 4", len(got))
	}
	want := []struct{ reason, route, mx string }{
		{"smtp.rcpt.ok.relay.route", "@relay.one.test, @relay.two.test", "mx1.univ.test, mx2.univ.test"},
		{"smtp.rcpt.ok.relay.route", "@a.test", "nomx.test"}, // no MX: the A record, RFC 5321 §5.1
		{"smtp.rcpt.ok.relay.route.none", "@a.test", ""},     // null MX: no server at all
		{"smtp.rcpt.ok.relay", "", ""},                       // no route: the usual reason
	}
	for i, w := range want {
		r := got[i]
		if r.Code != 250 || r.Reason != w.reason || r.Args["route"] != w.route || r.Args["mx"] != w.mx {
			t.Errorf("RCPT %d: %d %s route=%q mx=%q; want 250 %s route=%q mx=%q",
				i+1, r.Code, r.Reason, r.Args["route"], r.Args["mx"], w.reason, w.route, w.mx)
		}
	}
}

// TestGreylistedByHand: grey.test's server defers a stranger's first
// attempt with 450 4.7.1, and says so differently when the same three
// come back too soon.
func TestGreylistedByHand(t *testing.T) {
	l := liveNet(t)
	grey := l.ServerByHost("mx.grey.test")
	if grey == nil || !grey.Greylisting() {
		t.Fatalf("mx.grey.test: %v, greylisting", grey)
	}
	var reasons []string
	cancel := grey.Subscribe(func(ev sandbox.Event) {
		if ev.Kind == sandbox.EventReply && strings.HasPrefix(ev.Reply.Reason, "smtp.rcpt.") {
			reasons = append(reasons, ev.Reply.Lines[0][:9]+" "+ev.Reply.Reason)
		}
	})
	defer cancel()
	s := engine.New(grey, sandbox.SMTP, sandboxtest.Peer)
	s.Start()
	sandbox.FeedAll(s, []byte("EHLO mail.example.test\r\nMAIL FROM:<alice@example.test>\r\n"+
		"RCPT TO:<lucie@grey.test>\r\nRCPT TO:<lucie@grey.test>\r\nQUIT\r\n"))
	want := []string{"450 4.7.1 smtp.rcpt.greylisted", "450 4.7.1 smtp.rcpt.greylisted.early"}
	if strings.Join(reasons, "; ") != strings.Join(want, "; ") {
		t.Errorf("RCPT replies %q, want %q", reasons, want)
	}
}

// TestAnswersByTheNameDialled: mx1 and mx2 of univ.test are one mail
// system; reached as mx2, it greets and writes its Received line as mx2.
func TestAnswersByTheNameDialled(t *testing.T) {
	l := liveNet(t)
	univ := l.ServerByHost("mx2.univ.test")
	peer := sandboxtest.Peer
	peer.Host = "mx2.univ.test"
	s := engine.New(univ, sandbox.SMTP, peer)
	got := string(s.Start().Bytes())
	sandbox.FeedAll(s, []byte(strings.Join(append(append([]string{"HELO mail.example.test"}, message("alice@example.test", "ines@univ.test", "Backup")...), "QUIT"), "\r\n")+"\r\n"))
	if !strings.HasPrefix(got, "220 mx2.univ.test ") {
		t.Errorf("banner %q", got)
	}
	msgs := univ.Store.Messages("ines")
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Raw[:msgs[0].Trace]), "by mx2.univ.test ") {
		t.Fatalf("ines's copy does not say mx2 took it: %d messages", len(msgs))
	}
}

// TestMadeMakesNothing: Made finds the worlds ServerByHost has made, and
// makes none itself.
func TestMadeMakesNothing(t *testing.T) {
	l := liveNet(t)
	if w := l.Made("mx.other.test"); w != nil {
		t.Fatalf("Made found %s before anything reached it", w.Host)
	}
	if n := len(l.Worlds()); n != 1 {
		t.Fatalf("%d worlds after Made, want the home one only", n)
	}
	made := l.ServerByHost("MX.other.test.")
	if got := l.Made("mx.other.test"); got == nil || got != made {
		t.Errorf("Made = %v, want the world ServerByHost made", got)
	}
	if l.Made("mx.down.test") != nil || l.Made(l.Home().Host) != l.Home() {
		t.Error("Made: a host that is down answers, or the home world does not")
	}
}

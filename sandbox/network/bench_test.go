package network

import (
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
)

// BenchmarkRelayedVsLocal measures a message end to end, in the process:
// alice submits it with AUTH on mail.example.test for bob@other.test, the
// queue hands it to mx.other.test through a relay session, and it lands
// in bob's mailbox there; against a message for carol@example.test, which
// the same session delivers at once. The two take turns, one of each per
// iteration, so that a machine that slows down slows both; x-local is the
// relayed message's time over the local one's.
func BenchmarkRelayedVsLocal(b *testing.B) {
	n := Default()
	quick := func(c sandbox.Config) *sandbox.World {
		c.Limits.AuthFailDelay = -1
		return sandbox.NewWorld(c)
	}
	home := quick(sandbox.Config{Name: "home", Domain: sandbox.DefaultDomain, Entries: sandbox.DefaultEntries()})
	l := n.Start(home, n.Resolver(), Options{NewWorld: quick})
	defer l.Close()
	other := l.ServerByHost("mx.other.test")
	arrived := make(chan struct{}, 1)
	defer other.Subscribe(func(ev sandbox.Event) {
		if d := ev.Delivery; d != nil && d.Mailbox == "bob" && d.Status == sandbox.Delivered {
			arrived <- struct{}{}
		}
	})()
	submit := func(rcpt string) {
		s := engine.New(home, sandbox.SMTP, sandboxtest.Peer)
		s.Start()
		out := sandbox.FeedAll(s, []byte(strings.Join([]string{"EHLO pc.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl",
			"MAIL FROM:<alice@example.test>", "RCPT TO:<" + rcpt + ">", "DATA",
			"From: Alice <alice@example.test>", "To: <" + rcpt + ">", "Subject: timed", "", "One message, timed.", ".", "QUIT", ""}, "\r\n")))
		if !strings.Contains(string(out.Bytes()), "250 2.0.0") {
			b.Fatalf("not accepted:\n%s", out.Bytes())
		}
	}
	wait := func() {
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			b.Fatal("the relayed message never reached bob@other.test")
		}
	}
	// One of each first: the worlds and the catalog's caches are made.
	submit("carol@example.test")
	submit("bob@other.test")
	wait()
	b.ReportAllocs()
	b.ResetTimer()
	var local, relayed time.Duration
	for i := range b.N {
		start := time.Now()
		submit("carol@example.test")
		mid := time.Now()
		submit("bob@other.test")
		wait()
		local, relayed = local+mid.Sub(start), relayed+time.Since(mid)
		if i%1000 == 999 { // the mailboxes stay small
			b.StopTimer()
			home.Store.Clear()
			other.Store.Clear()
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(local.Nanoseconds())/float64(b.N), "local-ns/op")
	b.ReportMetric(float64(relayed.Nanoseconds())/float64(b.N), "relayed-ns/op")
	b.ReportMetric(float64(relayed)/float64(local), "x-local")
}

package network

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
)

// TestSubmissionToOtherDomain follows one message the whole way: alice
// submits it on port 465's service (encrypted from the start, logged in)
// for bob@other.test; mail.example.test queues it and relays it in an SMTP
// session with mx.other.test, whose events are those of any session; Bob's
// copy carries two Received lines, the newest hop on top; POP3 gives it.
func TestSubmissionToOtherDomain(t *testing.T) {
	l := liveNet(t)
	other := l.ServerByHost("mx.other.test")
	var mu sync.Mutex
	var relayed []sandbox.Event // the events of other.test's sessions
	cancel := other.Subscribe(func(ev sandbox.Event) {
		mu.Lock()
		relayed = append(relayed, ev)
		mu.Unlock()
	})
	defer cancel()

	peer := sandboxtest.Peer
	peer.Service, peer.TLS = sandbox.Submission, &sandbox.TLS{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256"}
	s := engine.New(l.Home(), sandbox.SMTP, peer)
	s.Start()
	lines := append([]string{"EHLO pc.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl"},
		message("alice@example.test", "bob@other.test", "Two hops")...)
	got := string(sandbox.FeedAll(s, []byte(strings.Join(append(lines, "QUIT"), "\r\n")+"\r\n")).Bytes())
	if !strings.Contains(got, "235 ") || !strings.Contains(got, "250 2.0.0") {
		t.Fatalf("the submission was not accepted:\n%s", got)
	}
	eventually(t, "the message reaches bob@other.test", func() bool { return len(other.Store.Messages("bob")) == 1 })

	// Two Received lines, in order: mx.other.test's on top, then the
	// submission server's, which says the client logged in over TLS.
	raw := string(other.Store.Messages("bob")[0].Raw)
	header := raw[:strings.Index(raw, "\r\n\r\n")]
	received := regexp.MustCompile(`(?m)^Received: from (\S+) .*\r\n(?:[ \t].*\r\n?)*`).FindAllString(header+"\r\n", -1)
	if len(received) != 2 {
		t.Fatalf("%d Received lines, want 2:\n%s", len(received), header)
	}
	for i, want := range []struct{ from, by, with string }{
		{"mail.example.test", "by mx.other.test", "with ESMTPS "}, // STARTTLS, no AUTH: servers pass mail encrypted
		{"pc.example.test", "by mail.example.test", "with ESMTPSA"},
	} {
		r := received[i]
		if !strings.HasPrefix(r, "Received: from "+want.from) || !strings.Contains(r, want.by) || !strings.Contains(r, want.with) {
			t.Errorf("Received line %d is not from %s %s %s:\n%s", i+1, want.from, want.by, want.with, r)
		}
	}

	// The relay was a session like any other, in other.test's world.
	mu.Lock()
	evs := slices.Clone(relayed)
	mu.Unlock()
	var verbs []string
	var relaySession string
	for _, ev := range evs {
		switch {
		case ev.Kind == sandbox.EventOpen && ev.Open.Transport == sandbox.TransportRelay:
			relaySession = ev.Session
		case ev.Kind == sandbox.EventCommand && ev.Session == relaySession && relaySession != "":
			verbs = append(verbs, ev.Command.Verb)
		}
	}
	if want := []string{"EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"}; !slices.Equal(verbs, want) {
		t.Errorf("relay session commands %v, want %v", verbs, want)
	}

	pop := engine.New(l.Home(), sandbox.POP3, sandboxtest.Peer)
	pop.Start()
	got = string(sandbox.FeedAll(pop, []byte("USER bob@other.test\r\nPASS bob\r\nRETR 1\r\nQUIT\r\n")).Bytes())
	if !strings.Contains(got, "Subject: Two hops") || strings.Count(got, "Received: from") != 2 {
		t.Errorf("POP3 does not give bob@other.test his message with its trace:\n%s", got)
	}
}

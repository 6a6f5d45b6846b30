package server

import (
	"slices"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/network"
)

// TestLiveKeepsSessionBeginnings: the live view keeps, for late pages, each
// session's first events within LiveEventsPerSession and
// LiveBytesPerSession; an event too big to fit is left out while smaller
// ones after it are still kept, and once no event can fit the session keeps
// nothing more.
func TestLiveKeepsSessionBeginnings(t *testing.T) {
	w := sandbox.NewWorld(sandbox.Config{Name: "live"})
	h := newLiveHub(w)
	defer h.close()
	input := func(session, text string) {
		w.Publish(sandbox.Event{Session: session, Proto: sandbox.SMTP, Kind: sandbox.EventInput, Input: &sandbox.Input{Text: text}})
	}
	input("smtp-1", "EHLO a.test")
	input("smtp-1", strings.Repeat("x", LiveBytesPerSession)) // too big for what is left
	input("smtp-1", "MAIL FROM:<a@a.test>")
	if got := texts(h.sessions["smtp-1"].events); len(got) != 2 || got[1] != "MAIL FROM:<a@a.test>" {
		t.Fatalf("kept %q, want the two short lines", got)
	}
	// Fill the session up to its event limit, then one more.
	for i := 2; i <= LiveEventsPerSession; i++ {
		input("smtp-1", "NOOP")
	}
	s := h.sessions["smtp-1"]
	if len(s.events) != LiveEventsPerSession || !s.full {
		t.Fatalf("%d events kept, full %v; want %d, full", len(s.events), s.full, LiveEventsPerSession)
	}
	input("smtp-1", "QUIT")
	if last := s.events[len(s.events)-1].Input.Text; len(s.events) != LiveEventsPerSession || last != "NOOP" {
		t.Errorf("a full session kept more: %d events, last %q", len(s.events), last)
	}
	// Bytes fill a session too: small events no longer fit.
	big := strings.Repeat("y", LiveBytesPerSession-2*minEventSize-minEventSize/2)
	input("smtp-2", big)
	input("smtp-2", "z")
	if s := h.sessions["smtp-2"]; len(s.events) != 2 || !s.full {
		t.Fatalf("smtp-2: %d events, full %v; want 2, full", len(s.events), s.full)
	}
}

// TestLiveHidesSecretLines: a line its engine marked secret (an AUTH
// exchange) reaches the live view masked, kept and streamed alike.
func TestLiveHidesSecretLines(t *testing.T) {
	w := sandbox.NewWorld(sandbox.Config{Name: "live"})
	h := newLiveHub(w)
	defer h.close()
	in := &sandbox.Input{Text: "AGFsaWNlAGFsaWNl", Secret: true}
	w.Publish(sandbox.Event{Session: "smtp-1", Proto: sandbox.SMTP, Kind: sandbox.EventInput, Input: in})
	if got := texts(h.sessions["smtp-1"].events); len(got) != 1 || got[0] != secretMask {
		t.Errorf("kept %q, want the mask", got)
	}
	if in.Text != "AGFsaWNlAGFsaWNl" {
		t.Errorf("the session's own event was changed: %q", in.Text)
	}
}

func texts(evs []sandbox.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Input.Text)
	}
	return out
}

// TestLiveShowsRelaySessions: the live view follows the other servers of
// the shared world's network too, those made before it started and
// after: a relay session between mail.example.test and mx.other.test is
// kept under its server's name, so that it cannot be taken for a session
// of the shared world with the same id.
func TestLiveShowsRelaySessions(t *testing.T) {
	n := network.Default()
	quick := func(c sandbox.Config) *sandbox.World {
		c.Limits.AuthFailDelay = -1
		return sandbox.NewWorld(c)
	}
	home := quick(sandbox.Config{Name: "default"})
	l := n.Start(home, n.Resolver(), network.Options{NewWorld: quick})
	defer l.Close()
	before := l.ServerByHost("mx1.univ.test") // made before the live view
	h := newLiveHub(home)
	defer h.close()
	l.Watch(h.watchWorld)

	s := engine.New(home, sandbox.SMTP, sandbox.Peer{Remote: "192.0.2.7:40000", Transport: "test"})
	s.Start()
	sandbox.FeedAll(s, []byte(strings.Join([]string{"EHLO pc.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl",
		"MAIL FROM:<alice@example.test>", "RCPT TO:<bob@other.test>", "RCPT TO:<ines@univ.test>", "DATA",
		"Subject: across", "", "Hello.", ".", "QUIT", ""}, "\r\n")))

	other := l.ServerByHost("mx.other.test")
	for _, w := range []*sandbox.World{other, before} {
		name := pageSession(w.Host, "smtp-1")
		var kept []sandbox.Event
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			h.mu.Lock()
			if ls := h.sessions[name]; ls != nil {
				kept = slices.Clone(ls.events)
			}
			h.mu.Unlock()
			if len(kept) > 0 && kept[len(kept)-1].Kind == sandbox.EventClose || time.Now().After(deadline) {
				break
			}
		}
		if len(kept) == 0 || kept[0].Open == nil || kept[0].Open.Transport != sandbox.TransportRelay ||
			kept[0].Open.Via == nil || kept[0].Open.Via.Host != "mail.example.test" || kept[len(kept)-1].Kind != sandbox.EventClose {
			t.Errorf("%s on the live view: %+v", name, kept)
		}
	}
	h.mu.Lock()
	own := h.sessions[s.ID()]
	h.mu.Unlock()
	if own == nil || own.events[0].Open.Transport != "test" {
		t.Errorf("the shared world's own session %s is not kept as it is", s.ID())
	}
}

package server

import (
	"strings"
	"testing"

	"smtplab/sandbox"
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

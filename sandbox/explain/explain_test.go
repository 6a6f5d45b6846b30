package explain

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

func replyEvent(reason string, args map[string]string) sandbox.Event {
	return sandbox.Event{Kind: sandbox.EventReply, Proto: sandbox.SMTP, Reply: &sandbox.Reply{
		Proto: sandbox.SMTP, Code: 250, Enhanced: "2.1.0", Lines: []string{"250 2.1.0 Ok"},
		Meaning: "smtp.250", Reason: reason, Args: args,
	}}
}

func events() []sandbox.Event {
	return []sandbox.Event{
		replyEvent("smtp.mail.ok", map[string]string{"addr": "alice@example.test"}),
		{Kind: sandbox.EventCommand, Proto: sandbox.SMTP, Command: &sandbox.Command{Verb: "MAIL", Known: true,
			Parts: []sandbox.Part{{Kind: "verb", Text: "MAIL"}, {Kind: "keyword", Text: "FROM:"}, {Kind: "address", Text: "<a@b.test>"}}}},
		{Kind: sandbox.EventState, Proto: sandbox.SMTP, State: &sandbox.State{From: "READY", To: "HAVE_FROM"}},
		{Kind: sandbox.EventMessage, Proto: sandbox.SMTP, Message: &sandbox.Accepted{Analysis: sandbox.Analysis{
			Verdicts: []sandbox.Verdict{{Address: "carol@example.test", Verdict: "delivered-hidden", VisibleTo: "self"}},
			Warnings: []sandbox.Warning{{Key: "no_body"}},
		}}},
		{Kind: sandbox.EventDelivery, Proto: sandbox.SMTP, Delivery: &sandbox.Delivery{Recipient: "bob@example.test",
			Mailbox: "bob", Status: sandbox.Delivered, Reason: "delivery.delivered", Args: map[string]string{"mailbox": "bob"}}},
		{Kind: sandbox.EventQueue, Proto: sandbox.SMTP, Queue: &sandbox.QueueEvent{ID: "A1", Recipient: "bob@other.test",
			Action: sandbox.QueueRelayed, Host: "mx.other.test", Reason: "queue.relayed",
			Args: map[string]string{"host": "mx.other.test", "rcpt": "bob@other.test", "sender": "<alice@example.test>", "attempts": "1", "reply": "250 2.0.0 Ok"}}},
	}
}

// TestQueueExplained: a queue event says why the queue did what it did,
// with its arguments filled in, in each language.
func TestQueueExplained(t *testing.T) {
	ev := events()[len(events())-1]
	for _, l := range catalog.Locales {
		x := Of(ev, l)
		if x == nil || x.Queue == "" || strings.Contains(x.Queue, "{") || !strings.Contains(x.Queue, "mx.other.test") {
			t.Errorf("%s: queue event explained as %+v", l, x)
		}
	}
}

// TestAppendJSON: what AppendJSON writes is the explanation itself, the
// first time and from the cache, in each language; an event with nothing
// to explain gets nothing.
func TestAppendJSON(t *testing.T) {
	for _, l := range catalog.Locales {
		for _, ev := range events() {
			want, _ := json.Marshal(Of(ev, l))
			for pass := range 2 {
				got, ok := AppendJSON([]byte("x"), ev, l)
				if !ok || string(got) != "x"+string(want) {
					t.Errorf("%s %s, pass %d:\n got %s\nwant x%s", l, ev.Kind, pass, got, want)
				}
			}
		}
		open := sandbox.Event{Kind: sandbox.EventOpen, Open: &sandbox.Open{Remote: "192.0.2.1:1"}}
		if got, ok := AppendJSON(nil, open, l); ok || len(got) != 0 {
			t.Errorf("%s: an open event explained: %s", l, got)
		}
	}
	fr, _ := AppendJSON(nil, events()[0], catalog.FR)
	en, _ := AppendJSON(nil, events()[0], catalog.EN)
	if string(fr) == string(en) {
		t.Errorf("the same text in both languages: %s", fr)
	}
	if !strings.Contains(string(en), "alice@example.test") {
		t.Errorf("the reason does not quote its argument: %s", en)
	}
}

// TestCacheKeysDoNotCollide: arguments that run together the same way are
// still told apart, so one student never gets an explanation quoting what
// another typed.
func TestCacheKeysDoNotCollide(t *testing.T) {
	a := replyEvent("smtp.helo.ok", map[string]string{"host": "mail.example.test", "name": "x\x00ip=10.0.0.1", "ip": "192.0.2.1"})
	b := replyEvent("smtp.helo.ok", map[string]string{"host": "mail.example.test", "name": "x", "ip": "10.0.0.1\x00ip=192.0.2.1"})
	ja, _ := AppendJSON(nil, a, catalog.EN)
	jb, _ := AppendJSON(nil, b, catalog.EN)
	wa, _ := json.Marshal(Of(a, catalog.EN))
	wb, _ := json.Marshal(Of(b, catalog.EN))
	if string(ja) != string(wa) || string(jb) != string(wb) {
		t.Errorf("mixed up:\n%s\n%s", ja, jb)
	}
}

// TestCacheBounded: however many different replies go by, the cache keeps
// at most CacheEntries explanations, and still explains each right.
func TestCacheBounded(t *testing.T) {
	for i := range CacheEntries + 100 {
		ev := replyEvent("smtp.mail.ok", map[string]string{"addr": fmt.Sprintf("user%d@example.test", i)})
		got, _ := AppendJSON(nil, ev, catalog.EN)
		if !strings.Contains(string(got), fmt.Sprintf("user%d@", i)) {
			t.Fatalf("reply %d explained as %s", i, got)
		}
	}
	cache.mu.RLock()
	n := len(cache.m)
	cache.mu.RUnlock()
	if n > CacheEntries {
		t.Errorf("%d explanations kept, at most %d allowed", n, CacheEntries)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	evs := events()[:3]
	var buf []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf, _ = AppendJSON(buf[:0], evs[i%len(evs)], catalog.EN)
	}
}

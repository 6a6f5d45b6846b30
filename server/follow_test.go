package server

import (
	"strconv"
	"testing"

	"smtplab/sandbox"
)

// relayOpen is the open event of a relay session of w carrying message
// id of host's queue.
func relayOpen(session, host, id string) sandbox.Event {
	return sandbox.Event{Session: session, Kind: sandbox.EventOpen, Open: &sandbox.Open{
		Transport: sandbox.TransportRelay, Via: &sandbox.Via{Host: host, Queue: id}}}
}

// TestTrailForgetsTheOldest: a trail follows the last MaxFollowedMessages
// messages; the relay session of one it forgot is not followed, that of
// one it keeps is, until it closes.
func TestTrailForgetsTheOldest(t *testing.T) {
	home := sandbox.NewWorld(sandbox.Config{Name: "home"})
	other := sandbox.NewWorld(sandbox.Config{Name: "other", Domain: "other.test", Host: "mx.other.test"})
	var tr trail
	for i := range MaxFollowedMessages + 1 {
		tr.note(home, sandbox.Event{Session: "smtp-1", Kind: sandbox.EventMessage, Message: &sandbox.Accepted{ID: "M" + strconv.Itoa(i)}})
	}
	if tr.match(other, relayOpen("smtp-1", "mail.example.test", "M0")) {
		t.Error("the oldest message is still followed")
	}
	newest := "M" + strconv.Itoa(MaxFollowedMessages)
	if tr.match(other, relayOpen("smtp-2", "mx.other.test", newest)) {
		t.Error("a message is followed under another server's name")
	}
	if !tr.match(other, relayOpen("smtp-3", "mail.example.test", newest)) {
		t.Fatal("the newest message's relay session is not followed")
	}
	reply := sandbox.Event{Session: "smtp-3", Kind: sandbox.EventReply, Reply: &sandbox.Reply{Code: 250}}
	if !tr.match(other, reply) || tr.match(home, reply) {
		t.Error("a followed session is told by its id in its own world only")
	}
	closed := sandbox.Event{Session: "smtp-3", Kind: sandbox.EventClose, Close: &sandbox.Close{Reason: "quit"}}
	if !tr.match(other, closed) {
		t.Error("the close of a followed session is not followed")
	}
	tr.note(other, closed)
	if tr.match(other, reply) {
		t.Error("a closed session is still followed")
	}
	// What the queue does with a followed message, and a report on it.
	if !tr.match(home, sandbox.Event{Kind: sandbox.EventQueue, Queue: &sandbox.QueueEvent{ID: newest}}) ||
		!tr.match(home, sandbox.Event{Kind: sandbox.EventDelivery, Delivery: &sandbox.Delivery{MessageID: "R1", Original: newest}}) ||
		tr.match(other, sandbox.Event{Kind: sandbox.EventQueue, Queue: &sandbox.QueueEvent{ID: newest}}) {
		t.Error("queue events and reports are matched by the server that queued the message")
	}
}

// TestFollowedEventCopies: the page's names are put on copies; the
// world's other observers keep the event as it was published.
func TestFollowedEventCopies(t *testing.T) {
	home := sandbox.NewWorld(sandbox.Config{Name: "home"})
	q := &sandbox.QueueEvent{ID: "M1", Host: "mx.other.test", Session: "smtp-4"}
	ev := sandbox.Event{Kind: sandbox.EventQueue, Queue: q}
	got := followedEvent(home, ev, func(h string) string { return h })
	if got.Session != "" || got.Queue.Session != "mx.other.test/smtp-4" || q.Session != "smtp-4" {
		t.Errorf("queue event: page %q/%q, published one now %q", got.Session, got.Queue.Session, q.Session)
	}
	in := sandbox.Event{Session: "smtp-2", Kind: sandbox.EventInput, Input: &sandbox.Input{Text: "EHLO"}}
	if got := followedEvent(home, in, nil); got.Session != "mail.example.test/smtp-2" || got.Input != in.Input {
		t.Errorf("input event: %+v", got)
	}
}

// TestFollowedPendingBounded: past MaxFollowedPending waiting events,
// lines of message text are left out and the rest kept, up to twice as
// many.
func TestFollowedPendingBounded(t *testing.T) {
	tm := &terminal{flushing: true} // no batch on its way: everything waits
	text := sandbox.Event{Kind: sandbox.EventInput, Input: &sandbox.Input{Text: "line", Data: true}}
	reply := sandbox.Event{Kind: sandbox.EventReply, Reply: &sandbox.Reply{Code: 250}}
	for range 3 * MaxFollowedPending {
		tm.queueFollowed(text)
		tm.queueFollowed(reply)
	}
	texts, replies := 0, 0
	for _, ev := range tm.followed {
		if ev.Input != nil {
			texts++
		} else {
			replies++
		}
	}
	if texts != MaxFollowedPending/2 || replies != 2*MaxFollowedPending-texts {
		t.Errorf("%d lines of text and %d replies wait", texts, replies)
	}
}

// TestForgetFollowed: a world reset drops what the terminal follows and
// what waits for its batch; a closed terminal keeps nothing more, so a
// relay that goes on reserves no transcript room for a page long gone.
func TestForgetFollowed(t *testing.T) {
	w := sandbox.NewWorld(sandbox.Config{})
	tm := &terminal{flushing: true}
	tm.trail.follow(mailKey{"mail.example.test", "A1"})
	reply := sandbox.Event{Kind: sandbox.EventReply, Reply: &sandbox.Reply{Code: 250}}
	tm.queueFollowed(reply)
	tm.forgetFollowed()
	if len(tm.followed) != 0 || tm.trail.match(w, relayOpen("smtp-1", "mail.example.test", "A1")) {
		t.Errorf("after a reset: %d events wait, and the old message is still followed", len(tm.followed))
	}
	tm.gone = true
	tm.queueFollowed(reply)
	if len(tm.followed) != 0 {
		t.Errorf("a closed terminal keeps %d followed events", len(tm.followed))
	}
}

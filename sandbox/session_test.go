package sandbox

import (
	"testing"
	"time"
)

// echoEngine is the least an engine is: each line gets an input event and
// a reply.
type echoEngine struct {
	Base
	lines LineSplitter
}

func (e *echoEngine) Feed(p []byte) Output {
	return e.FeedLines(&e.lines, p, func(l Line) {
		e.Received(l, false)
		e.Send(&Reply{Code: 250, Lines: []string{"250 " + string(l.Text)}})
	})
}

// TestStepEventsShareTime: the events of one step carry the time the
// step began, read once; the next step reads the clock again, and so does
// an event outside any step.
func TestStepEventsShareTime(t *testing.T) {
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	reads := 0
	clock := func() time.Time { reads++; return start.Add(time.Duration(reads) * time.Second) }
	w := NewWorld(Config{Name: "clock", Clock: clock})
	var times []time.Time
	w.Subscribe(func(ev Event) { times = append(times, ev.Time) })
	e := &echoEngine{Base: NewBase(w, SMTP, Peer{Transport: "test"}), lines: LineSplitter{Max: 512}}

	e.Feed([]byte("NOOP\r\nNOOP\r\nNOOP\r\n"))
	if len(times) != 6 || reads != 1 {
		t.Fatalf("%d events, %d clock reads; want 6 and 1", len(times), reads)
	}
	for _, at := range times {
		if !at.Equal(start.Add(time.Second)) {
			t.Fatalf("event times %v, want all %v", times, start.Add(time.Second))
		}
	}
	if now := e.Now(); !now.Equal(start.Add(2 * time.Second)) {
		t.Errorf("Now between steps = %v, want a fresh reading", now)
	}
	e.Feed([]byte("NOOP\r\n"))
	if at := times[len(times)-1]; !at.Equal(start.Add(3 * time.Second)) {
		t.Errorf("second step at %v, want %v", at, start.Add(3*time.Second))
	}
	e.End("quit")
	if at := times[len(times)-1]; !at.Equal(start.Add(4 * time.Second)) {
		t.Errorf("event outside a step at %v, want %v", at, start.Add(4*time.Second))
	}
}

// TestStepRepliesInOrder: a step's replies come out in order, however many
// there are, and the next step starts with none of them.
func TestStepRepliesInOrder(t *testing.T) {
	w := NewWorld(Config{Name: "replies"})
	e := &echoEngine{Base: NewBase(w, SMTP, Peer{Transport: "test"}), lines: LineSplitter{Max: 512}}
	out := e.Feed([]byte("A\r\nB\r\nC\r\nD\r\nE\r\nF\r\n"))
	var got string
	for _, r := range out.Replies {
		got += r.Lines[0] + ";"
	}
	if got != "250 A;250 B;250 C;250 D;250 E;250 F;" {
		t.Errorf("replies %s", got)
	}
	if next := e.Feed([]byte("G\r\n")); len(next.Replies) != 1 || next.Replies[0].Lines[0] != "250 G" || out.Replies[0].Lines[0] != "250 A" {
		t.Errorf("next step: %v, first step now %v", next.Replies, out.Replies[0].Lines)
	}
}

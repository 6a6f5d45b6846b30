package relay_test

import (
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/relay"
	"smtplab/sandbox/sandboxtest"
)

// TestGreylistedThenDelivered: a server that greylists (RFC 6647) answers
// the first attempt with 450 4.7.1; the queue retries after 30 s, still
// too early for a 40 s delay (450 again, with the seconds left), then
// after another minute gets in: the message arrives, late, and nothing
// goes back to the sender.
func TestGreylistedThenDelivered(t *testing.T) {
	n, example, _ := standard(t)
	grey := sandbox.NewWorld(sandbox.Config{Name: "grey.test", Domain: "grey.test", Host: "mx.grey.test",
		Entries: []sandbox.Entry{{Local: "lucie", Kind: sandbox.KindUser, Password: "lucie"}},
		Clock:   n.clock.Now, AfterFunc: n.clock.AfterFunc, Greylist: 40 * time.Second})
	t.Cleanup(grey.Close)
	n.hosts["mx.grey.test"] = grey
	n.mx["grey.test"] = []relay.Hop{{Host: "mx.grey.test", Pref: 10, Addr: "198.51.100.60"}}
	rec := sandboxtest.Record(example)

	submit(t, example, "alice", []string{"lucie@grey.test"}, hello...)
	n.relays[example].RunDue()
	for _, step := range []time.Duration{30 * time.Second, time.Minute} {
		n.clock.Advance(step)
		n.relays[example].RunDue()
	}
	if q, got := example.Store.Queue(), grey.Store.Messages("lucie"); len(q) != 0 || len(got) != 1 {
		t.Fatalf("after three attempts: %d queued, lucie has %d", len(q), len(got))
	}
	want := "queued lucie@grey.test queue.queued; deferred lucie@grey.test queue.deferred.reply; " +
		"deferred lucie@grey.test queue.deferred.reply; relayed lucie@grey.test queue.relayed"
	if got := strings.Join(queueEvents(rec), "; "); got != want {
		t.Errorf("queue events:\n%s\nwant\n%s", got, want)
	}
	var replies []string
	for _, e := range rec.Events() {
		if q := e.Queue; q != nil && q.Action == sandbox.QueueDeferred {
			replies = append(replies, q.Reply.Lines[0])
		}
	}
	if len(replies) != 2 || !strings.HasPrefix(replies[0], "450 4.7.1 ") || !strings.HasSuffix(replies[0], "try again in 40 s") ||
		!strings.HasSuffix(replies[1], "try again in 10 s") {
		t.Errorf("the deferrals' replies: %q", replies)
	}
	if got := example.Store.Messages("alice"); len(got) != 0 {
		t.Errorf("alice got %d reports for mail that was only late", len(got))
	}
	explained(t, rec)
}

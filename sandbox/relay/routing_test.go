package relay_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/relay"
	"smtplab/sandbox/sandboxtest"
	"smtplab/storage"
)

// univ makes univ.test, whose MX is mx.univ.test (10) with a backup,
// mx2.univ.test (20), a server of its own that relays for univ.test.
func univ(t *testing.T, n *network) (primary, backup *sandbox.World) {
	n.mx["univ.test"] = []relay.Hop{{Host: "mx2.univ.test", Pref: 20}, {Host: "mx.univ.test", Pref: 10}}
	primary = n.server("univ.test", "mx.univ.test", []sandbox.Entry{
		{Local: "carol", Kind: sandbox.KindUser, Password: "carol"}}, sandbox.Limits{}, nil)
	backup = n.server("backup.univ.test", "mx2.univ.test", nil, sandbox.Limits{}, nil)
	return primary, backup
}

// TestBackupMX: with the primary MX down, the message goes to the backup,
// which keeps it in its own queue (it never hands it back to itself) and
// passes it to the primary once that is up again.
func TestBackupMX(t *testing.T) {
	n, example, _ := standard(t)
	primary, backup := univ(t, n)
	recB := sandboxtest.Record(backup)
	n.setDown("mx.univ.test", true)
	submit(t, example, "alice", []string{"carol@univ.test"}, "Subject: exam", "", "see you")
	n.relays[example].RunDue()
	if len(example.Store.Queue()) != 0 {
		t.Fatal("the backup MX did not take the message")
	}
	n.relays[backup].RunDue()
	q := backup.Store.Queue()
	if len(q) != 1 || q[0].Rcpts[0].Last.Reason != "queue.deferred.refused" || q[0].Rcpts[0].Last.Status != "4.4.1" {
		t.Fatalf("the backup's queue: %+v", q)
	}
	if got := q[0].Rcpts[0].Last.Text; got != "connect to mx.univ.test: Connection refused" {
		t.Errorf("the backup tried %q (it must skip itself)", got)
	}
	n.setDown("mx.univ.test", false)
	n.clock.Advance(30 * time.Second)
	n.relays[backup].RunDue()
	msgs := primary.Store.Messages("carol")
	if len(msgs) != 1 {
		t.Fatalf("carol has %d messages", len(msgs))
	}
	if got := strings.Count(string(msgs[0].Raw[:200+msgs[0].Trace]), "Received: from"); got != 3 {
		t.Errorf("carol's copy went through %d servers, want 3:\n%s", got, msgs[0].Raw)
	}
	explained(t, recB)
}

// TestDownMX: when no hop answers, the message waits; the attempt names
// every host tried, best preference first.
func TestDownMX(t *testing.T) {
	n, example, _ := standard(t)
	univ(t, n)
	n.setDown("mx.univ.test", true)
	n.setDown("mx2.univ.test", true)
	rec := sandboxtest.Record(example)
	submit(t, example, "alice", []string{"carol@univ.test"}, "Subject: exam", "", "see you")
	n.relays[example].RunDue()
	q := example.Store.Queue()
	if len(q) != 1 {
		t.Fatalf("queue: %+v", q)
	}
	if got := q[0].Rcpts[0].Last.Text; got != "connect to mx.univ.test, mx2.univ.test: Connection refused" {
		t.Errorf("attempt: %q", got)
	}
	explained(t, rec)
}

// TestNoMail: a null MX (RFC 7505) or a domain that does not exist fail at
// once, without retries, each with its own status; a lookup that fails
// for now defers.
func TestNoMail(t *testing.T) {
	for _, tc := range []struct {
		err            error
		action, status string
		reason         string
	}{
		{relay.ErrNullMX, sandbox.QueueFailed, "5.1.10", "queue.failed.null_mx"},
		{fmt.Errorf("lookup: %w", relay.ErrNoSuchDomain), sandbox.QueueFailed, "5.1.2", "queue.failed.no_domain"},
		{errors.New("server failure"), sandbox.QueueDeferred, "4.4.3", "queue.deferred.dns"},
	} {
		n, example, _ := standard(t)
		n.errs["nomail.test"] = tc.err
		rec := sandboxtest.Record(example)
		submit(t, example, "alice", []string{"x@nomail.test"}, "Subject: s", "", "b")
		n.relays[example].RunDue()
		var got *sandbox.QueueEvent
		for _, e := range rec.Events() {
			if e.Queue != nil && e.Queue.Action != sandbox.QueueQueued {
				got = e.Queue
			}
		}
		if got == nil || got.Action != tc.action || got.Reason != tc.reason || got.Attempts != 1 {
			t.Errorf("%v: event %+v", tc.err, got)
		}
		reports := example.Store.Messages("alice")
		if tc.action == sandbox.QueueFailed {
			if len(reports) != 1 || len(example.Store.Queue()) != 0 {
				t.Fatalf("%v: %d reports, %d queued", tc.err, len(reports), len(example.Store.Queue()))
			}
			d := parseReport(t, reports[0].Raw[reports[0].Trace:])
			if r := d.recipients[0]; r.get("Status") != tc.status || r.get("Remote-MTA") != "" ||
				!strings.HasPrefix(r.get("Diagnostic-Code"), "X-Smtplab; ") {
				t.Errorf("%v: report %v", tc.err, r)
			}
		} else if q := example.Store.Queue(); len(q) != 1 || q[0].Rcpts[0].Last.Status != tc.status || len(reports) != 0 {
			t.Errorf("%v: queue %+v, %d reports", tc.err, q, len(reports))
		}
		explained(t, rec)
	}
}

// TestAFallback: a domain without MX is served by its A record, which the
// resolver gives as the one hop (RFC 5321 §5.1).
func TestAFallback(t *testing.T) {
	n, example, _ := standard(t)
	n.mx["solo.test"] = []relay.Hop{{Host: "solo.test", Pref: 0, Addr: "203.0.113.5"}}
	solo := n.server("solo.test", "solo.test", []sandbox.Entry{{Local: "sam", Kind: sandbox.KindUser}}, sandbox.Limits{}, nil)
	submit(t, example, "alice", []string{"sam@solo.test"}, "Subject: s", "", "b")
	n.relays[example].RunDue()
	if len(solo.Store.Messages("sam")) != 1 {
		t.Error("the A record's host did not get the message")
	}
}

// TestNextHopAfter421: a hop that refuses the whole session for now (421
// at the banner, as a server with too many sessions answers) passes the
// recipients to the next one.
func TestNextHopAfter421(t *testing.T) {
	n, example, _ := standard(t)
	primary, backup := univ(t, n)
	n.mx["univ.test"] = []relay.Hop{{Host: "mx2.univ.test", Pref: 5}, {Host: "mx.univ.test", Pref: 10}}
	n.relays[example].SetOpen(func(w *sandbox.World, p sandbox.Peer) sandbox.Session {
		s := engine.New(w, sandbox.SMTP, p)
		if w == backup {
			return full{s}
		}
		return s
	})
	rec := sandboxtest.Record(backup)
	submit(t, example, "alice", []string{"carol@univ.test"}, "Subject: s", "", "b")
	n.relays[example].RunDue()
	if len(primary.Store.Messages("carol")) != 1 {
		t.Errorf("carol has %d messages: the second hop was not tried", len(primary.Store.Messages("carol")))
	}
	if r := rec.Replies(); len(r) != 1 || r[0].Code != 421 {
		t.Errorf("the full server's replies: %v", r)
	}
}

// full is a session of a server that is full: it is refused at once.
type full struct{ sandbox.Session }

func (f full) Start() sandbox.Output { return f.Refuse() }

// TestLoopStops: two servers that each take the other for the MX of a
// domain pass a message back and forth, a Received line more each time,
// until one refuses it (554 5.4.6, RFC 5321 §6.3) and the sender is told.
func TestLoopStops(t *testing.T) {
	n, example, other := standard(t)
	n.mx["loop.test"] = []relay.Hop{{Host: "mx.other.test", Pref: 10}}
	// other.test sends loop.test mail back to example.test.
	loopBack := &swapped{network: n, domain: "loop.test", from: other,
		hops: []relay.Hop{{Host: "mail.example.test", Pref: 10}}}
	n.relays[other] = relay.Start(other, relay.Config{Hops: loopBack, Servers: n, Addr: "198.51.100.11"})
	submit(t, example, "alice", []string{"x@loop.test"}, "Subject: round", "", "and round")
	n.runAll()
	reports := example.Store.Messages("alice")
	if len(reports) != 1 {
		t.Fatalf("alice got %d reports, want 1", len(reports))
	}
	d := parseReport(t, reports[0].Raw[reports[0].Trace:])
	r := d.recipients[0]
	if r.get("Status") != "5.4.6" || !strings.Contains(r.get("Diagnostic-Code"), "554 5.4.6 Too many hops: 101 Received lines") {
		t.Errorf("report: %v", r)
	}
}

// swapped answers NextHops for one domain its own way.
type swapped struct {
	*network
	domain string
	from   *sandbox.World
	hops   []relay.Hop
}

func (s *swapped) NextHops(domain string) ([]relay.Hop, error) {
	if domain == s.domain {
		return s.hops, nil
	}
	return s.network.NextHops(domain)
}

// TestOwnHostFirst: a server that is itself the best MX of a domain it does
// not keep would hand the message to itself: it fails it instead.
func TestOwnHostFirst(t *testing.T) {
	n, example, _ := standard(t)
	n.mx["mine.test"] = []relay.Hop{{Host: "mail.example.test", Pref: 10}, {Host: "mx.other.test", Pref: 20}}
	rec := sandboxtest.Record(example)
	submit(t, example, "alice", []string{"x@mine.test"}, "Subject: s", "", "b")
	n.relays[example].RunDue()
	want := "queued x@mine.test queue.queued; failed x@mine.test queue.failed.loops_back"
	if got := strings.Join(queueEvents(rec), "; "); got != want {
		t.Errorf("queue events: %s", got)
	}
	explained(t, rec)
}

// TestRemoteBounceComesBack: a mailbox that is full on the other server is
// accepted there, then bounced: that server's report goes to alice through
// its own queue and a session back to mail.example.test.
func TestRemoteBounceComesBack(t *testing.T) {
	n, example, other := standard(t)
	recB := sandboxtest.Record(other)
	submit(t, example, "alice", []string{"full@other.test"}, hello...)
	n.runAll()
	reports := example.Store.Messages("alice")
	if len(reports) != 1 {
		t.Fatalf("alice got %d messages, want the report", len(reports))
	}
	m := reports[0]
	raw := string(m.Raw)
	if *m.Envelope.From != "" || !strings.Contains(raw, "Received: from mx.other.test") ||
		!strings.Contains(raw, "Reporting-MTA: dns; mx.other.test") || !strings.Contains(raw, "Status: 5.2.2") {
		t.Errorf("the report as alice got it:\n%s", raw)
	}
	if got := strings.Join(queueEvents(recB), "; "); got != "queued alice@example.test queue.queued.report; relayed alice@example.test queue.relayed" {
		t.Errorf("other.test's queue: %s", got)
	}
	explained(t, recB)
}

// TestRestart: a message acknowledged with 250 survives a restart of the
// process: its queue entry is in the database, and the new runner sends it.
func TestRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db, err := storage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, _, other := standard(t)
	n.setDown("mx.other.test", true)
	example := n.server("example.test", "mail.example.test", nil, sandbox.Limits{}, db.Mailboxes("default"))
	if out := submit(t, example, "alice", []string{"bob@other.test"}, hello...); !strings.Contains(out, "250 2.0.0 Ok: queued") {
		t.Fatalf("not accepted:\n%s", out)
	}
	n.relays[example].RunDue() // deferred: the next server is down
	example.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = storage.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n.setDown("mx.other.test", false)
	again := n.server("example.test", "mail.example.test", nil, sandbox.Limits{}, db.Mailboxes("default"))
	q := again.Store.Queue()
	if len(q) != 1 || q[0].Attempts != 1 || q[0].Rcpts[0].Last == nil {
		t.Fatalf("the queue after a restart: %+v", q)
	}
	if got := n.clock.pending(); len(got) == 0 || got[0] != 30*time.Second {
		t.Errorf("the new runner did not schedule the entry: %v", got)
	}
	n.clock.Advance(30 * time.Second)
	n.relays[again].RunDue()
	if len(again.Store.Queue()) != 0 || len(other.Store.Messages("bob")) != 1 {
		t.Errorf("after the restart: queue %d, bob %d", len(again.Store.Queue()), len(other.Store.Messages("bob")))
	}
}

// TestClosed: a closed runner runs nothing and arms no timer; the world
// without a relay refuses to relay again.
func TestClosed(t *testing.T) {
	n, example, _ := standard(t)
	r := n.relays[example]
	example.Close()
	if example.Relay() != nil {
		t.Fatal("the world still has its relay after Close")
	}
	out := submit(t, example, "alice", []string{"bob@other.test"}, hello...)
	if !strings.Contains(out, "554 5.7.1 <bob@other.test>: Relay access denied") {
		t.Errorf("without a relay:\n%s", out)
	}
	r.Queued()
	r.RunDue()
	if got := n.clock.pending(); len(got) != 0 {
		t.Errorf("a closed runner armed %v", got)
	}
}

// TestStartWithoutNetwork: no resolver or no servers, no relay.
func TestStartWithoutNetwork(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	if r := relay.Start(w, relay.Config{}); r != nil || w.Relay() != nil {
		t.Error("Start without a network made a relay")
	}
}

// TestFuncAdapters: plain functions serve as the network, as an adapter to
// another package's resolver does.
func TestFuncAdapters(t *testing.T) {
	n, example, other := standard(t)
	r := relay.Start(example, relay.Config{
		Hops:    relay.ResolverFunc(func(string) ([]relay.Hop, error) { return []relay.Hop{{Host: "mx.other.test"}}, nil }),
		Servers: relay.ServersFunc(n.ServerByHost),
	})
	submit(t, example, "alice", []string{"bob@other.test"}, hello...)
	r.RunDue()
	if len(other.Store.Messages("bob")) != 1 {
		t.Error("not delivered through the adapters")
	}
}

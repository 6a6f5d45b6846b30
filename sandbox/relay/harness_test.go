package relay_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/relay"
	"smtplab/sandbox/sandboxtest"
	"smtplab/sandbox/smtp"
)

// clock is the fake time of a test network: it moves only when the test
// says, and its timers never fire on their own: the test reads when the
// runner asked to be woken, moves the clock, and calls RunDue.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
}

type timer struct {
	at      time.Time
	stopped bool
}

func newClock() *clock { return &clock{now: sandboxtest.Clock} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *clock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d)}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// pending is how long from now the timers still armed are due, soonest first.
func (c *clock) pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, t := range c.timers {
		if !t.stopped {
			out = append(out, t.at.Sub(c.now))
		}
	}
	slices.Sort(out)
	return out
}

// network is a small sandbox: worlds by host, MX records by domain.
type network struct {
	t      *testing.T
	clock  *clock
	hosts  map[string]*sandbox.World
	down   map[string]bool // hosts whose server refuses connections
	mx     map[string][]relay.Hop
	errs   map[string]error
	ids    uint64
	mu     sync.Mutex
	relays map[*sandbox.World]*relay.Runner
}

func newNetwork(t *testing.T) *network {
	return &network{t: t, clock: newClock(), hosts: map[string]*sandbox.World{}, down: map[string]bool{},
		mx: map[string][]relay.Hop{}, errs: map[string]error{}, relays: map[*sandbox.World]*relay.Runner{}}
}

func (n *network) NextHops(domain string) ([]relay.Hop, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.errs[domain]; err != nil {
		return nil, err
	}
	return slices.Clone(n.mx[domain]), nil
}

func (n *network) ServerByHost(host string) *sandbox.World {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.down[host] {
		return nil
	}
	return n.hosts[host]
}

func (n *network) setDown(host string, down bool) {
	n.mu.Lock()
	n.down[host] = down
	n.mu.Unlock()
}

// server adds the world of domain, served by host (its MX, preference 10),
// with a relay, and the given store (nil: in memory).
func (n *network) server(domain, host string, entries []sandbox.Entry, limits sandbox.Limits, store sandbox.Store) *sandbox.World {
	n.ids += 0x100000000000
	first := n.ids
	var mu sync.Mutex
	limits.AuthFailDelay = -1
	w := sandbox.NewWorld(sandbox.Config{
		Name: domain, Domain: domain, Host: host, Entries: entries, Limits: limits, Store: store,
		Clock: n.clock.Now, AfterFunc: n.clock.AfterFunc,
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			first++
			return fmt.Sprintf("%012X", first)
		},
	})
	addr := fmt.Sprintf("198.51.100.%d", 10+len(n.hosts)) // TEST-NET-2, one per host
	n.hosts[host] = w
	if _, ok := n.mx[domain]; !ok {
		n.mx[domain] = []relay.Hop{{Host: host, Pref: 10, Addr: addr}}
	}
	n.relays[w] = relay.Start(w, relay.Config{Hops: n, Servers: n, Addr: addr})
	n.t.Cleanup(w.Close)
	return w
}

// runAll runs every world's queue until none has anything due now.
func (n *network) runAll() {
	for range 1000 {
		busy := false
		for w, r := range n.relays {
			if len(w.Store.Due(n.clock.Now())) > 0 {
				busy = true
				r.RunDue()
			}
		}
		if !busy {
			return
		}
	}
	n.t.Fatal("the queues never settle")
}

// standard is example.test (alice, bob, carol, full…) and other.test (bob,
// zoe refused, full), each with its server.
func standard(t *testing.T) (n *network, example, other *sandbox.World) {
	n = newNetwork(t)
	example = n.server("example.test", "mail.example.test", nil, sandbox.Limits{}, nil)
	other = n.server("other.test", "mx.other.test", []sandbox.Entry{
		{Local: "bob", Kind: sandbox.KindUser, FullName: "Bob Lefèvre", Password: "bob"},
		{Local: "dan", Kind: sandbox.KindUser, Password: "dan"},
		{Local: "full", Kind: sandbox.KindUser, Password: "full", Quota: sandbox.FullQuota},
	}, sandbox.Limits{}, nil)
	return n, example, other
}

// submit sends a message as a logged-in alice over the submission service,
// encrypted from the first byte (RFC 8314), and returns the server's output.
func submit(t *testing.T, w *sandbox.World, user string, rcpts []string, text ...string) string {
	t.Helper()
	tls := sandboxtest.TestTLS
	s := smtp.NewSession(w, sandbox.Peer{Remote: "192.0.2.7:50123", Transport: "test", Service: sandbox.Submission, TLS: &tls})
	lines := []string{"EHLO laptop.example.test", "AUTH PLAIN " + plain(user), "MAIL FROM:<" + user + "@" + w.Domain + ">"}
	for _, r := range rcpts {
		lines = append(lines, "RCPT TO:<"+r+">")
	}
	lines = append(append(append(lines, "DATA"), text...), ".", "QUIT")
	out := string(s.Start().Bytes())
	return out + string(sandbox.FeedAll(s, []byte(strings.Join(lines, "\r\n")+"\r\n")).Bytes())
}

// plain is an AUTH PLAIN initial response for a sandbox user, whose
// password is the user's name.
func plain(user string) string {
	return b64("\x00" + user + "\x00" + user)
}

// queueEvents lists a recorder's queue events as "action recipient reason".
func queueEvents(rec *sandboxtest.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		if q := e.Queue; q != nil {
			out = append(out, q.Action+" "+q.Recipient+" "+q.Reason)
		}
	}
	return out
}

// explained checks that every queue and delivery event of rec has an
// explanation in both languages with every placeholder filled.
func explained(t *testing.T, rec *sandboxtest.Recorder) {
	t.Helper()
	for _, e := range rec.Events() {
		var key string
		var args map[string]string
		switch {
		case e.Queue != nil:
			key, args = e.Queue.Reason, e.Queue.Args
		case e.Delivery != nil && e.Delivery.Status == sandbox.Dropped:
			key, args = "delivery.dropped."+e.Delivery.Args["why"], e.Delivery.Args
		case e.Delivery != nil:
			key, args = e.Delivery.Reason, e.Delivery.Args
		default:
			continue
		}
		for _, l := range catalog.Locales {
			text, ok := catalog.Text(l, key, args)
			if !ok || strings.Contains(text, "{") {
				t.Errorf("%s: %s event: %q explained as %q", l, e.Kind, key, text)
			}
		}
	}
}

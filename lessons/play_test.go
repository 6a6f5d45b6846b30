package lessons

import (
	"strings"
	"sync"
	"testing"
	"time"

	"smtplab/certs"
	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/dns"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/network"
	"smtplab/sandbox/sandboxtest"
	"smtplab/shell"
)

// A lesson's terminal is played as in the browser: the practice world is
// the home of the built-in network (package network), so the terminal
// reaches mail.example.test and the other servers (mx.other.test,
// mx1.univ.test…), dig, host and nslookup ask the network's DNS, mailq
// lists the practice server's queue, and mail for another domain travels
// through the relay's own SMTP sessions. A class lesson's terminal also
// reaches the class's server.

// playNet is one terminal's sandbox in a test, and the events its checker
// gets.
type playNet struct {
	home  *sandbox.World
	class *sandbox.World // nil for a practice lesson
	net   *network.Network
	live  *network.Live

	mu      sync.Mutex
	changed chan struct{} // closed and replaced at each event
	evs     []sandbox.Event
	relays  map[relayKey]string // open relay sessions → their id for the checker
	cancels []func()            // the subscriptions, ended once the network is stopped
}

// relayKey names a session in its world: ids are unique within one only.
type relayKey struct {
	w  *sandbox.World
	id string
}

// newPlayNet starts the network around home; class, if not nil, is a
// class's world the terminal reaches too.
func newPlayNet(t *testing.T, home, class *sandbox.World) *playNet {
	t.Helper()
	p := alone(t, home, class)
	p.net = network.Default()
	p.live = p.net.Start(home, p.net.Resolver(), network.Options{
		NewWorld: func(c sandbox.Config) *sandbox.World {
			c.Limits.AuthFailDelay = -1
			c.Clock = home.Now
			return sandbox.NewWorld(c)
		},
		OnWorld: p.watch, // maybe in a queue runner's goroutine
	})
	t.Cleanup(p.live.Close)
	return p
}

// alone is home (and class) without the network: no other server, no
// DNS, no relay; mail for another domain is refused even after AUTH.
func alone(t *testing.T, home, class *sandbox.World) *playNet {
	p := &playNet{home: home, class: class, changed: make(chan struct{}), relays: map[relayKey]string{}}
	t.Cleanup(func() {
		p.mu.Lock()
		cancels := p.cancels
		p.mu.Unlock()
		for _, cancel := range cancels {
			cancel()
		}
	})
	p.watch(home)
	if class != nil {
		p.watch(class)
	}
	return p
}

// watch records the events of w, as the browser's terminal gets them: a
// relay session's under an id of its own, "<host>/<id>", since ids are
// unique within a world only.
func (p *playNet) watch(w *sandbox.World) {
	cancel := w.Subscribe(func(ev sandbox.Event) {
		p.mu.Lock()
		defer p.mu.Unlock()
		k := relayKey{w, ev.Session}
		if ev.Kind == sandbox.EventOpen && ev.Open != nil && ev.Open.Transport == sandbox.TransportRelay {
			p.relays[k] = w.Host + "/" + ev.Session
		}
		if id, ok := p.relays[k]; ok && ev.Session != "" {
			ev.Session = id // a copy: other subscribers keep theirs
			if ev.Kind == sandbox.EventClose {
				delete(p.relays, k)
			}
		}
		p.evs = append(p.evs, ev)
		close(p.changed)
		p.changed = make(chan struct{})
	})
	p.mu.Lock()
	p.cancels = append(p.cancels, cancel)
	p.mu.Unlock()
}

// events returns what was recorded so far.
func (p *playNet) events() []sandbox.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]sandbox.Event(nil), p.evs...)
}

// relayWait bounds how long a test waits for the queue runners, which run
// in their own goroutines, to finish what the typed lines gave them.
const relayWait = 10 * time.Second

// settle waits until the queues have done what they can for now with
// every message the events say was queued (see settled).
func (p *playNet) settle(t *testing.T) {
	t.Helper()
	deadline := time.NewTimer(relayWait)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		done, changed := settled(p.evs), p.changed
		p.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("the queues did not finish within %v:\n%s", relayWait, queueTrace(p.events()))
		}
	}
}

// settled reports whether every recipient the events say was queued has
// been tried once (relayed, deferred or failed), every failure has its
// delivery event, and every report sent for a failure has been delivered
// or queued in its turn.
func settled(evs []sandbox.Event) bool {
	type rcpt struct{ id, addr string }
	untried := map[rcpt]bool{}
	unreported := map[rcpt]bool{} // failed, its delivery event still to come
	reports := map[string]int{}   // sender → reports on their way to them
	for _, ev := range evs {
		switch q, d := ev.Queue, ev.Delivery; {
		case q != nil:
			k := rcpt{q.ID, q.Recipient}
			delete(untried, k)
			switch q.Action {
			case sandbox.QueueQueued:
				untried[k] = true
				if q.Reason == "queue.queued.report" {
					reports[q.Recipient]--
				}
			case sandbox.QueueFailed:
				unreported[k] = true
			}
		case d != nil && d.Reason == "delivery.relay_failed":
			k := rcpt{d.MessageID, d.Recipient}
			if unreported[k] && d.Status == sandbox.Bounced {
				reports[d.Args["sender"]]++
			}
			delete(unreported, k)
		case d != nil && d.Reason == "delivery.bounce":
			reports[d.Recipient]--
		}
	}
	for _, n := range reports {
		if n > 0 {
			return false
		}
	}
	return len(untried) == 0 && len(unreported) == 0
}

// queueTrace is what the queues did, for a failing test.
func queueTrace(evs []sandbox.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		switch {
		case ev.Queue != nil:
			b.WriteString("queue " + ev.Queue.Action + " " + ev.Queue.ID + " " + ev.Queue.Recipient + " " + ev.Queue.Reason + "\n")
		case ev.Delivery != nil:
			b.WriteString("delivery " + ev.Delivery.Status + " " + ev.Delivery.MessageID + " " + ev.Delivery.Recipient + " " + ev.Delivery.Reason + "\n")
		}
	}
	return b.String()
}

// resolve finds the server a host name reaches, as the browser's shell
// does: the practice server, the class's, or one of the network's, at the
// address its DNS gives; a network host that is down has an address and
// runs nothing, so a connection to it is refused.
func (p *playNet) resolve(name string) (shell.Host, bool) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, w := range []*sandbox.World{p.home, p.class} {
		if w != nil && strings.EqualFold(w.Host, name) {
			return shell.Host{Address: "192.0.2.25", Server: w, Services: shell.AllServices()}, true
		}
	}
	if p.live == nil {
		return shell.Host{}, false
	}
	recs, err := p.live.Resolver().A(name)
	if err != nil || len(recs) == 0 {
		return shell.Host{}, false
	}
	h := shell.Host{Address: recs[0].Addr.String()}
	if w := p.live.ServerByHost(name); w != nil {
		h.Server, h.Services, h.Name = w, []string{"smtp"}, name // an MTA: port 25 only
	}
	return h, true
}

// terminal types lines as the browser terminal does, through its shell
// (package shell): at the prompt, telnet, nc or openssl s_client opens a
// session with the server of that name, dig, host and nslookup answer
// from the network's DNS and mailq lists the practice server's queue;
// inside a session, each line goes to it as the program sends it.
type terminal struct {
	t       *testing.T
	net     *playNet
	term    *shell.Terminal
	printed []shell.Line
}

func newTerminal(t *testing.T, p *playNet) *terminal {
	term := &terminal{t: t, net: p}
	sh := &shell.Shell{Resolver: shell.ResolverFunc(p.resolve), Certificate: testCertificate(t), Host: "mail.example.test", CommandLetters: true}
	if p.live != nil {
		sh.DNS = &dns.Client{Resolver: p.live.Resolver(), Now: p.home.Now, Down: p.net.Refuses}
		sh.Queue, sh.Now = p.home.Store.Queue, p.home.Now
	}
	term.term = &shell.Terminal{
		Shell: sh,
		NewSession: func(server any, proto sandbox.Proto, peer sandbox.Peer) sandbox.Session {
			return engine.New(server.(*sandbox.World), proto, peer)
		},
		Peer:    sandboxtest.Peer,
		Printed: func(l shell.Line) { term.printed = append(term.printed, l) },
	}
	return term
}

// typeLine types one line, then waits for the queue runners, as a student
// types slower than they run. A line at the prompt that is neither a
// lookup nor mailq must open a session, or fail to as a student's
// attempt can (a name without an address, a host that refuses): anything
// else is a mistake of the test.
func (term *terminal) typeLine(line string) {
	term.t.Helper()
	defer term.net.settle(term.t)
	if term.term.Connected() {
		term.term.Type(line)
		return
	}
	term.printed = nil
	term.term.Type(line)
	if term.term.Connected() || lookupCommand(line) || term.unreachable() {
		return
	}
	var text []string
	for _, l := range term.printed {
		text = append(text, l.Text(catalog.EN))
	}
	term.t.Fatalf("at the shell prompt, %q opened no session:\n%s", line, strings.Join(text, "\n"))
}

// lookupCommand reports whether a prompt line runs a program that opens
// no session.
func lookupCommand(line string) bool {
	switch cmd, _, _ := strings.Cut(strings.TrimSpace(line), " "); cmd {
	case "dig", "host", "nslookup", "mailq":
		return true
	}
	return false
}

// unreachable reports whether the last prompt line's program could not
// connect: its host name has no address, or the host refused.
func (term *terminal) unreachable() bool {
	for _, l := range term.printed {
		if l.Kind == shell.Err && (strings.HasSuffix(l.Key, ".refused") || strings.HasSuffix(l.Key, ".lookup")) {
			return true
		}
	}
	return false
}

// testCertificate is what the terminal's TLS presents, made once.
var testCertificate = func() func(*testing.T) shell.Certificate {
	var once sync.Once
	var cert shell.Certificate
	var err error
	return func(t *testing.T) shell.Certificate {
		once.Do(func() {
			var c *certs.Cert
			if c, err = certs.Load(certs.Config{Names: []string{"mail.example.test"}}); err == nil {
				cert = shell.Describe(c.Leaf)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
}()

// play types lines in a fresh practice world, the home of its network,
// and returns it with every event seen.
func play(t *testing.T, lines ...string) (*sandbox.World, []sandbox.Event) {
	t.Helper()
	w := sandboxtest.NewWorld(sandbox.Limits{})
	return w, playIn(t, w, nil, lines...)
}

// playAlone is play in a practice world without the network around it,
// as smtplab runs with no other server: nothing is relayed.
func playAlone(t *testing.T, lines ...string) (*sandbox.World, []sandbox.Event) {
	t.Helper()
	w := sandboxtest.NewWorld(sandbox.Limits{})
	return w, typeIn(t, alone(t, w, nil), lines...)
}

// playIn types lines in a terminal around home (and class, if not nil),
// and returns the events of all their servers, in the order they happened.
func playIn(t *testing.T, home, class *sandbox.World, lines ...string) []sandbox.Event {
	t.Helper()
	return typeIn(t, newPlayNet(t, home, class), lines...)
}

// typeIn types lines in a terminal of p and returns the events it got.
func typeIn(t *testing.T, p *playNet, lines ...string) []sandbox.Event {
	t.Helper()
	term := newTerminal(t, p)
	for _, l := range lines {
		term.typeLine(l)
	}
	return p.events()
}

// testClass is the student who plays class lessons in tests: lea, with tom
// and zoe for classmates, in the class world of classWorld.
var testClass = ClassVars{Host: "mail.class.test", Domain: "class.test", Me: "lea", Mate1: "tom", Mate2: "zoe"}

// classWorld is a class's world for tests: domain class.test, three
// students (passwords equal names), the list team of the three, and the
// teacher's mailbox postmaster.
func classWorld() *sandbox.World {
	return sandbox.NewWorld(sandbox.Config{
		Name:   "class-test",
		Domain: "class.test",
		Entries: []sandbox.Entry{
			{Local: "lea", Kind: sandbox.KindUser, FullName: "Léa", Password: "lea"},
			{Local: "tom", Kind: sandbox.KindUser, FullName: "Tom", Password: "tom"},
			{Local: "zoe", Kind: sandbox.KindUser, FullName: "Zoé", Password: "zoe"},
			{Local: "team", Kind: sandbox.KindList, FullName: "Team", Members: []string{"lea", "tom", "zoe"}},
			{Local: "postmaster", Kind: sandbox.KindUser, FullName: "Postmaster", Password: "postmaster"},
		},
		Limits: sandbox.Limits{AuthFailDelay: -1},
		Clock:  func() time.Time { return sandboxtest.Clock },
	})
}

// playLesson types lines where a student of lesson l works, and returns the
// world its checker follows with the events seen. A class lesson's
// terminal reaches the class server and, beside it, the practice server.
func playLesson(t *testing.T, l *Lesson, lines ...string) (*sandbox.World, []sandbox.Event) {
	t.Helper()
	if l.World != WorldClass {
		return play(t, lines...)
	}
	class := classWorld()
	return class, playIn(t, sandboxtest.NewWorld(sandbox.Limits{}), class, lines...)
}

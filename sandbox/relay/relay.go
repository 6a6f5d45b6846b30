// Package relay carries a world's queued mail to the other servers of the
// sandbox. For each message that is due it asks the network for the next
// hops of each recipient's domain (its MX records, best first), finds the
// server behind each host name, and runs a real SMTP session with it in
// the same process: the sending side played by package smtpclient, the
// receiving side by that server's own engine, whose events go to its
// world like any session's, its open event naming the sending server
// and the queue id of the message it carries (sandbox.Via). A temporary
// failure (4xx, no server, no answer) keeps the message queued and
// retried on the world's schedule (Limits.QueueRetry…); a permanent one
// (5xx, a domain that takes no mail), or the queue's lifetime passed,
// sends a delivery status notification to the envelope sender (package
// dsn), whose events name the message it reports on (Original).
package relay

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/dsn"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/smtpclient"
)

// Hop is one server a domain's mail can be handed to.
type Hop struct {
	Host string // its name, e.g. "mx.other.test"
	Pref int    // its MX preference: the lowest is tried first
	Addr string // its address
}

// Resolver finds the next hops of a domain: its MX records, or its A
// record when it has none (RFC 5321 §5.1).
type Resolver interface {
	// NextHops returns the hops in any order; ErrNoSuchDomain and
	// ErrNullMX (wrapped or not) say that no mail can ever go there, any
	// other error that the lookup failed for now.
	NextHops(domain string) ([]Hop, error)
}

// Answers of a Resolver on which the queue gives up at once.
var (
	ErrNoSuchDomain = errors.New("no such domain")                   // no MX and no A record
	ErrNullMX       = errors.New("domain accepts no mail (null MX)") // RFC 7505
)

// Servers finds the sandbox's server that answers on a host.
type Servers interface {
	// ServerByHost returns the world whose SMTP server runs on host, or nil
	// when none does: the connection is refused.
	ServerByHost(host string) *sandbox.World
}

// ResolverFunc is a function that serves as a Resolver: the adapter to
// another package's lookup.
type ResolverFunc func(domain string) ([]Hop, error)

func (f ResolverFunc) NextHops(domain string) ([]Hop, error) { return f(domain) }

// ServersFunc is a function that serves as Servers.
type ServersFunc func(host string) *sandbox.World

func (f ServersFunc) ServerByHost(host string) *sandbox.World { return f(host) }

// Config is what a Runner needs of the network.
type Config struct {
	Hops    Resolver
	Servers Servers
	// Addr is the sending server's own address, as the next server sees
	// it (its A record); default its host name.
	Addr string
}

// Runner is one world's queue runner. At most one runs per world: Start
// replaces the world's previous relay. It is safe for concurrent use.
type Runner struct {
	w       *sandbox.World
	hops    Resolver
	servers Servers
	addr    string
	// open starts a session with a server's engine (engine.New).
	open func(*sandbox.World, sandbox.Peer) sandbox.Session

	run sync.Mutex // one run of the queue at a time

	tmu    sync.Mutex // guards the fields below
	stop   func() bool
	closed bool
}

var _ sandbox.Relay = (*Runner)(nil)

// Start makes a runner the relay of w and schedules what w's queue already
// holds (mail left from before a restart). Without Hops or Servers it does
// nothing and returns nil: the world keeps delivering to itself and its
// neighbours only.
func Start(w *sandbox.World, c Config) *Runner {
	if c.Hops == nil || c.Servers == nil {
		return nil
	}
	r := &Runner{w: w, hops: c.Hops, servers: c.Servers, addr: c.Addr, open: func(w *sandbox.World, p sandbox.Peer) sandbox.Session {
		return engine.New(w, sandbox.SMTP, p)
	}}
	if r.addr == "" {
		r.addr = w.Host
	}
	w.SetRelay(r)
	r.schedule(false)
	return r
}

// Queued runs the queue as soon as possible: a message was just queued.
func (r *Runner) Queued() { r.wake(0) }

// Close stops the timer and waits for a run under way; what is queued
// stays in the store for the next runner.
func (r *Runner) Close() {
	r.tmu.Lock()
	r.closed = true
	if r.stop != nil {
		r.stop()
	}
	r.tmu.Unlock()
	r.run.Lock()
	r.run.Unlock()
}

// RunDue attempts every entry of the queue that is due on the world's
// clock, then sets the timer for the next one. The timer calls it; tests
// call it after moving their clock.
func (r *Runner) RunDue() {
	r.run.Lock()
	defer r.run.Unlock()
	if r.isClosed() {
		return
	}
	failed := false
	for _, q := range r.w.Store.Due(r.w.Now()) {
		if r.attempt(q) != nil {
			failed = true
		}
	}
	r.schedule(failed)
}

func (r *Runner) isClosed() bool {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	return r.closed
}

// schedule sets the timer for the earliest entry. After a run whose
// results the store could not keep, the next is no sooner than one retry
// interval: a store that is down is not hammered.
func (r *Runner) schedule(storeFailed bool) {
	queue := r.w.Store.Queue()
	if len(queue) == 0 {
		r.tmu.Lock()
		if r.stop != nil {
			r.stop() // a run called by hand leaves no timer behind for nothing
			r.stop = nil
		}
		r.tmu.Unlock()
		return
	}
	next := queue[0].NextTry
	for _, q := range queue[1:] {
		if q.NextTry.Before(next) {
			next = q.NextTry
		}
	}
	d := max(next.Sub(r.w.Now()), 0)
	if storeFailed {
		d = max(d, r.w.Limits.QueueRetry)
	}
	r.wake(d)
}

// wake sets the one timer of the runner to run the queue in d.
func (r *Runner) wake(d time.Duration) {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	if r.closed {
		return
	}
	if r.stop != nil {
		r.stop()
	}
	r.stop = r.w.AfterFunc(d, r.RunDue)
}

// outcome is what one attempt gave for one recipient.
type outcome struct {
	rcpt    string
	status  smtpclient.Status
	attempt sandbox.Attempt
	session string            // the relay session's id in the next server's world
	reply   *smtpclient.Reply // what that server answered, if anything
	expired bool              // given up because the queue's lifetime passed
	args    []string          // the queue event's arguments
}

// attempt tries every recipient of q once, records what is left to try,
// reports on what failed and tells the watchers. It returns the store's
// error when it could not record the attempt.
func (r *Runner) attempt(q sandbox.Queued) error {
	q.Attempts++
	var all []*outcome
	for _, group := range byDomain(q.Rcpts) {
		all = append(all, r.tryDomain(q, group.domain, group.rcpts)...)
	}
	now := r.w.Now()
	limits := r.w.Limits
	expired := now.Sub(q.Arrived) >= limits.QueueLifetime
	var left []sandbox.QueuedRcpt
	var failed []*outcome
	for _, o := range all {
		switch {
		case o.status == smtpclient.Deferred && expired:
			o.status, o.expired = smtpclient.Failed, true
			failed = append(failed, o)
		case o.status == smtpclient.Deferred:
			left = append(left, sandbox.QueuedRcpt{Addr: o.rcpt, Last: &o.attempt})
		case o.status == smtpclient.Failed:
			failed = append(failed, o)
		}
	}
	var err error
	if len(left) > 0 {
		q.Rcpts, q.NextTry = left, now.Add(limits.RetryAfter(q.Attempts))
		err = r.w.Store.Reschedule(q)
	} else {
		err = r.w.Store.Dequeue(q.ID)
	}
	for _, o := range all {
		r.publish(q, o)
	}
	if len(failed) > 0 {
		r.bounce(q, failed)
	}
	return err
}

// domainGroup is the recipients of one domain, which share a session.
type domainGroup struct {
	domain string
	rcpts  []string
}

// byDomain groups recipients by domain, in the order they come.
func byDomain(rcpts []sandbox.QueuedRcpt) []domainGroup {
	var out []domainGroup
	for _, rc := range rcpts {
		domain := strings.ToLower(rc.Addr[strings.LastIndexByte(rc.Addr, '@')+1:])
		i := slices.IndexFunc(out, func(g domainGroup) bool { return g.domain == domain })
		if i < 0 {
			out = append(out, domainGroup{domain: domain})
			i = len(out) - 1
		}
		out[i].rcpts = append(out[i].rcpts, rc.Addr)
	}
	return out
}

// tryDomain hands the recipients of one domain to its next hops: the
// first server that answers gets them. A host with no server behind it
// (connection refused), or a server that fails the whole session for now
// (421, no answer) before any RCPT, passes them to the next hop.
func (r *Runner) tryDomain(q sandbox.Queued, domain string, rcpts []string) []*outcome {
	at := r.w.Now()
	hops, err := r.hops.NextHops(domain)
	switch {
	case errors.Is(err, ErrNoSuchDomain):
		return same(rcpts, r.noReply(at, smtpclient.Failed, "5.1.2", "no_domain", "domain", domain))
	case errors.Is(err, ErrNullMX):
		// RFC 7505 §3.2: fail at once, with X.1.10.
		return same(rcpts, r.noReply(at, smtpclient.Failed, "5.1.10", "null_mx", "domain", domain))
	case err != nil:
		return same(rcpts, r.noReply(at, smtpclient.Deferred, "4.4.3", "dns", "domain", domain))
	}
	hops, loops := r.usable(hops)
	if len(hops) == 0 {
		if loops {
			return same(rcpts, r.noReply(at, smtpclient.Failed, "5.4.6", "loops_back", "domain", domain))
		}
		return same(rcpts, r.noReply(at, smtpclient.Failed, "5.4.4", "no_route", "domain", domain))
	}
	var tried []string
	var last []*outcome
	for _, h := range hops {
		tried = append(tried, h.Host)
		target := r.servers.ServerByHost(h.Host)
		if target == nil {
			continue
		}
		last = r.converse(target, h, q, rcpts)
		if !sessionRefused(last) {
			return last
		}
	}
	if last != nil {
		return last
	}
	hosts := strings.Join(tried, ", ")
	return same(rcpts, r.noReply(at, smtpclient.Deferred, "4.4.1", "refused", "domain", domain, "hosts", hosts))
}

// usable sorts hops by preference and, as RFC 5321 §5.1 asks, drops this
// server itself and every hop no better than it: a backup MX passes mail
// to better ones only, never around in a circle. loops reports whether
// this server was among them.
func (r *Runner) usable(hops []Hop) (out []Hop, loops bool) {
	hops = slices.Clone(hops)
	slices.SortStableFunc(hops, func(a, b Hop) int { return a.Pref - b.Pref })
	for _, h := range hops {
		if strings.EqualFold(strings.TrimSuffix(h.Host, "."), r.w.Host) {
			limit := h.Pref
			return slices.DeleteFunc(out, func(o Hop) bool { return o.Pref >= limit }), true
		}
		out = append(out, h)
	}
	return out, false
}

// sessionRefused reports whether a session failed as a whole, for now,
// before the server said anything about a recipient: the next hop may do
// better.
func sessionRefused(os []*outcome) bool {
	for _, o := range os {
		switch o.attempt.Stage {
		case smtpclient.StageRcpt, smtpclient.StageData, smtpclient.StageDot:
			return false
		}
		if o.status != smtpclient.Deferred {
			return false
		}
	}
	return true
}

// noReply is an outcome that no server's reply decided: why is the last
// part of its catalog keys (smtp.relay.why for the words, queue.…why for
// the explanation).
func (r *Runner) noReply(at time.Time, s smtpclient.Status, status, why string, kv ...string) *outcome {
	return &outcome{status: s, args: kv, attempt: sandbox.Attempt{
		At: at, Status: status, Reason: reasonKey(s, why),
		Text: catalog.Wire("smtp.relay."+why, sandbox.Args(kv...)),
	}}
}

// reasonKey is the catalog key explaining an outcome.
func reasonKey(s smtpclient.Status, why string) string {
	switch s {
	case smtpclient.Delivered:
		return "queue.relayed"
	case smtpclient.Failed:
		return "queue.failed." + why
	}
	return "queue.deferred." + why
}

// same gives each recipient its own copy of o.
func same(rcpts []string, o *outcome) []*outcome {
	out := make([]*outcome, len(rcpts))
	for i, rc := range rcpts {
		c := *o
		c.rcpt = rc
		out[i] = &c
	}
	return out
}

// converse runs one SMTP session with the server of target, on hop h,
// for rcpts: this world's client against that world's engine, in-process.
func (r *Runner) converse(target *sandbox.World, h Hop, q sandbox.Queued, rcpts []string) []*outcome {
	link := linkTLS(h.Host)
	c := smtpclient.New(smtpclient.Message{Host: r.w.Host, From: q.From, To: rcpts, Text: q.Raw, Body: q.Body, TLS: &link})
	via := &sandbox.Via{Host: r.w.Host, Queue: q.ID} // the watchers of q's sender follow it there
	s := r.open(target, sandbox.Peer{Remote: r.addr, Transport: sandbox.TransportRelay, Via: via, CanStartTLS: true, Host: h.Host})
	smtpclient.Converse(c, s, nil)
	at := r.w.Now()
	var out []*outcome
	for _, res := range c.Results() {
		o := &outcome{rcpt: res.Rcpt, status: res.Status, session: s.ID(), reply: res.Reply}
		o.attempt = sandbox.Attempt{At: at, Host: h.Host, Stage: res.Stage}
		if o.status == smtpclient.Pending { // cannot happen once Converse is done; be safe
			o.status, res.Problem = smtpclient.Deferred, smtpclient.ProblemHangup
		}
		if res.Reply != nil {
			o.attempt.Reply = res.Reply.Lines
			o.attempt.Status = res.Reply.Enhanced
			if o.attempt.Status == "" {
				o.attempt.Status = strconv.Itoa(res.Reply.Code/100) + ".0.0"
			}
			o.attempt.Reason = reasonKey(o.status, "reply")
			o.args = []string{"host", h.Host, "reply", res.Reply.Wire()}
		} else {
			kv := []string{"host", h.Host, "stage", res.Stage}
			o.attempt.Status = "4.4.2" // RFC 3463: bad connection
			if res.Problem == smtpclient.ProblemBadReply {
				o.attempt.Status = "4.5.0"
			}
			o.attempt.Reason = reasonKey(o.status, res.Problem)
			o.attempt.Text = catalog.Wire("smtp.relay."+res.Problem, sandbox.Args(kv...))
			o.args = kv
		}
		out = append(out, o)
	}
	return out
}

// publish tells the sending world's watchers what became of a recipient.
func (r *Runner) publish(q sandbox.Queued, o *outcome) {
	ev := &sandbox.QueueEvent{
		ID: q.ID, Recipient: o.rcpt, Attempts: q.Attempts, Host: o.attempt.Host, Session: o.session,
		Reply: sandboxReply(o.reply), Reason: o.attempt.Reason,
	}
	args := append(slices.Clone(o.args), "sender", "<"+q.From+">", "attempts", strconv.Itoa(q.Attempts))
	switch {
	case o.status == smtpclient.Delivered:
		ev.Action = sandbox.QueueRelayed
	case o.status == smtpclient.Deferred:
		ev.Action, ev.NextTry = sandbox.QueueDeferred, q.NextTry
		args = append(args, "next", sandbox.HumanDuration(q.NextTry.Sub(r.w.Now())))
	case o.expired:
		ev.Action, ev.Reason = sandbox.QueueFailed, "queue.failed.expired"
		args = append(args, "lifetime", sandbox.HumanDuration(r.w.Limits.QueueLifetime))
	default:
		ev.Action = sandbox.QueueFailed
	}
	ev.Args = sandbox.Args(args...)
	r.w.Publish(sandbox.Event{Kind: sandbox.EventQueue, Proto: sandbox.SMTP, Queue: ev})
}

// sandboxReply is a reply the client read, as events carry replies.
func sandboxReply(r *smtpclient.Reply) *sandbox.Reply {
	if r == nil {
		return nil
	}
	return &sandbox.Reply{Proto: sandbox.SMTP, Code: r.Code, Enhanced: r.Enhanced, Lines: r.Lines,
		Meaning: "smtp." + strconv.Itoa(r.Code)}
}

// bounce sends one report for the recipients of q the queue gave up on, to
// its envelope sender (none when that is <>), and tells the watchers.
func (r *Runner) bounce(q sandbox.Queued, failed []*outcome) {
	rep := &dsn.Report{Host: r.w.Host, Original: q.ID, Sender: q.From, Arrived: q.Arrived,
		Headers: q.Raw[:sandbox.SplitHeader(q.Raw).BodyStart]}
	for _, o := range failed {
		rep.Recipients = append(rep.Recipients, dsn.Attempted(o.rcpt, o.attempt, o.expired, r.w.Limits.QueueLifetime))
	}
	res := dsn.Return(r.w, rep)
	for _, o := range failed {
		d := &sandbox.Delivery{MessageID: q.ID, Recipient: o.rcpt, Status: res.Status, Reason: "delivery.relay_failed"}
		switch res.Why {
		case "":
			d.Args = sandbox.Args("sender", q.From)
		case dsn.NullSender:
			d.Args = sandbox.Args("why", res.Why, "sender", "<>")
		default:
			d.Args = sandbox.Args("why", res.Why, "sender", q.From)
		}
		r.w.Publish(sandbox.Event{Kind: sandbox.EventDelivery, Proto: sandbox.SMTP, Delivery: d})
	}
	switch {
	case res.Stored != nil:
		m := res.Stored
		d := sandbox.Delivery{MessageID: m.ID, Recipient: q.From, Mailbox: m.Mailbox, UID: m.UID,
			Status: sandbox.Delivered, Reason: "delivery.bounce", Original: q.ID}
		r.w.Publish(sandbox.Event{Kind: sandbox.EventDelivery, Proto: sandbox.SMTP, Delivery: &d})
		if res.Home != r.w {
			there := d
			res.Home.Publish(sandbox.Event{Kind: sandbox.EventDelivery, Proto: sandbox.SMTP, Delivery: &there})
		}
	case res.Queued != nil:
		r.w.Publish(sandbox.Event{Kind: sandbox.EventQueue, Proto: sandbox.SMTP, Queue: &sandbox.QueueEvent{
			ID: res.Queued.ID, Recipient: q.From, Action: sandbox.QueueQueued, NextTry: res.Queued.NextTry,
			Reason: "queue.queued.report", Args: sandbox.Args("sender", "<>", "rcpt", q.From), Original: q.ID,
		}})
	}
}

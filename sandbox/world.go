package sandbox

import (
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind says what a local address is.
type Kind string

const (
	KindUser    Kind = "user"    // a person with a mailbox
	KindList    Kind = "list"    // a mailing list: EXPN shows its members
	KindAlias   Kind = "alias"   // silently delivered to another local address
	KindForward Kind = "forward" // accepted with 251: forwarded to Target
	KindMoved   Kind = "moved"   // refused with 551: the person now lives at Target
	KindBusy    Kind = "busy"    // refused for now with 450: mailbox busy
	KindBroken  Kind = "broken"  // refused for now with 451: local error
)

// Entry is one local address of a world.
type Entry struct {
	Local    string   `json:"local"` // local part, lower case
	Kind     Kind     `json:"kind"`
	FullName string   `json:"fullName,omitempty"`
	Password string   `json:"-"`                 // users: POP password
	Members  []string `json:"members,omitempty"` // lists: local parts
	Target   string   `json:"target,omitempty"`  // alias/forward: local part; moved: address
	Quota    int64    `json:"quota,omitempty"`   // users: mailbox size limit, 0 = Limits.MaxMailbox
}

// HasMailbox reports whether mail can be stored for the entry.
func (e Entry) HasMailbox() bool { return e.Kind == KindUser }

// Config describes a world to create.
type Config struct {
	Name    string // identifies the world in events and logs
	Domain  string
	Host    string // the server's own name; default "mail." + Domain
	Entries []Entry
	Limits  Limits
	Clock   func() time.Time // default time.Now
	NewID   func() string    // queue ids; default random
	Store   Store            // default a new MemoryStore
	// Directory finds the other worlds of the sandbox by mail domain (a
	// class's world, say), so that mail over the TCP ports can reach them.
	// Nil: the world is alone.
	Directory func(domain string) *World
	// AfterFunc runs f in its own goroutine once d has passed on the
	// world's clock, and returns what stops it, as time.AfterFunc does;
	// the world's queue times its retries with it. Default time.AfterFunc.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// Greylist, when set, is how long a first-time sender must wait
	// before its recipients are accepted (RFC 6647); zero: no greylisting.
	Greylist time.Duration
}

// DefaultDomain is the reserved domain the sandbox uses when none is given.
const DefaultDomain = "example.test"

// DefaultEntries are the people and addresses of every new world. Passwords
// equal user names: this is a sandbox, and students must be able to guess them.
func DefaultEntries() []Entry {
	return []Entry{
		{Local: "alice", Kind: KindUser, FullName: "Alice Martin", Password: "alice"},
		{Local: "bob", Kind: KindUser, FullName: "Bob Durand", Password: "bob"},
		{Local: "carol", Kind: KindUser, FullName: "Carol Petit", Password: "carol"},
		{Local: "team", Kind: KindList, FullName: "Team", Members: []string{"alice", "bob", "carol"}},
		{Local: "postmaster", Kind: KindAlias, Target: "alice"},
		{Local: "contact", Kind: KindForward, Target: "alice"},
		{Local: "dave", Kind: KindMoved, FullName: "Dave Moreau", Target: "dave@elsewhere.test"},
		{Local: "full", Kind: KindUser, FullName: "Full Mailbox", Password: "full", Quota: FullQuota},
		{Local: "busy", Kind: KindBusy},
		{Local: "broken", Kind: KindBroken},
	}
}

// FullQuota is the tiny quota of the demonstration mailbox "full": any
// message is bigger, so delivery fails after the server said 250 and the
// sender gets a bounce.
const FullQuota = 64

// World is one sandboxed mail domain: addresses, mailboxes and the sessions
// talking to them. Nothing in a world ever leaves it.
type World struct {
	Name   string
	Domain string
	Host   string
	Limits Limits
	Store  Store
	// Directory: see Config.
	Directory func(domain string) *World
	// Maildrops finds the other worlds whose mailboxes this world's POP
	// services also serve, by domain (the other servers of its network,
	// whose mail still travels to them by relay); nil: none. Set before
	// any session starts.
	Maildrops func(domain string) *World

	emu     sync.RWMutex // entries change while sessions run (a student joins)
	entries map[string]Entry
	order   []string
	clock   func() time.Time
	newID   func() string
	after   func(time.Duration, func()) func() bool
	relay   atomic.Pointer[relayHook]
	grey    *greylist // nil: no greylisting

	seq      atomic.Uint64
	sessions atomic.Uint64

	// observers is a slice, not a map: Publish runs for every event, and
	// walking a map (random start, hashing) costs more than the call.
	mu        sync.RWMutex
	observers []subscriber
	nextObs   int
}

// subscriber is one registered observer, with the id that cancels it.
type subscriber struct {
	id int
	o  Observer
}

// NewWorld creates a world from c, filling in defaults.
func NewWorld(c Config) *World {
	w := &World{
		Name:      c.Name,
		Domain:    strings.ToLower(c.Domain),
		Host:      c.Host,
		Limits:    c.Limits.withDefaults(),
		Store:     c.Store,
		Directory: c.Directory,
		entries:   map[string]Entry{},
		clock:     c.Clock,
		newID:     c.NewID,
		after:     c.AfterFunc,
	}
	if w.Domain == "" {
		w.Domain = DefaultDomain
	}
	if w.Host == "" {
		w.Host = "mail." + w.Domain
	}
	if w.Store == nil {
		w.Store = NewMemoryStore()
	}
	if w.clock == nil {
		w.clock = time.Now
	}
	if w.newID == nil {
		w.newID = randomID
	}
	if w.after == nil {
		w.after = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if c.Greylist > 0 {
		w.grey = &greylist{delay: c.Greylist, first: map[greyTriple]time.Time{}}
	}
	entries := c.Entries
	if entries == nil {
		entries = DefaultEntries()
	}
	for _, e := range entries {
		e.Local = strings.ToLower(e.Local)
		w.entries[e.Local] = e
		w.order = append(w.order, e.Local)
	}
	return w
}

// randomID is 12 upper-case hex digits, as queue ids often are, made in
// one allocation.
func randomID() string {
	var b [6]byte
	rand.Read(b[:])
	var id [2 * len(b)]byte
	for i, c := range b {
		id[2*i], id[2*i+1] = hexDigits[c>>4], hexDigits[c&0xf]
	}
	return string(id[:])
}

// Now is the world's clock.
func (w *World) Now() time.Time { return w.clock() }

// NewID returns a fresh queue id.
func (w *World) NewID() string { return w.newID() }

// NewSessionID numbers the world's sessions.
func (w *World) NewSessionID(p Proto) string {
	return string(p) + "-" + strconv.FormatUint(w.sessions.Add(1), 10)
}

// Lookup finds a local part (any case).
func (w *World) Lookup(local string) (Entry, bool) {
	w.emu.RLock()
	defer w.emu.RUnlock()
	e, ok := w.entries[strings.ToLower(local)]
	return e, ok
}

// Entries lists the world's addresses in their configured order.
func (w *World) Entries() []Entry {
	w.emu.RLock()
	defer w.emu.RUnlock()
	out := make([]Entry, 0, len(w.order))
	for _, l := range w.order {
		out = append(out, w.entries[l])
	}
	return out
}

// SetEntry adds or replaces an address; a new one goes last.
func (w *World) SetEntry(e Entry) {
	e.Local = strings.ToLower(e.Local)
	w.emu.Lock()
	defer w.emu.Unlock()
	if _, ok := w.entries[e.Local]; !ok {
		w.order = append(w.order, e.Local)
	}
	w.entries[e.Local] = e
}

// RemoveEntry removes an address (its mailbox is the store's business).
func (w *World) RemoveEntry(local string) {
	local = strings.ToLower(local)
	w.emu.Lock()
	defer w.emu.Unlock()
	delete(w.entries, local)
	for i, l := range w.order {
		if l == local {
			w.order = append(w.order[:i:i], w.order[i+1:]...)
			break
		}
	}
}

// Neighbor returns the sandbox world of another domain, if the directory
// knows one; never the world itself.
func (w *World) Neighbor(domain string) *World {
	if w.Directory == nil || w.IsLocalDomain(domain) {
		return nil
	}
	return w.Directory(strings.ToLower(domain))
}

// Maildrop is the world that keeps domain's mailboxes for a POP login
// name@domain: a neighbour, or one of Maildrops; nil for none.
func (w *World) Maildrop(domain string) *World {
	if n := w.Neighbor(domain); n != nil {
		return n
	}
	if w.Maildrops == nil || w.IsLocalDomain(domain) {
		return nil
	}
	return w.Maildrops(strings.ToLower(domain))
}

// Users lists the entries that have a mailbox.
func (w *World) Users() []Entry {
	var out []Entry
	for _, e := range w.Entries() {
		if e.HasMailbox() {
			out = append(out, e)
		}
	}
	return out
}

// Address returns local@domain.
func (w *World) Address(local string) string { return local + "@" + w.Domain }

// IsLocalDomain reports whether domain is the world's own (any case).
func (w *World) IsLocalDomain(domain string) bool { return strings.EqualFold(domain, w.Domain) }

// Subscribe registers o for every event of the world and returns a function
// that unregisters it.
func (w *World) Subscribe(o Observer) (cancel func()) {
	w.mu.Lock()
	id := w.nextObs
	w.nextObs++
	w.observers = append(w.observers, subscriber{id, o})
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		// In place is safe: Publish reads the slice only under the read lock.
		w.observers = slices.DeleteFunc(w.observers, func(s subscriber) bool { return s.id == id })
		w.mu.Unlock()
	}
}

// Publish stamps ev with a sequence number and time, and hands it to every
// observer.
func (w *World) Publish(ev Event) Event {
	ev.Seq = w.seq.Add(1)
	if ev.Time.IsZero() {
		ev.Time = w.clock()
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	for _, s := range w.observers {
		s.o(ev)
	}
	return ev
}

// Reset empties every mailbox and tells observers.
func (w *World) Reset() {
	w.Store.Clear()
	w.Publish(Event{Kind: EventReset})
}

// Relay carries a world's queued mail to the other servers of the sandbox
// (package relay runs one per world). A world without one delivers only to
// itself and its neighbours, and refuses to relay.
type Relay interface {
	// Queued says a message was just put in the world's queue.
	Queued()
	// Close stops the relay; what is queued stays in the store.
	Close()
}

// Router is what a Relay may also tell: the servers its queue would hand
// a domain's mail to, best first (the MX choice of RFC 5321 §5.1), so that
// a reply can show them beside a source route the client asked for.
type Router interface {
	NextHosts(domain string) []string
}

// relayHook holds a world's relay, so that sessions read it without a lock.
type relayHook struct{ r Relay }

// TransportRelay is the Peer.Transport of a session that one server of the
// sandbox opens with another, to pass on queued mail.
const TransportRelay = "relay"

// SetRelay makes r the world's relay, closing the one it replaces.
func (w *World) SetRelay(r Relay) {
	var h *relayHook
	if r != nil {
		h = &relayHook{r}
	}
	if old := w.relay.Swap(h); old != nil && old.r != r {
		old.r.Close()
	}
}

// Relay returns the world's relay, nil if it has none.
func (w *World) Relay() Relay {
	if h := w.relay.Load(); h != nil {
		return h.r
	}
	return nil
}

// AfterFunc runs f once d has passed on the world's clock (see Config).
func (w *World) AfterFunc(d time.Duration, f func()) (stop func() bool) { return w.after(d, f) }

// Close stops what runs on the world's behalf (its relay and the relay's
// timer). Its mailboxes and its queue stay in the store.
func (w *World) Close() { w.SetRelay(nil) }

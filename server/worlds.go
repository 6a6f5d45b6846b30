package server

import (
	"context"
	"encoding/json"
	"errors"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"smtplab/classroom"
	"smtplab/sandbox"
	"smtplab/sandbox/network"
)

var (
	errTooManyWorlds = errors.New("too many worlds")
	errTooManyConns  = errors.New("too many connections")
)

// registry keeps one private world per visitor, bounded in number and
// reclaimed when idle.
type registry struct {
	mu       sync.Mutex
	visitors map[string]*visitor
	max      int
	idle     time.Duration
	newWorld func(name string) *sandbox.World
	now      func() time.Time
	watch    *watchHub
	logs     *sandbox.Budget // the terminals' transcripts, all visitors together
	// network brings a visitor's network to life around their world (nil:
	// the world is alone); onWorld hears of each other server's world.
	network func(home *sandbox.World, onWorld func(*sandbox.World)) *network.Live
}

func newRegistry(max int, idle time.Duration, newWorld func(string) *sandbox.World) *registry {
	return &registry{visitors: map[string]*visitor{}, max: max, idle: idle, newWorld: newWorld, now: time.Now, watch: newWatchHub()}
}

// connect returns the visitor's world with one more connection counted.
// A new world from a client address that has MaxWorldsPerAddress first
// reclaims that address's longest-idle world; a full registry reclaims the
// longest-idle world nobody is looking at, a passing visitor's before a
// student's.
func (g *registry) connect(id, addr string) (*visitor, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.visitors[id]
	if !ok {
		if g.fromAddr(addr) >= MaxWorldsPerAddress && !g.evictOne(addr) {
			return nil, errTooManyWorlds
		}
		if len(g.visitors) >= g.max && !g.evictOne("") {
			return nil, errTooManyWorlds
		}
		v = newVisitor(id, g.newWorld("visitor-"+id[:8]))
		v.watch, v.addr, v.logs = g.watch, addr, g.logs
		if g.network != nil {
			v.net = g.network(v.world, v.watchWorld)
		}
		g.visitors[id] = v
	}
	if v.conns >= MaxConnsPerVisitor {
		return nil, errTooManyConns
	}
	v.conns++
	v.seen = g.now()
	return v, nil
}

// disconnect counts one connection less.
func (g *registry) disconnect(v *visitor) {
	g.mu.Lock()
	v.conns--
	v.seen = g.now()
	g.mu.Unlock()
}

// fromAddr counts the worlds opened from a client address.
func (g *registry) fromAddr(addr string) int {
	n := 0
	for _, v := range g.visitors {
		if v.addr == addr {
			n++
		}
	}
	return n
}

// evictOne reclaims the longest-idle world without a page (of addr, if
// given), a passing visitor's before a student's.
func (g *registry) evictOne(addr string) bool {
	var oldest *visitor
	better := func(v *visitor) bool {
		if oldest == nil {
			return true
		}
		if sv, so := v.isStudent(), oldest.isStudent(); sv != so {
			return !sv
		}
		return v.seen.Before(oldest.seen)
	}
	for _, v := range g.visitors {
		if v.conns == 0 && (addr == "" || v.addr == addr) && better(v) {
			oldest = v
		}
	}
	if oldest == nil {
		return false
	}
	delete(g.visitors, oldest.id)
	go oldest.close()
	return true
}

// reap reclaims worlds that have had no page connected for g.idle.
func (g *registry) reap() int {
	g.mu.Lock()
	var gone []*visitor
	for id, v := range g.visitors {
		if v.conns == 0 && g.now().Sub(v.seen) > g.idle {
			delete(g.visitors, id)
			gone = append(gone, v)
		}
	}
	g.mu.Unlock()
	for _, v := range gone {
		v.close()
	}
	if len(gone) >= FreeAfterReaping {
		// Many worlds went at once: give their memory back to the system
		// now rather than at the runtime's next periodic collection.
		debug.FreeOSMemory()
	}
	return len(gone)
}

// FreeAfterReaping is how many worlds reclaimed at once make the janitor
// return memory to the system at once.
const FreeAfterReaping = 20

func (g *registry) janitor(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.reap()
		}
	}
}

// connected reports whether a visitor has a page open.
func (g *registry) connected(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.visitors[id]
	return ok && v.conns > 0
}

// find returns a visitor's world if it exists, without creating one.
func (g *registry) find(id string) *visitor {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.visitors[id]
}

// resetWorld empties a visitor's practice world, as the reset button does.
func (g *registry) resetWorld(id string) {
	if v := g.find(id); v != nil {
		v.reset()
	}
}

// forget ends a visitor's sessions and drops their world.
func (g *registry) forget(id string) {
	g.mu.Lock()
	v, ok := g.visitors[id]
	delete(g.visitors, id)
	g.mu.Unlock()
	if ok {
		v.close()
	}
}

func (g *registry) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.visitors)
}

func (g *registry) closeAll() {
	g.mu.Lock()
	all := g.visitors
	g.visitors = map[string]*visitor{}
	g.mu.Unlock()
	for _, v := range all {
		v.close()
	}
}

// visitor is one browser's world and the terminals its tabs use.
type visitor struct {
	id    string
	world *sandbox.World
	conns int       // guarded by the registry's lock
	seen  time.Time // guarded by the registry's lock

	mu        sync.Mutex
	terminals map[string]*terminal
	order     []string // terminal ids, oldest first
	pages     map[*wsConn]bool
	redraw    atomic.Bool // mailChanged's goroutine is on its way
	cancel    func()

	// A student also works in their class's world.
	class *studentClass
	addr  string          // the client address that opened the world
	watch *watchHub       // the teacher's pages watching this visitor
	logs  *sandbox.Budget // shared by every terminal's transcript

	// The visitor's network: the other servers their world reaches, each
	// watched for the sessions the visitor's terminals open there.
	net     *network.Live
	netMu   sync.Mutex
	unwatch []func()
}

// watchWorld routes the events of another server's world to the
// visitor's terminals, as their own world's.
func (v *visitor) watchWorld(w *sandbox.World) {
	cancel := w.Subscribe(func(ev sandbox.Event) { v.route(w, ev) })
	v.netMu.Lock()
	v.unwatch = append(v.unwatch, cancel)
	v.netMu.Unlock()
}

// watchers are the teacher's pages watching the visitor now.
func (v *visitor) watchers() []*wsConn {
	if v.watch == nil {
		return nil
	}
	return v.watch.of(v.id)
}

// studentClass is what a student's visitor knows of their class.
type studentClass struct {
	room    *classroom.Room
	student string                                 // student id
	local   string                                 // their mailbox in the class world
	record  func(host string, evs []sandbox.Event) // keeps transcript and mistakes
	cancel  func()
}

func newVisitor(id string, w *sandbox.World) *visitor {
	v := &visitor{id: id, world: w, terminals: map[string]*terminal{}, pages: map[*wsConn]bool{}}
	v.cancel = w.Subscribe(func(ev sandbox.Event) { v.route(w, ev) })
	return v
}

// joinClass makes the visitor a student of a class: their terminals may
// open sessions in the class world, and their pages hear of their mail there.
func (v *visitor) joinClass(sc *studentClass) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.class != nil {
		return
	}
	v.class = sc
	w := sc.room.World
	sc.cancel = w.Subscribe(func(ev sandbox.Event) {
		v.route(w, ev)
		d, use := ev.Delivery, ev.Mailbox
		if d != nil && d.Mailbox == sc.local || use != nil && use.Mailbox == sc.local && use.Action == "removed" {
			v.mailChanged() // from a classmate's session, or a mail program: not under our locks
		}
	})
}

func (v *visitor) isStudent() bool { return v.studentOf() != nil }

// studentOf returns the visitor's class, nil for a visitor who is no student.
func (v *visitor) studentOf() *studentClass {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.class
}

// worldFor picks the world a terminal connects to: "class" is the class's
// (for a student), anything else the practice world.
func (v *visitor) worldFor(name string) *sandbox.World {
	if sc := v.studentOf(); sc != nil && name == "class" {
		return sc.room.World
	}
	if host, ok := strings.CutPrefix(name, networkServer); ok && v.net != nil {
		if w := v.net.ServerByHost(host); w != nil {
			return w
		}
	}
	return v.world
}

// route hands each event of world w to the terminal whose session sent
// it, or that follows it (follow.go): the relay sessions its mail causes
// and what the queues do with it. Session ids are unique within a world
// only: a followed session's events get a name the page can tell apart.
func (v *visitor) route(w *sandbox.World, ev sandbox.Event) {
	if ev.Session == "" && ev.Queue == nil && ev.Delivery == nil {
		return // nothing of a session, a queue or a report: a reset
	}
	v.mu.Lock()
	var target *terminal
	var own bool
	for _, t := range v.terminals {
		if mine, followed := t.claim(w, ev); mine || followed {
			target, own = t, mine
			break
		}
	}
	v.mu.Unlock()
	switch {
	case target == nil:
	case own:
		target.queue(ev)
	default:
		target.queueFollowed(followedEvent(w, ev, v.serverName))
	}
}

// serverName is the name of the world of the visitor's network that
// answers at host (an MX name may be another name of it), host itself
// when none does.
func (v *visitor) serverName(host string) string {
	if v.net != nil {
		if w := v.net.Made(host); w != nil {
			return w.Host
		}
	}
	return host
}

// recorded passes a step's events to the class's records, for a student.
func (v *visitor) recorded(host string, evs []sandbox.Event) {
	if sc := v.studentOf(); sc != nil && sc.record != nil && len(evs) > 0 {
		sc.record(host, evs)
	}
}

// ReloadGrace is how long a page that names a terminal still shown by
// another page waits for that page to go: a reload's old socket closes
// within it; a duplicated tab's does not, and it gets a terminal of its own.
const ReloadGrace = 300 * time.Millisecond

// awaitRelease waits, at most ReloadGrace, until no other open page shows
// the terminal id.
func (v *visitor) awaitRelease(id string, c *wsConn) {
	v.mu.Lock()
	t := v.terminals[id]
	v.mu.Unlock()
	if t == nil {
		return
	}
	for deadline := time.Now().Add(ReloadGrace); t.shownElsewhere(c) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// terminal returns the terminal id for page c, or a new one when id is
// unknown or already shown by another open page: a duplicated browser tab
// carries its original's id, and must not take its terminal away.
func (v *visitor) terminal(id string, c *wsConn) *terminal {
	v.mu.Lock()
	defer v.mu.Unlock()
	if t, ok := v.terminals[id]; ok && id != "" && !t.shownElsewhere(c) {
		return t
	}
	if len(v.order) >= MaxTerminalsPerVisitor {
		oldest := v.terminals[v.order[0]]
		v.order = v.order[1:]
		delete(v.terminals, oldest.id)
		go oldest.close()
	}
	t := newTerminal(v)
	v.terminals[t.id] = t
	v.order = append(v.order, t.id)
	return t
}

func (v *visitor) addPage(c *wsConn) {
	v.mu.Lock()
	v.pages[c] = true
	v.mu.Unlock()
}

func (v *visitor) removePage(c *wsConn) {
	v.mu.Lock()
	delete(v.pages, c)
	v.mu.Unlock()
}

// mailChanged has the visitor's pages redraw their mailboxes, for a
// change made outside the visitor's own steps, in a goroutine of its own:
// one, however many deliveries come while it runs (a list to the class).
func (v *visitor) mailChanged() {
	if v.redraw.Swap(true) {
		return
	}
	go func() {
		v.redraw.Store(false) // first: a change during the snapshot asks again
		v.mailboxesChanged()
	}()
}

// mailboxesChanged tells every open page of the visitor to redraw mailboxes.
func (v *visitor) mailboxesChanged() {
	v.mu.Lock()
	pages := make([]*wsConn, 0, len(v.pages))
	for c := range v.pages {
		pages = append(pages, c)
	}
	v.mu.Unlock()
	// Encoded once for every tab.
	snap, err := json.Marshal(mailboxSnapshot(v.world, v.studentOf()))
	if err != nil {
		return
	}
	for _, c := range pages {
		c.enqueue(outItem{raw: snap})
	}
}

// reset ends every session of the visitor and empties their practice world.
func (v *visitor) reset() {
	v.mu.Lock()
	ts := make([]*terminal, 0, len(v.terminals))
	for _, t := range v.terminals {
		ts = append(ts, t)
	}
	pages := make([]*wsConn, 0, len(v.pages))
	for c := range v.pages {
		pages = append(pages, c)
	}
	v.mu.Unlock()
	for _, t := range ts {
		t.hangup()
		t.forgetFollowed() // what a relay still sends of the old world is not shown after the reset
		t.clear()
	}
	v.world.Reset()
	if v.net != nil {
		v.net.Reset()
	}
	v.mailboxesChanged()
	for _, c := range pages {
		c.sendJSON(map[string]string{"t": "reset"})
	}
}

// latest is the terminal the visitor used last, for a teacher to watch.
func (v *visitor) latest() *terminal {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.order) == 0 {
		return nil
	}
	return v.terminals[v.order[len(v.order)-1]]
}

func (v *visitor) close() {
	v.cancel()
	if sc := v.studentOf(); sc != nil {
		sc.cancel()
	}
	v.mu.Lock()
	ts := make([]*terminal, 0, len(v.terminals))
	for _, t := range v.terminals {
		ts = append(ts, t)
	}
	v.terminals = map[string]*terminal{}
	v.order = nil
	v.mu.Unlock()
	for _, t := range ts {
		t.close()
	}
	v.world.Store.Clear() // its mail leaves the visitors' budget
	if v.net != nil {
		v.net.Close()
	}
	v.netMu.Lock()
	for _, cancel := range v.unwatch {
		cancel()
	}
	v.unwatch = nil
	v.netMu.Unlock()
}

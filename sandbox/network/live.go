package network

import (
	"errors"
	"net/netip"
	"strings"
	"sync"

	"smtplab/sandbox"
	"smtplab/sandbox/dns"
	"smtplab/sandbox/relay"
)

// Live is a network brought to life for one owner — a visitor's private
// sandbox, or the world the TCP ports serve: the owner's home world for
// the practice domain, a world for every other domain's server, made the
// first time something connects to it, and a queue runner in each, so
// that mail for another domain travels through real SMTP sessions between
// them. Nothing it runs leaves the process.
type Live struct {
	net      *Network
	resolver *dns.Resolver
	home     *sandbox.World
	opts     Options

	mu       sync.Mutex
	worlds   map[string]*sandbox.World // by domain name, home included
	watchers []func(*sandbox.World)    // see Watch
	closed   bool
}

// Options are what the owner decides for the worlds a Live makes.
type Options struct {
	// NewWorld makes the world of a domain from the configuration the
	// network gives (name, domain, host, entries); the owner adds its
	// limits, store and clock. Nil: sandbox.NewWorld as it is.
	NewWorld func(sandbox.Config) *sandbox.World
	// Outside finds a server the network file does not describe (a
	// class's, added at run time) by host name; nil when there is none.
	Outside func(host string) *sandbox.World
	// OnWorld is told of each world the Live makes, before anything runs
	// in it: the owner watches its events there too.
	OnWorld func(*sandbox.World)
}

// Start brings n to life around home, the world of the practice domain,
// with resolver (shared by every Live of the process, since the class
// zones added at run time are everyone's). Close stops it.
func (n *Network) Start(home *sandbox.World, resolver *dns.Resolver, opts Options) *Live {
	l := &Live{net: n, resolver: resolver, home: home, opts: opts, worlds: map[string]*sandbox.World{}}
	l.worlds[strings.ToLower(home.Domain)] = home
	l.startRelay(home)
	home.Maildrops = l.maildrop // bob@other.test reads his mail on the home POP service
	return l
}

// maildrop is the world of domain's mail server, made if need be.
func (l *Live) maildrop(domain string) *sandbox.World {
	d, ok := l.net.Domain(domain)
	if !ok || d.Host == "" {
		return nil
	}
	return l.ServerByHost(d.Host)
}

// Home is the world of the practice domain.
func (l *Live) Home() *sandbox.World { return l.home }

// Resolver is the DNS the network's servers and the shell's dig use.
func (l *Live) Resolver() *dns.Resolver { return l.resolver }

// Network is the description the Live runs.
func (l *Live) Network() *Network { return l.net }

// ServerByHost returns the world whose SMTP server answers at host,
// making it if it does not exist yet; nil when nothing listens there (no
// such server, or a host that is down): the connection is refused.
func (l *Live) ServerByHost(host string) *sandbox.World { return l.lookup(host, true) }

// Made is ServerByHost for a lookup that must not start a server: the
// world answering at host if it exists already, nil otherwise.
func (l *Live) Made(host string) *sandbox.World { return l.lookup(host, false) }

// lookup finds the world answering at host, making a network domain's
// on first use if create says so. A class's world (Outside) is made with
// its class.
func (l *Live) lookup(host string, create bool) *sandbox.World {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if strings.EqualFold(host, l.home.Host) {
		return l.home
	}
	d, ok := l.net.ServerAt(host)
	switch {
	case !ok && (l.net.Down(host) || l.opts.Outside == nil):
		return nil
	case !ok:
		return l.opts.Outside(host)
	case create:
		return l.world(d)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.worlds[d.Name]
}

// Worlds returns the worlds made so far, home first.
func (l *Live) Worlds() []*sandbox.World {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []*sandbox.World{l.home}
	for _, d := range l.net.Domains {
		if w, ok := l.worlds[d.Name]; ok && w != l.home {
			out = append(out, w)
		}
	}
	return out
}

// Watch tells f of every world the Live has made beside home, and of
// each one it makes from now on, before anything runs there, as OnWorld
// is: for an owner that comes after Start (the web side of the TCP
// ports' network). Between the two, no world can be missed or told twice.
func (l *Live) Watch(f func(*sandbox.World)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.watchers = append(l.watchers, f)
	for _, d := range l.net.Domains {
		if w, ok := l.worlds[d.Name]; ok && w != l.home {
			f(w)
		}
	}
}

// world returns domain d's world, made on first use.
func (l *Live) world(d Domain) *sandbox.World {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w, ok := l.worlds[d.Name]; ok {
		return w
	}
	if l.closed {
		return nil
	}
	cfg := d.Config()
	newWorld := l.opts.NewWorld
	if newWorld == nil {
		newWorld = sandbox.NewWorld
	}
	w := newWorld(cfg)
	if l.opts.OnWorld != nil {
		l.opts.OnWorld(w) // under mu: no session can start in w before it
	}
	for _, f := range l.watchers {
		f(w)
	}
	l.worlds[d.Name] = w
	l.startRelay(w)
	return w
}

// startRelay gives w a queue runner that routes through the network.
func (l *Live) startRelay(w *sandbox.World) {
	relay.Start(w, relay.Config{Hops: relay.ResolverFunc(l.NextHops), Servers: l, Addr: l.addr(w.Host)})
}

// addr is a host's address as the next server sees it: its A record.
func (l *Live) addr(host string) string {
	recs, err := l.resolver.A(host)
	if err != nil || len(recs) == 0 {
		return host
	}
	return recs[0].Addr.String()
}

// NextHops is the DNS's answer for a domain in the relay's terms: the MX
// hosts in order, or the reason no mail can go there.
func (l *Live) NextHops(domain string) ([]relay.Hop, error) {
	hops, err := l.resolver.NextHops(domain)
	switch {
	case errors.Is(err, dns.ErrNXDomain):
		return nil, relay.ErrNoSuchDomain
	case errors.Is(err, dns.ErrNullMX):
		return nil, relay.ErrNullMX
	case errors.Is(err, dns.ErrNoAddress):
		return nil, nil // no route: the relay gives up with 5.4.4
	case err != nil:
		return nil, err
	}
	out := make([]relay.Hop, 0, len(hops))
	for _, h := range hops {
		out = append(out, relay.Hop{Host: h.Host, Pref: int(h.Pref), Addr: addrString(h.Addr)})
	}
	return out, nil
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// Reset empties the worlds the Live made, as a reset button does to home.
func (l *Live) Reset() {
	for _, w := range l.Worlds()[1:] {
		w.Reset()
	}
}

// Close stops every queue runner; what is queued stays in the stores. The
// worlds the Live made are the owner's to drop; home is left as it is,
// but without its relay.
func (l *Live) Close() {
	l.mu.Lock()
	l.closed = true
	ws := make([]*sandbox.World, 0, len(l.worlds))
	for _, w := range l.worlds {
		ws = append(ws, w)
	}
	l.mu.Unlock()
	for _, w := range ws {
		w.Close()
		if w != l.home {
			w.Store.Clear() // its mail leaves the owner's budget
		}
	}
}

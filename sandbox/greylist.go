package sandbox

import (
	"net"
	"strings"
	"sync"
	"time"
)

// MaxGreylisted bounds the attempts a greylisting server remembers (a
// triple and the time it was first seen, about 150 octets each): past it,
// the oldest are forgotten, and their senders are only refused once more.
const MaxGreylisted = 10000

// greylist is a server's first refusal (RFC 6647): a recipient asked for
// by a client address and sender it has not seen together is deferred
// with a 4xx, and accepted once the same triple comes back after delay.
// A real mail server retries from its queue; a program that fires once
// and goes does not.
type greylist struct {
	delay time.Duration

	mu    sync.Mutex
	first map[greyTriple]time.Time
	order []greyTriple // oldest first, to forget beyond MaxGreylisted
}

// greyTriple is what a greylist remembers: RFC 6647 §2.2's triple.
type greyTriple struct{ client, from, to string }

// Greylisting reports whether the world defers the recipients of clients
// it has not seen yet.
func (w *World) Greylisting() bool { return w.grey != nil }

// Greylisted reports how long a recipient must still wait: the whole
// delay on the first attempt of the triple (first), what is left of it on
// one that comes back too soon; zero lets it in.
func (w *World) Greylisted(remote, from, to string, now time.Time) (wait time.Duration, first bool) {
	g := w.grey
	if g == nil {
		return 0, false
	}
	k := greyTriple{client: clientNet(remote), from: strings.ToLower(from), to: strings.ToLower(to)}
	g.mu.Lock()
	defer g.mu.Unlock()
	seen, ok := g.first[k]
	if !ok {
		if len(g.order) >= MaxGreylisted {
			delete(g.first, g.order[0])
			g.order = g.order[1:]
		}
		g.first[k] = now
		g.order = append(g.order, k)
		return g.delay, true
	}
	return max(seen.Add(g.delay).Sub(now), 0), false
}

// clientNet is the part of a client's address a greylist keys on: the
// address without its port (RFC 6647 §4.1 lets servers widen it to a
// network; the sandbox's senders each have one address).
func clientNet(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// Package network describes the sandbox's network as data: its mail
// domains, the server of each, their users, and the DNS records a student
// can look up. The description is one text file, network.zone beside
// this file (README.md documents its format); a teacher may load their
// own instead.
package network

import (
	_ "embed"
	"hash/fnv"
	"net/netip"
	"slices"
	"strings"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/dns"
)

//go:embed network.zone
var builtin string

// DefaultFile is the name the built-in description is reported under.
const DefaultFile = "network.zone"

// Default returns the built-in network. Its file is checked by the tests,
// so a failure here is a bug: it panics.
func Default() *Network {
	n, err := Parse(DefaultFile, strings.NewReader(builtin))
	if err != nil {
		panic("network: the built-in description is invalid: " + err.Error())
	}
	return n
}

// Network is a loaded description. It does not change once loaded: the
// domains added at run time (a class's) go to the resolver directly.
type Network struct {
	// ResolverName and ResolverAddr are the sandbox's name server, the one
	// dig and nslookup say they asked.
	ResolverName string
	ResolverAddr netip.Addr
	// Domains in the order of the file.
	Domains []Domain

	down map[string]bool // hosts that refuse connections
}

// Domain is one mail domain of the network.
type Domain struct {
	Name string // "other.test"
	// Host is the name of the domain's mail server, what sandbox.Config
	// calls Host; "" when the domain has no server (its mail goes nowhere).
	Host string
	// Aliases are other names of the same server: a backup exchanger run
	// by the same mail system (univ.test's mx2).
	Aliases []string
	// Banner is the server's SMTP greeting text, {host} standing for the
	// host name; "" for the engine's own. sandbox.Config has no field for
	// it: whoever builds the world passes it on.
	Banner string
	// Greylist is how long the server makes a first-time sender wait
	// (RFC 6647); zero: it does not greylist.
	Greylist time.Duration
	// Builtin: the domain's users are sandbox.DefaultEntries.
	Builtin bool
	// Entries are the domain's users and aliases when not Builtin.
	Entries []sandbox.Entry
	// Records are the domain's DNS records, in file order.
	Records []dns.Record
	// Line is where the domain starts in its file.
	Line int
}

// Config returns what sandbox.Config needs to build the domain's world:
// its name, domain, host and entries (copies). Limits, clock, store and
// directory are the caller's.
func (d Domain) Config() sandbox.Config {
	entries := sandbox.DefaultEntries()
	if !d.Builtin {
		entries = make([]sandbox.Entry, len(d.Entries))
		for i, e := range d.Entries {
			e.Members = slices.Clone(e.Members)
			entries[i] = e
		}
	}
	return sandbox.Config{Name: d.Name, Domain: d.Name, Host: d.Host, Entries: entries, Greylist: d.Greylist}
}

// Zone returns the domain's DNS zone.
func (d Domain) Zone() dns.Zone {
	return dns.Zone{Origin: d.Name, Records: slices.Clone(d.Records)}
}

// Domain returns the domain called name (any case).
func (n *Network) Domain(name string) (Domain, bool) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, d := range n.Domains {
		if d.Name == name {
			return d, true
		}
	}
	return Domain{}, false
}

// Servers lists the domains that have a mail server: the worlds to build.
func (n *Network) Servers() []Domain {
	var out []Domain
	for _, d := range n.Domains {
		if d.Host != "" {
			out = append(out, d)
		}
	}
	return out
}

// Resolver returns a new resolver serving Zones. Class zones are added
// to it as classes are made.
func (n *Network) Resolver() *dns.Resolver {
	r, err := dns.NewResolver(n.ResolverName, n.ResolverAddr, n.Zones()...)
	if err != nil {
		panic("network: " + err.Error()) // Parse refuses a domain declared twice
	}
	return r
}

// ReverseZone is the zone of the reverse names of addresses (RFC 1035 §3.5).
const ReverseZone = "in-addr.arpa"

// Zones returns every domain's zone, then the reverse zone: a PTR record
// naming each mail server and the resolver at their addresses, as a well
// run network has (a receiving server checks it).
func (n *Network) Zones() []dns.Zone {
	zones := make([]dns.Zone, 0, len(n.Domains)+1)
	addrs := map[string][]netip.Addr{}
	for _, d := range n.Domains {
		zones = append(zones, d.Zone())
		for _, r := range d.Records {
			if r.Type == dns.TypeA {
				addrs[r.Name] = append(addrs[r.Name], r.Addr)
			}
		}
	}
	rev := dns.Zone{Origin: ReverseZone}
	ptr := func(host string, a netip.Addr) {
		rev.Records = append(rev.Records, dns.Record{Name: dns.ReverseName(a), TTL: DefaultTTL,
			Type: dns.TypePTR, Target: host})
	}
	ptr(n.ResolverName, n.ResolverAddr)
	for _, d := range n.Servers() {
		for _, h := range append([]string{d.Host}, d.Aliases...) {
			for _, a := range addrs[h] {
				ptr(h, a)
			}
		}
	}
	return append(zones, rev)
}

// Down reports whether host is marked as refusing connections.
func (n *Network) Down(host string) bool {
	return n.down[strings.ToLower(strings.TrimSuffix(host, "."))]
}

// Refuses reports whether a connection to host's mail port is refused:
// no domain has its server there, or the host is down. It is what
// dns.Client.Down wants.
func (n *Network) Refuses(host string) bool {
	_, ok := n.ServerAt(host)
	return !ok
}

// ServerAt returns the domain whose mail server answers at host (its Host
// or one of its Aliases). It reports false when nothing listens there: no
// server has that name, or the host is down. A relay connecting to host
// is refused then.
func (n *Network) ServerAt(host string) (Domain, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if n.down[host] {
		return Domain{}, false
	}
	for _, d := range n.Domains {
		if d.Host != "" && (d.Host == host || slices.Contains(d.Aliases, host)) {
			return d, true
		}
	}
	return Domain{}, false
}

// Class addresses: a class's mail server gets one from the top half of
// TEST-NET-3 (RFC 5737), which the built-in file leaves free.
var classPool = netip.MustParsePrefix("203.0.113.128/25")

// ClassTTL is the TTL of a class zone's records.
const ClassTTL = 3600

// ClassZone returns the zone of a class's domain, made at run time: an
// MX naming its server, and the server's address. The address comes from
// the domain's name, so it is the same on every run; two classes may
// share one, as virtual hosts do. host must be in the domain (its address
// lives in the zone): "" or any other name stands for mail.<domain>, the
// host a world gets by default.
func ClassZone(domain, host string) dns.Zone {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host != domain && !strings.HasSuffix(host, "."+domain) {
		host = "mail." + domain
	}
	h := fnv.New32a()
	h.Write([]byte(domain))
	base := classPool.Addr().As4()
	size := uint32(1) << (32 - classPool.Bits())
	// Skip the pool's first and last addresses, as a network's are.
	base[3] += byte(1 + h.Sum32()%(size-2))
	return dns.Zone{Origin: domain, Records: []dns.Record{
		{Name: domain, TTL: ClassTTL, Type: dns.TypeMX, Pref: ClassPref, Target: host},
		{Name: host, TTL: ClassTTL, Type: dns.TypeA, Addr: netip.AddrFrom4(base)},
	}}
}

// ClassPref is the preference of a class domain's only MX.
const ClassPref = 10

package dns

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// Zone is the part of the name space one domain holds: its records, all
// at or below Origin. Its SOA and NS records are the resolver's business.
type Zone struct {
	Origin  string // "other.test"
	Records []Record
}

// SOA timers of every zone. The serial never changes: zones are not
// transferred, and a fixed value keeps transcripts stable.
const (
	SOATTL     = 3600
	SOASerial  = 1
	SOARefresh = 3600
	SOARetry   = 900
	SOAExpire  = 604800
	// NegativeTTL is both the SOA minimum and how long a resolver may
	// remember that a name or a type does not exist (RFC 2308 §5).
	NegativeTTL = 300
)

// RCode is a response code (RFC 1035 §4.1.1).
type RCode uint8

const (
	NoError  RCode = 0
	FormErr  RCode = 1
	ServFail RCode = 2
	NXDomain RCode = 3
	NotImp   RCode = 4
	Refused  RCode = 5
)

var rcodeNames = [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"}

func (c RCode) String() string {
	if int(c) < len(rcodeNames) {
		return rcodeNames[c]
	}
	return "RESERVED" + u32(uint32(c))
}

// Message is the resolver's answer to one question, what a client reads
// in the response: a code and three sections (the OPT pseudo-record of
// EDNS is added on the wire).
type Message struct {
	Name      string // the question's name, as asked (case kept), no final dot
	Type      Type
	RCode     RCode
	Answer    []Record
	Authority []Record // the zone's SOA, for NXDOMAIN and for no data
}

// Errors a lookup returns, wrapped in a *LookupError; test with errors.Is.
var (
	// ErrNXDomain: the name does not exist (NXDOMAIN).
	ErrNXDomain = errors.New("no such domain")
	// ErrNoData: the name exists but has no record of the type asked
	// (NOERROR with an empty answer).
	ErrNoData = errors.New("no record of this type")
	// ErrNullMX: the domain publishes a null MX, "0 ." (RFC 7505): it
	// accepts no mail at all. A relay bounces at once with 556 5.1.10
	// (RFC 7505 §4.1), without retrying.
	ErrNullMX = errors.New("domain accepts no mail (null MX)")
	// ErrNoAddress: there is somewhere to send mail, but no host to
	// connect to: every MX names a host without an address, or the domain
	// has neither MX nor address.
	ErrNoAddress = errors.New("no mail exchanger has an address")
	// ErrZoneExists: Add was given a zone the resolver already holds.
	ErrZoneExists = errors.New("zone already present")
)

// LookupError tells which name and type a lookup failed on, and why.
type LookupError struct {
	Name string
	Type Type
	Err  error
}

func (e *LookupError) Error() string {
	return "lookup " + e.Name + " " + e.Type.String() + ": " + e.Err.Error()
}

func (e *LookupError) Unwrap() error { return e.Err }

// Resolver answers questions about the sandbox's names from the zones it
// holds: a recursive resolver with everything in its cache, and nothing
// beyond. A name outside every zone falls in the sandbox's root zone, and
// does not exist. Zones are added and removed while it runs (a class's
// domain); it is safe for concurrent use.
type Resolver struct {
	name string
	addr netip.Addr

	mu    sync.RWMutex
	zones map[string]Zone // by origin; "." is the root
}

// NewResolver returns a resolver called name (its host name, "ns.test")
// at addr, the address dig and nslookup say they asked, holding zones.
// Its own name gets an A record in the root zone.
func NewResolver(name string, addr netip.Addr, zones ...Zone) (*Resolver, error) {
	name = canonical(name)
	r := &Resolver{name: name, addr: addr, zones: map[string]Zone{}}
	r.zones["."] = Zone{Origin: ".", Records: []Record{{Name: name, TTL: SOATTL, Type: TypeA, Addr: addr}}}
	for _, z := range zones {
		if err := r.Add(z); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Name is the resolver's host name.
func (r *Resolver) Name() string { return r.name }

// Addr is the resolver's address.
func (r *Resolver) Addr() netip.Addr { return r.addr }

// Add starts serving z; z is copied. A zone of the same origin must have
// been removed first.
func (r *Resolver) Add(z Zone) error {
	origin := canonical(z.Origin)
	recs := make([]Record, len(z.Records))
	for i, rec := range z.Records {
		rec.Name = canonical(rec.Name)
		if rec.Target != "" {
			rec.Target = canonical(rec.Target)
		}
		rec.Text = slices.Clone(rec.Text)
		recs[i] = rec
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.zones[origin]; ok {
		return &LookupError{Name: origin, Type: TypeSOA, Err: ErrZoneExists}
	}
	r.zones[origin] = Zone{Origin: origin, Records: recs}
	return nil
}

// Remove stops serving the zone of origin; its names no longer exist. It
// reports whether there was such a zone. The root zone stays.
func (r *Resolver) Remove(origin string) bool {
	origin = canonical(origin)
	if origin == "." {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.zones[origin]
	delete(r.zones, origin)
	return ok
}

// Origins lists the zones served, sorted, the root first.
func (r *Resolver) Origins() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.zones))
	for o := range r.zones {
		out = append(out, o)
	}
	slices.Sort(out) // "." sorts before every letter and digit
	return out
}

// Query answers the question (name, t) as a recursive resolver would.
func (r *Resolver) Query(name string, t Type) Message {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.query(name, t)
}

// query is Query with mu held, so that several lookups see one state of
// the zones.
func (r *Resolver) query(name string, t Type) Message {
	m := Message{Name: strings.TrimSuffix(name, "."), Type: t}
	if m.Name == "" {
		m.Name = "."
	}
	qname := canonical(name)
	z := r.zoneOf(qname)

	exists := qname == z.Origin
	for _, rec := range r.apex(z) {
		if rec.Name == qname && (rec.Type == t || t == TypeANY) {
			m.Answer = append(m.Answer, rec)
		}
	}
	for _, rec := range z.Records {
		if rec.Name == qname || strings.HasSuffix(rec.Name, "."+qname) || qname == "." {
			exists = true // a name with records below it exists too (RFC 8020)
		}
		if rec.Name == qname && (rec.Type == t || t == TypeANY) {
			m.Answer = append(m.Answer, rec)
		}
	}
	for i := range m.Answer {
		if strings.EqualFold(m.Answer[i].Name, m.Name) {
			m.Answer[i].Name = m.Name // the answer points at the question's name
		}
	}
	switch {
	case len(m.Answer) > 0:
	case !exists:
		m.RCode = NXDomain
		fallthrough
	default:
		soa := r.soa(z.Origin)
		soa.TTL = NegativeTTL
		m.Authority = []Record{soa}
	}
	return m
}

// zoneOf returns the zone holding name: the one of the longest origin
// that name is in. Called with mu held.
func (r *Resolver) zoneOf(name string) Zone {
	for n := name; ; {
		if z, ok := r.zones[n]; ok {
			return z
		}
		_, rest, ok := strings.Cut(n, ".")
		if !ok || rest == "" {
			return r.zones["."]
		}
		n = rest
	}
}

// apex returns the records the resolver makes for every zone: its SOA
// and an NS record naming the resolver.
func (r *Resolver) apex(z Zone) []Record {
	return []Record{
		r.soa(z.Origin),
		{Name: z.Origin, TTL: SOATTL, Type: TypeNS, Target: r.name},
	}
}

func (r *Resolver) soa(origin string) Record {
	mbox := "hostmaster." + origin
	if origin == "." {
		mbox = "hostmaster." + parent(r.name)
	}
	return Record{Name: origin, TTL: SOATTL, Type: TypeSOA, SOA: &SOA{
		NS: r.name, Mbox: mbox, Serial: SOASerial, Refresh: SOARefresh,
		Retry: SOARetry, Expire: SOAExpire, MinTTL: NegativeTTL,
	}}
}

// parent returns the name above name ("test" for "ns.test").
func parent(name string) string {
	if _, rest, ok := strings.Cut(name, "."); ok && rest != "" {
		return rest
	}
	return name
}

// lookup returns the records of one type at name, or why there are none.
// Called with mu held.
func (r *Resolver) lookup(name string, t Type) ([]Record, error) {
	m := r.query(name, t)
	switch {
	case m.RCode == NXDomain:
		return nil, &LookupError{Name: canonical(name), Type: t, Err: ErrNXDomain}
	case len(m.Answer) == 0:
		return nil, &LookupError{Name: canonical(name), Type: t, Err: ErrNoData}
	}
	for i := range m.Answer {
		m.Answer[i].Name = canonical(m.Answer[i].Name)
	}
	return m.Answer, nil
}

// MX returns the MX records of name, in zone order.
func (r *Resolver) MX(name string) ([]Record, error) { return r.locked(name, TypeMX) }

// A returns the address records of name, in zone order.
func (r *Resolver) A(name string) ([]Record, error) { return r.locked(name, TypeA) }

// TXT returns the text records of name, in zone order.
func (r *Resolver) TXT(name string) ([]Record, error) { return r.locked(name, TypeTXT) }

func (r *Resolver) locked(name string, t Type) ([]Record, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.lookup(name, t)
}

// canonical writes a name as records hold it: lower case, without its
// final dot, the root as ".".
func canonical(name string) string {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" {
		return "."
	}
	return name
}

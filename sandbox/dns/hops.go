package dns

import (
	"errors"
	"net/netip"
	"slices"
)

// Hop is one place a relay may hand a message for a domain to, in the
// order RFC 5321 §5.1 says to try them.
type Hop struct {
	Host string     // the exchange's name, as in the MX record
	Pref uint16     // its preference: lower first; 0 for an implicit MX
	Addr netip.Addr // where to connect
	// Implicit: the domain has no MX, and Host is the domain itself,
	// reached at its own address (RFC 5321 §5.1).
	Implicit bool
}

// NextHops returns where mail for domain goes, following RFC 5321 §5.1:
//
//   - the MX records sorted by preference, lowest first; exchanges of equal
//     preference keep the zone's order (a real MTA shuffles them; a fixed
//     order keeps tests stable); one hop per address of each exchange;
//   - an exchange without an address is skipped;
//   - no MX at all: the domain's own address, as an implicit MX of
//     preference 0;
//   - a null MX ("0 ."): ErrNullMX, to be bounced with 556 5.1.10;
//   - no such domain: ErrNXDomain; somewhere to go but no address to
//     connect to: ErrNoAddress.
//
// Errors are *LookupError values; test them with errors.Is.
func (r *Resolver) NextHops(domain string) ([]Hop, error) {
	// One read lock for every lookup: a zone removed halfway must not
	// turn a domain's exchangers into hosts without addresses.
	r.mu.RLock()
	defer r.mu.RUnlock()
	domain = canonical(domain)
	mxs, err := r.lookup(domain, TypeMX)
	switch {
	case errors.Is(err, ErrNoData):
		return r.implicit(domain)
	case err != nil:
		return nil, err
	}
	if len(mxs) == 1 && mxs[0].Target == "." {
		return nil, &LookupError{Name: domain, Type: TypeMX, Err: ErrNullMX}
	}
	slices.SortStableFunc(mxs, func(a, b Record) int { return int(a.Pref) - int(b.Pref) })
	var hops []Hop
	for _, mx := range mxs {
		if mx.Target == "." {
			continue // a null MX among others means nothing (RFC 7505 §3)
		}
		addrs, err := r.lookup(mx.Target, TypeA)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			hops = append(hops, Hop{Host: mx.Target, Pref: mx.Pref, Addr: a.Addr})
		}
	}
	if len(hops) == 0 {
		return nil, &LookupError{Name: domain, Type: TypeMX, Err: ErrNoAddress}
	}
	return hops, nil
}

// implicit is the fallback of a domain without MX: its own A records.
// Called with mu held.
func (r *Resolver) implicit(domain string) ([]Hop, error) {
	addrs, err := r.lookup(domain, TypeA)
	if err != nil {
		return nil, &LookupError{Name: domain, Type: TypeMX, Err: ErrNoAddress}
	}
	hops := make([]Hop, len(addrs))
	for i, a := range addrs {
		hops[i] = Hop{Host: domain, Addr: a.Addr, Implicit: true}
	}
	return hops, nil
}

// Package dns is the sandbox's name service: a resolver that answers from
// zones held in memory, the next-hop rules a relay follows (RFC 5321 §5.1,
// RFC 7505), and the commands a student types to query it — dig, host and
// nslookup — printing what BIND 9.18's programs print.
//
// A Resolver holds zones (Zone: an origin and its records); zones are
// added and removed while it runs. Lookups return records as values, or a
// *LookupError wrapping ErrNXDomain, ErrNoData, ErrNullMX or ErrNoAddress:
//
//	hops, err := r.NextHops("univ.test") // mx1 (10), then mx2 (20)
//	if errors.Is(err, dns.ErrNullMX) { /* bounce: 556 5.1.10 */ }
//
// A Client runs the commands against a resolver; its output is a list of
// lines and of notes, each note a catalog key (dns.section.*,
// dns.outcome.*) that explains part of the output. The programs' fixed
// texts are catalog wire texts too (sandbox/catalog/data/dns.wire.json).
// With a fixed clock and id source the output is deterministic.
//
// Nothing here touches the network: names and addresses are the
// sandbox's, described by package network.
package dns

package dns

import (
	"encoding/binary"
	"strings"
)

// The sandbox resolver's replies, as it would send them: a recursive
// resolver (qr rd ra), EDNS with BIND's and Unbound's buffer size.
const (
	// UDPSize is the EDNS buffer size the resolver advertises (the DNS
	// flag day 2020 value).
	UDPSize = 1232
	// ClassIN is the Internet class, the only one the sandbox has.
	ClassIN = 1

	headerSize = 12
	flagQR     = 1 << 15
	flagRD     = 1 << 8
	flagRA     = 1 << 7
	// maxPointer is the largest offset a compression pointer can hold
	// (RFC 1035 §4.1.4: 14 bits).
	maxPointer = 1<<14 - 1
)

// Size returns the length in octets of m as the resolver sends it over
// UDP to dig: header, question, sections with names compressed, and the
// OPT record. dig prints it as MSG SIZE rcvd.
func (m Message) Size() int { return len(m.Pack(0, true)) }

// Pack encodes m as the response with the given id (RFC 1035 §4.1), with
// an OPT record when the question had one (RFC 6891 §7).
func (m Message) Pack(id uint16, edns bool) []byte {
	b := make([]byte, headerSize, 512)
	binary.BigEndian.PutUint16(b[0:], id)
	binary.BigEndian.PutUint16(b[2:], flagQR|flagRD|flagRA|uint16(m.RCode))
	binary.BigEndian.PutUint16(b[4:], 1)
	binary.BigEndian.PutUint16(b[6:], uint16(len(m.Answer)))
	binary.BigEndian.PutUint16(b[8:], uint16(len(m.Authority)))
	if edns {
		binary.BigEndian.PutUint16(b[10:], 1)
	}
	c := compressor{}
	b = c.name(b, m.Name)
	b = binary.BigEndian.AppendUint16(b, uint16(m.Type))
	b = binary.BigEndian.AppendUint16(b, ClassIN)
	for _, rr := range append(append([]Record(nil), m.Answer...), m.Authority...) {
		b = c.record(b, rr)
	}
	if !edns {
		return b
	}
	// OPT (RFC 6891 §6.1.2): root owner, the buffer size in the class
	// field, no extended code, version 0, no flags, no options.
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(TypeOPT))
	b = binary.BigEndian.AppendUint16(b, UDPSize)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint16(b, 0)
	return b
}

// compressor remembers where each name suffix was written, to point back
// to it (RFC 1035 §4.1.4). It matches case-sensitively, so that a name
// keeps its own case: "mx.other.test" never points into a question asked
// as "Other.Test".
type compressor map[string]int

func (c compressor) name(b []byte, name string) []byte {
	name = strings.TrimSuffix(name, ".")
	for name != "" {
		key := name
		if off, ok := c[key]; ok {
			return binary.BigEndian.AppendUint16(b, 0xC000|uint16(off))
		}
		if len(b) <= maxPointer {
			c[key] = len(b)
		}
		label, rest, _ := strings.Cut(name, ".")
		b = append(b, byte(len(label)))
		b = append(b, label...)
		name = rest
	}
	return append(b, 0)
}

func (c compressor) record(b []byte, rr Record) []byte {
	b = c.name(b, rr.Name)
	b = binary.BigEndian.AppendUint16(b, uint16(rr.Type))
	b = binary.BigEndian.AppendUint16(b, ClassIN)
	b = binary.BigEndian.AppendUint32(b, rr.TTL)
	at := len(b)
	b = append(b, 0, 0) // rdata length, filled below
	switch rr.Type {
	case TypeA:
		a := rr.Addr.As4()
		b = append(b, a[:]...)
	case TypeAAAA:
		a := rr.Addr.As16()
		b = append(b, a[:]...)
	case TypeMX:
		b = binary.BigEndian.AppendUint16(b, rr.Pref)
		b = c.name(b, rr.Target)
	case TypeNS, TypeCNAME, TypePTR:
		b = c.name(b, rr.Target)
	case TypeTXT:
		for _, s := range rr.Text {
			b = append(b, byte(len(s)))
			b = append(b, s...)
		}
	case TypeSOA:
		s := rr.SOA
		b = c.name(b, s.NS)
		b = c.name(b, s.Mbox)
		for _, v := range []uint32{s.Serial, s.Refresh, s.Retry, s.Expire, s.MinTTL} {
			b = binary.BigEndian.AppendUint32(b, v)
		}
	}
	binary.BigEndian.PutUint16(b[at:], uint16(len(b)-at-2))
	return b
}

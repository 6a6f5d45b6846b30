package dns

import (
	"net/netip"
	"strconv"
	"strings"
)

// Type is a resource record type (RFC 1035 §3.2.2).
type Type uint16

const (
	TypeA      Type = 1
	TypeNS     Type = 2
	TypeCNAME  Type = 5
	TypeSOA    Type = 6
	TypePTR    Type = 12
	TypeHINFO  Type = 13
	TypeMX     Type = 15
	TypeTXT    Type = 16
	TypeAAAA   Type = 28
	TypeSRV    Type = 33
	TypeNAPTR  Type = 35
	TypeOPT    Type = 41 // EDNS (RFC 6891): a pseudo-record, never in a zone
	TypeDS     Type = 43
	TypeSSHFP  Type = 44
	TypeRRSIG  Type = 46
	TypeNSEC   Type = 47
	TypeDNSKEY Type = 48
	TypeTLSA   Type = 52
	TypeSPF    Type = 99
	TypeIXFR   Type = 251 // zone transfers: not a question a resolver answers
	TypeAXFR   Type = 252
	TypeANY    Type = 255 // a query for every type the name has
	TypeCAA    Type = 257
)

var typeNames = map[Type]string{
	TypeA: "A", TypeNS: "NS", TypeCNAME: "CNAME", TypeSOA: "SOA", TypePTR: "PTR",
	TypeHINFO: "HINFO", TypeMX: "MX", TypeTXT: "TXT", TypeAAAA: "AAAA", TypeSRV: "SRV",
	TypeNAPTR: "NAPTR", TypeOPT: "OPT", TypeDS: "DS", TypeSSHFP: "SSHFP", TypeRRSIG: "RRSIG",
	TypeNSEC: "NSEC", TypeDNSKEY: "DNSKEY", TypeTLSA: "TLSA", TypeSPF: "SPF",
	TypeIXFR: "IXFR", TypeAXFR: "AXFR", TypeANY: "ANY", TypeCAA: "CAA",
}

// String returns the type's mnemonic, or TYPEn for a type without one
// (RFC 3597 §5).
func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// ParseType reads a type mnemonic (any case) or its TYPEn form, as dig and
// host accept them. OPT is not a type one can ask for.
func ParseType(s string) (Type, bool) {
	u := strings.ToUpper(s)
	for t, name := range typeNames {
		if name == u && t != TypeOPT {
			return t, true
		}
	}
	if n, ok := strings.CutPrefix(u, "TYPE"); ok {
		if v, err := strconv.ParseUint(n, 10, 16); err == nil && Type(v) != TypeOPT {
			return Type(v), true
		}
	}
	return 0, false
}

// Record is one resource record of class IN. Which fields are set depends
// on Type; names are lower case and written without their final dot, the
// root being ".".
type Record struct {
	Name   string     // owner
	TTL    uint32     // seconds
	Type   Type       //
	Pref   uint16     // MX: preference, the lowest is tried first
	Target string     // MX: exchange ("." for a null MX); NS: name server
	Addr   netip.Addr // A
	Text   []string   // TXT: its character-strings, each at most MaxString octets
	SOA    *SOA       // SOA
}

// SOA is the data of a start-of-authority record (RFC 1035 §3.3.13).
type SOA struct {
	NS      string // the zone's primary name server
	Mbox    string // its administrator's mailbox, written as a name
	Serial  uint32
	Refresh uint32
	Retry   uint32
	Expire  uint32
	MinTTL  uint32 // also the TTL of negative answers (RFC 2308 §5)
}

// MaxString is the longest character-string of a TXT record (RFC 1035 §3.3).
const MaxString = 255

// Data returns the record's data in master-file form, as dig prints it
// after the type and host after its phrase: "10 mx.other.test." for an MX.
func (r Record) Data() string {
	switch r.Type {
	case TypeA, TypeAAAA:
		return r.Addr.String()
	case TypeMX:
		return strconv.Itoa(int(r.Pref)) + " " + fqdn(r.Target)
	case TypeNS, TypeCNAME, TypePTR:
		return fqdn(r.Target)
	case TypeTXT:
		q := make([]string, len(r.Text))
		for i, s := range r.Text {
			q[i] = quote(s)
		}
		return strings.Join(q, " ")
	case TypeSOA:
		s := r.SOA
		if s == nil {
			return ""
		}
		return fqdn(s.NS) + " " + fqdn(s.Mbox) + " " + u32(s.Serial) + " " + u32(s.Refresh) + " " +
			u32(s.Retry) + " " + u32(s.Expire) + " " + u32(s.MinTTL)
	}
	return ""
}

// String returns the record as a master-file line with dig's columns.
func (r Record) String() string { return formatRR(fqdn(r.Name), r.TTL, r.Type, r.Data()) }

func u32(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// fqdn writes a name with its final dot, as master files and dig do.
func fqdn(name string) string {
	if name == "" || name == "." {
		return "."
	}
	return name + "."
}

// quote writes one character-string the way BIND does: in double quotes,
// with " and \ escaped and bytes outside printable ASCII as \DDD.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			b.WriteByte('\\')
			d := strconv.Itoa(int(c))
			b.WriteString(strings.Repeat("0", 3-len(d)) + d)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// dig's default columns (bin/dig/dig.c): the TTL starts at column 24, the
// class at 32, the type at 40 and the data at 48, with tabs of 8.
const (
	columnTTL   = 24
	columnClass = 32
	columnType  = 40
	columnData  = 48
	tabWidth    = 8
)

// formatRR lays out one record the way dig does.
func formatRR(owner string, ttl uint32, t Type, data string) string {
	var b strings.Builder
	b.WriteString(owner)
	col := len(owner)
	col = indent(&b, col, columnTTL)
	b.WriteString(u32(ttl))
	col += len(u32(ttl))
	col = indent(&b, col, columnClass)
	b.WriteString("IN")
	col = indent(&b, col+2, columnType)
	b.WriteString(t.String())
	indent(&b, col+len(t.String()), columnData)
	b.WriteString(data)
	return b.String()
}

// formatQuestion lays out a question line: ";name", then the class in the
// class column and the type after it.
func formatQuestion(name string, t Type) string {
	var b strings.Builder
	owner := ";" + fqdn(name)
	b.WriteString(owner)
	col := indent(&b, len(owner), columnClass)
	b.WriteString("IN")
	indent(&b, col+2, columnType)
	b.WriteString(t.String())
	return b.String()
}

// indent moves from column from to column to with tabs, as BIND's
// masterdump does: at least one character, tabs first, spaces for the rest.
func indent(b *strings.Builder, from, to int) int {
	if to < from+1 {
		to = from + 1
	}
	if tabs := to/tabWidth - from/tabWidth; tabs > 0 {
		b.WriteString(strings.Repeat("\t", tabs))
		from = to / tabWidth * tabWidth
	}
	b.WriteString(strings.Repeat(" ", to-from))
	return to
}

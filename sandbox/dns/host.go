package dns

import (
	"net/netip"
	"strconv"
	"strings"
)

// host's options (bin/dig/host.c): hostOptions the letters it knows,
// hostValue those that take a value.
const (
	hostOptions = "46aAcdilnmprstvVwCDNRTUW"
	hostValue   = "cmptNRW"
)

// hostPhrase is what host says between a name and a record's data
// (bin/dig/host.c, rtypes); other types read "has TYPE record".
var hostPhrase = map[Type]string{
	TypeA: "address", TypeNS: "ns", TypeCNAME: "cname", TypePTR: "ptr", TypeHINFO: "hinfo",
	TypeMX: "mx", TypeTXT: "txt", TypeAAAA: "aaaa",
}

// hostTries is how many times host sends a UDP query before giving up.
const hostTries = 2

// Host runs host with the arguments as typed (without the program name):
// options, a name, and optionally the server to ask. A usage error is
// returned as a *UsageError.
func (c Client) Host(argv []string) (Output, error) {
	qtype, typed := TypeA, false
	i := 0
	for ; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break // options end at the first operand, as with getopt
		}
		for j := 1; j < len(a); j++ {
			letter := a[j]
			if !strings.ContainsRune(hostOptions, rune(letter)) {
				return Output{}, hostUsage(wire("host.illegal", "option", string(letter)))
			}
			value := ""
			if strings.ContainsRune(hostValue, rune(letter)) {
				value = a[j+1:]
				if value == "" {
					if i+1 == len(argv) {
						return Output{}, hostUsage(wire("host.needs_value", "option", string(letter)))
					}
					i++
					value = argv[i]
				}
				j = len(a)
			}
			switch letter {
			case '4':
			case 'V':
				return Output{Lines: wire("host.version", "version", Version)}, nil
			case 't':
				t, ok := ParseType(value)
				if !ok {
					return Output{}, usage(ExitHostBadType, Note{Key: "dns.outcome.bad_type", Args: args("type", value)},
						wire("host.bad_type", "type", value))
				}
				if t == TypeAXFR || t == TypeIXFR {
					return Output{}, unsupported("host", "-t "+value)
				}
				qtype, typed = t, true
			case 'c':
				if !strings.EqualFold(value, "IN") {
					return Output{}, unsupported("host", "-c "+value)
				}
			default:
				opt := "-" + string(letter)
				if value != "" {
					opt += " " + value
				}
				return Output{}, unsupported("host", opt)
			}
		}
	}
	rest := argv[i:]
	if len(rest) == 0 {
		return Output{}, hostUsage()
	}
	name := rest[0]
	var o output
	if len(rest) > 1 {
		server := rest[1]
		if !c.isResolver(server) {
			return c.hostUnreachable(o, server)
		}
		o.note("section.server", "server", c.Resolver.Name(), "addr", c.Resolver.Addr().String())
		o.add(wire("host.server", "server", server, "addr", c.Resolver.Addr().String())...)
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		// host names a reverse name in full, final dot included
		name, qtype, typed = ReverseName(a)+".", TypePTR, true
	}
	if why := checkName(name); why != "" {
		return Output{}, badName("host", name, why)
	}
	if !typed {
		return c.hostDefault(o, name), nil
	}
	m := c.Resolver.Query(name, qtype)
	c.outcome(&o, m)
	c.hostAnswer(&o, name, m, true)
	return o.Output, nil
}

func hostUsage(first ...[]string) *UsageError {
	return usage(ExitFailure, Note{Key: "dns.outcome.usage", Args: args("prog", "host")},
		append(first, wire("host.usage"))...)
}

// hostDefault is host without -t: the name's addresses, then its mail
// exchangers, each lookup printed as it comes.
func (c Client) hostDefault(o output, name string) Output {
	a := c.Resolver.Query(name, TypeA)
	if a.RCode != NoError {
		c.outcome(&o, a)
		c.hostAnswer(&o, name, a, false)
		return o.Output
	}
	mx := c.Resolver.Query(name, TypeMX)
	if len(a.Answer) > 0 {
		c.outcome(&o, a)
	}
	c.hostAnswer(&o, name, a, false)
	c.hostAnswer(&o, name, c.Resolver.Query(name, TypeAAAA), false)
	c.outcome(&o, mx)
	c.hostAnswer(&o, name, mx, false)
	return o.Output
}

// hostAnswer prints one answer as host does: a sentence per record, or
// why there is none (only when the type was asked for).
func (c Client) hostAnswer(o *output, name string, m Message, typed bool) {
	if m.RCode != NoError {
		o.add(line("host.not_found", "name", name, "code", strconv.Itoa(int(m.RCode)), "status", m.RCode.String()))
		o.Status = ExitFailure
		return
	}
	for _, rr := range m.Answer {
		owner := strings.TrimSuffix(rr.Name, ".")
		if p, ok := hostPhrase[rr.Type]; ok {
			o.add(line("host."+p, "name", owner, "data", rr.Data()))
		} else {
			o.add(line("host.other", "name", owner, "type", rr.Type.String(), "data", rr.Data()))
		}
	}
	if typed && len(m.Answer) == 0 {
		o.add(line("host.no_record", "name", canonical(m.Name), "type", m.Type.String()))
	}
}

// hostUnreachable is host asking a server other than the sandbox's.
func (c Client) hostUnreachable(o output, server string) (Output, error) {
	addr, err := c.serverAddr("host", server)
	if err != nil {
		return Output{}, err
	}
	o.note("outcome.unreachable", "server", server, "resolver", c.Resolver.Addr().String())
	for range hostTries {
		o.add(line("host.timeout", "addr", addr))
	}
	o.add(line("host.unreachable"))
	o.Status = ExitFailure
	return o.Output, nil
}

// ReverseName is the in-addr.arpa name of an IPv4 address (RFC 1035
// §3.5), where its PTR record is.
func ReverseName(a netip.Addr) string {
	b := a.As4()
	return strconv.Itoa(int(b[3])) + "." + strconv.Itoa(int(b[2])) + "." + strconv.Itoa(int(b[1])) + "." +
		strconv.Itoa(int(b[0])) + ".in-addr.arpa"
}

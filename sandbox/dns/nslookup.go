package dns

import (
	"net/netip"
	"strings"
)

// nslookupPhrase is what nslookup writes between a name and a record's
// data (bin/dig/nslookup.c, rtypetext); A and AAAA answers and SOA
// records have a layout of their own.
var nslookupPhrase = map[Type]string{
	TypeNS: "ns", TypeCNAME: "cname", TypePTR: "ptr", TypeHINFO: "hinfo", TypeMX: "mx", TypeTXT: "txt",
}

// nslookupTypeOptions are the spellings of nslookup's -type=.
var nslookupTypeOptions = []string{"type=", "ty=", "querytype=", "query=", "qu=", "q="}

// nslookupOptions are nslookup's other options (bin/dig/nslookup.c), which
// the sandbox does not have.
var nslookupOptions = []string{"all", "class=", "cl=", "domain=", "do=", "port=", "po=",
	"timeout=", "t=", "recurse", "norecurse", "retry=", "ret=", "defname", "nodefname", "vc",
	"novc", "debug", "nodebug", "d2", "nod2", "search", "nosearch", "sil", "fail", "nofail",
	"ndots=", "version"}

// Nslookup runs nslookup with the arguments as typed (without the program
// name): options, a name, and optionally the server to ask. Without a name
// nslookup would be interactive, which the sandbox's shell is not. A usage
// error is returned as a *UsageError.
func (c Client) Nslookup(argv []string) (Output, error) {
	var o output
	qtype, typed := TypeA, false
	var operands []string
	for _, a := range argv {
		opt, isOpt := strings.CutPrefix(a, "-")
		if !isOpt || opt == "" {
			operands = append(operands, a)
			continue
		}
		lower := strings.ToLower(opt)
		if value, ok := cutAny(lower, opt, nslookupTypeOptions); ok {
			t, known := ParseType(value)
			switch {
			case !known:
				o.add(line("nslookup.bad_type", "type", value))
			case t == TypeAXFR || t == TypeIXFR:
				return Output{}, unsupported("nslookup", a)
			default:
				qtype, typed = t, true
			}
			continue
		}
		if strings.HasPrefix(lower, "ver") {
			return Output{Lines: wire("nslookup.version", "version", Version)}, nil
		}
		for _, known := range nslookupOptions {
			if lower == known || strings.HasSuffix(known, "=") && strings.HasPrefix(lower, known) {
				return Output{}, unsupported("nslookup", a)
			}
		}
		o.add(line("nslookup.invalid", "option", opt))
	}
	switch {
	case len(operands) == 0 || operands[0] == "-":
		return Output{}, usage(ExitFailure, Note{Key: "dns.outcome.interactive", Args: args("prog", "nslookup")},
			wire("interactive", "prog", "nslookup"))
	case len(operands) > 2:
		return Output{}, nslookupUsage()
	}
	name := operands[0]
	server := c.Resolver.Addr().String()
	if len(operands) == 2 {
		server = operands[1]
		if !c.isResolver(server) {
			return c.nslookupUnreachable(o, server)
		}
	}
	// An address is looked up by its reverse name, whatever -type says;
	// without -type, nslookup then prints no header (bin/dig/nslookup.c).
	header := true
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		name, qtype, header = ReverseName(a), TypePTR, typed
		typed = true
	}
	if why := checkName(name); why != "" {
		return Output{}, badName("nslookup", name, why)
	}
	if header {
		o.note("section.server", "server", c.Resolver.Name(), "addr", c.Resolver.Addr().String())
		o.add(line("nslookup.server", "server", server), line("nslookup.address", "addr", c.Resolver.Addr().String()), "")
	}
	if !typed {
		c.nslookupDefault(&o, name)
	} else {
		c.nslookupAnswer(&o, name, c.Resolver.Query(name, qtype), header)
	}
	o.add("") // nslookup ends with an empty line
	return o.Output, nil
}

func nslookupUsage() *UsageError {
	return usage(ExitFailure, Note{Key: "dns.outcome.usage", Args: args("prog", "nslookup")}, wire("nslookup.usage"))
}

// cutAny returns what follows the first of prefixes that lower starts
// with, taken from orig to keep its case.
func cutAny(lower, orig string, prefixes []string) (string, bool) {
	for _, p := range prefixes {
		if strings.HasPrefix(lower, p) {
			return orig[len(p):], true
		}
	}
	return "", false
}

// nslookupDefault is nslookup without -type: an A query, then an AAAA
// query whose "No answer" shows only when neither had any.
func (c Client) nslookupDefault(o *output, name string) {
	a := c.Resolver.Query(name, TypeA)
	if a.RCode != NoError {
		c.outcome(o, a)
		o.add(line("nslookup.not_found", "name", canonical(name), "status", a.RCode.String()))
		o.Status = ExitFailure
		return
	}
	o.note("section.nonauth")
	o.add(line("nslookup.nonauth"))
	c.outcome(o, a)
	c.nslookupRecords(o, a.Answer)
	if aaaa := c.Resolver.Query(name, TypeAAAA); len(aaaa.Answer) > 0 {
		c.nslookupRecords(o, aaaa.Answer)
	} else if len(a.Answer) == 0 {
		o.add(line("nslookup.no_answer", "name", name))
	}
}

// nslookupAnswer prints the answer to an explicit -type, or to a reverse
// lookup; header says whether "Non-authoritative answer:" comes first.
func (c Client) nslookupAnswer(o *output, name string, m Message, header bool) {
	if m.RCode != NoError {
		c.outcome(o, m)
		o.add(line("nslookup.not_found", "name", canonical(name), "status", m.RCode.String()))
		o.Status = ExitFailure
		return
	}
	if header {
		o.note("section.nonauth")
		o.add(line("nslookup.nonauth"))
	}
	c.outcome(o, m)
	if len(m.Answer) > 0 {
		c.nslookupRecords(o, m.Answer)
	} else {
		o.add(line("nslookup.no_answer", "name", name))
	}
	if m.Type != TypeA && m.Type != TypeAAAA {
		o.add("")
		o.note("section.auth_from")
		o.add(line("nslookup.auth"))
		c.nslookupRecords(o, m.Authority)
	}
}

// nslookupRecords prints records in nslookup's layouts.
func (c Client) nslookupRecords(o *output, recs []Record) {
	for _, rr := range recs {
		owner := strings.TrimSuffix(rr.Name, ".")
		switch {
		case rr.Type == TypeA || rr.Type == TypeAAAA:
			o.add(line("nslookup.name", "name", owner), line("nslookup.addr", "addr", rr.Addr.String()))
		case rr.Type == TypeSOA:
			s := rr.SOA
			o.add(wire("nslookup.soa", "name", owner, "ns", s.NS, "mbox", s.Mbox, "serial", u32(s.Serial),
				"refresh", u32(s.Refresh), "retry", u32(s.Retry), "expire", u32(s.Expire), "minimum", u32(s.MinTTL))...)
		case nslookupPhrase[rr.Type] != "":
			o.add(line("nslookup."+nslookupPhrase[rr.Type], "name", owner, "data", rr.Data()))
		default:
			o.add(line("nslookup.other", "name", owner, "type", u32(uint32(rr.Type)), "data", rr.Data()))
		}
	}
}

// nslookupUnreachable is nslookup asking a server other than the sandbox's.
func (c Client) nslookupUnreachable(o output, server string) (Output, error) {
	addr, err := c.serverAddr("nslookup", server)
	if err != nil {
		return Output{}, err
	}
	o.note("outcome.unreachable", "server", server, "resolver", c.Resolver.Addr().String())
	for range nslookupTries {
		o.add(line("nslookup.timeout", "addr", addr))
	}
	o.add(line("nslookup.unreachable"), "")
	o.Status = ExitFailure
	return o.Output, nil
}

// nslookupTries is how many times nslookup sends a query before giving
// up (resolv.conf's attempts, 3 when unset).
const nslookupTries = 3

package dns

import (
	"slices"
	"strconv"
	"strings"
)

// outcome adds the notes that say what the answer m means for mail, at
// the current line.
func (c Client) outcome(o *output, m Message) {
	name := canonical(m.Name)
	if m.RCode == NXDomain {
		o.note("outcome.nxdomain", "name", name)
		return
	}
	if m.Type == TypeMX {
		c.mxOutcome(o, name, m.Answer)
		return
	}
	if len(m.Answer) == 0 {
		o.note("outcome.nodata", "name", name, "type", m.Type.String())
		return
	}
	switch m.Type {
	case TypeA:
		var addrs []string
		for _, rr := range m.Answer {
			addrs = append(addrs, rr.Addr.String())
		}
		o.note("outcome.a", "name", name, "addr", strings.Join(addrs, ", "))
	case TypeTXT:
		for _, rr := range m.Answer {
			if text := strings.Join(rr.Text, ""); strings.HasPrefix(text, "v=spf1") {
				o.note("outcome.spf", "name", name, "text", text)
				return
			}
		}
		o.note("outcome.txt", "name", name)
	case TypeNS:
		o.note("outcome.ns", "name", name, "host", canonical(m.Answer[0].Target))
	case TypePTR:
		o.note("outcome.ptr", "name", name, "host", canonical(m.Answer[0].Target))
	case TypeSOA:
		o.note("outcome.soa", "name", name, "host", canonical(m.Answer[0].SOA.NS))
	default:
		o.note("outcome.any", "name", name)
	}
}

// mxOutcome explains an MX answer the way a relay would read it
// (RFC 5321 §5.1, RFC 7505).
func (c Client) mxOutcome(o *output, name string, answer []Record) {
	var mxs []Record
	for _, rr := range answer {
		if rr.Type == TypeMX {
			mxs = append(mxs, rr)
		}
	}
	if len(mxs) == 0 {
		if a, err := c.Resolver.A(name); err == nil {
			o.note("outcome.implicit_mx", "name", name, "addr", a[0].Addr.String())
		} else {
			o.note("outcome.nodata_mx", "name", name)
		}
		return
	}
	if len(mxs) == 1 && mxs[0].Target == "." {
		o.note("outcome.null_mx", "name", name)
		return
	}
	slices.SortStableFunc(mxs, func(a, b Record) int { return int(a.Pref) - int(b.Pref) })
	first := canonical(mxs[0].Target)
	var backups, shared []string
	for _, mx := range mxs[1:] {
		if mx.Pref == mxs[0].Pref {
			shared = append(shared, canonical(mx.Target))
		} else {
			backups = append(backups, canonical(mx.Target)+" ("+strconv.Itoa(int(mx.Pref))+")")
		}
	}
	switch {
	case len(shared) > 0:
		o.note("outcome.mx_shared", "name", name, "host", first, "others", strings.Join(shared, ", "),
			"pref", strconv.Itoa(int(mxs[0].Pref)))
	case len(backups) > 0:
		o.note("outcome.mx_backup", "name", name, "host", first, "pref", strconv.Itoa(int(mxs[0].Pref)),
			"backup", strings.Join(backups, ", "))
	default:
		o.note("outcome.mx", "name", name, "host", first, "pref", strconv.Itoa(int(mxs[0].Pref)))
	}
	for _, mx := range mxs {
		host := canonical(mx.Target)
		if host == "." {
			continue
		}
		if _, err := c.Resolver.A(host); err != nil {
			o.note("outcome.no_address", "name", name, "host", host)
		} else if c.down(host) {
			o.note("outcome.down", "name", name, "host", host)
		}
	}
}

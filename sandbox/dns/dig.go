package dns

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// digQuery is a parsed dig command line.
type digQuery struct {
	server      string // after @, as typed; "" for the default resolver
	serverFirst bool   // the server came before the name
	reverse     bool   // -x: the default type is PTR
	name        string
	named       bool
	qtype       Type
	typed       bool
	short       bool
	cmd         bool
	comments    bool
	question    bool
	answer      bool
	authority   bool
	additional  bool
	stats       bool
	warnings    []string // what dig prints on its standard error and goes on
}

// digPlus lists dig's +options (bin/dig/dig.c): those the sandbox honours
// set a field, the others are refused as not available here.
var digPlus = []string{
	"aaflag", "aaonly", "additional", "adflag", "all", "answer", "authority", "badcookie",
	"besteffort", "bufsize", "cdflag", "class", "cmd", "comments", "cookie", "crypto",
	"defname", "dns64prefix", "dnssec", "domain", "edns", "ednsflags", "ednsnegotiation",
	"ednsopt", "expandaaaa", "expire", "fail", "header-only", "http-plain", "http-plain-get",
	"https", "https-get", "https-post", "identify", "idnin", "idnout", "ignore", "keepalive",
	"keepopen", "mapped", "multiline", "ndots", "nsid", "nssearch", "onesoa", "opcode",
	"padding", "qid", "qr", "question", "raflag", "rdflag", "recurse", "retry", "rrcomments",
	"search", "short", "showbadcookie", "showsearch", "sigchase", "split", "stats", "subnet",
	"tcflag", "tcp", "timeout", "tls", "tls-ca", "tls-certfile", "tls-hostname",
	"tls-keyfile", "topdown", "trace", "tries", "trusted-key", "ttlid", "ttlunits",
	"unexpected", "unknownformat", "vc", "yaml", "zflag",
}

// digDash lists the letters of dig's -options; digDashValue those that
// take a value.
const (
	digDash      = "46bcdfhikmnpqrtuvxy"
	digDashValue = "bcfkpqtxy"
)

// Dig runs dig with the arguments as typed (without the program name).
// It answers one name per command; a usage error is returned as a
// *UsageError.
func (c Client) Dig(argv []string) (Output, error) {
	q := digQuery{cmd: true, comments: true, question: true, answer: true, authority: true,
		additional: true, stats: true}
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		switch {
		case strings.HasPrefix(a, "@") && len(a) > 1:
			q.server = a[1:]
			// dig counts the servers found when it echoes the command,
			// at the first name: a server given after it is not counted.
			q.serverFirst = q.serverFirst || !q.named
		case strings.HasPrefix(a, "+") && len(a) > 1:
			if err := q.plus(a[1:]); err != nil {
				return Output{}, err
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			letter := a[1]
			if letter == 'v' && len(a) == 2 {
				return Output{Lines: wire("dig.version", "version", Version)}, nil
			}
			if !strings.ContainsRune(digDash, rune(letter)) {
				return Output{}, digInvalid(a)
			}
			value := a[2:]
			if strings.ContainsRune(digDashValue, rune(letter)) && value == "" {
				if i+1 == len(argv) {
					return Output{}, digInvalid(a)
				}
				i++
				value = argv[i]
			}
			if err := q.dash(letter, value); err != nil {
				return Output{}, err
			}
		default:
			if err := q.word(a); err != nil {
				return Output{}, err
			}
		}
	}
	if !q.named {
		q.name, q.qtype = ".", TypeNS // dig without a name asks for the root's servers
	} else if !q.typed {
		q.qtype = TypeA
		if q.reverse {
			q.qtype = TypePTR
		}
	}
	if why := checkName(q.name); why != "" {
		return Output{}, badName("dig", q.name, why)
	}
	return c.dig(q, argv)
}

func digInvalid(option string) *UsageError {
	return usage(ExitFailure, Note{Key: "dns.outcome.usage", Args: args("prog", "dig")},
		wire("dig.invalid", "option", option), wire("dig.usage"))
}

// digShown are the +options that choose what dig prints, with the
// shortest abbreviation dig takes for each (bin/dig/dig.c).
var digShown = []struct {
	name string
	min  int
}{
	{"all", 2}, {"answer", 2}, {"authority", 2}, {"additional", 3}, {"cmd", 2},
	{"comments", 3}, {"question", 2}, {"stats", 2}, {"short", 4},
}

// plus applies one +option.
func (q *digQuery) plus(opt string) error {
	word, _, _ := strings.Cut(strings.ToLower(opt), "=")
	on := true
	if w, ok := strings.CutPrefix(word, "no"); ok {
		word, on = w, false
	}
	for _, s := range digShown {
		if len(word) >= s.min && strings.HasPrefix(s.name, word) {
			word = s.name
			break
		}
	}
	set := map[string]*bool{"cmd": &q.cmd, "comments": &q.comments, "question": &q.question,
		"answer": &q.answer, "authority": &q.authority, "additional": &q.additional, "stats": &q.stats}
	switch {
	case word == "all":
		for _, p := range set {
			*p = on
		}
	case word == "short":
		q.short = on
		if on {
			q.cmd, q.comments, q.question, q.authority, q.additional, q.stats = false, false, false, false, false, false
			q.answer = true
		}
	case set[word] != nil:
		*set[word] = on
	default:
		for _, known := range digPlus {
			if len(word) >= 2 && strings.HasPrefix(known, word) {
				return unsupported("dig", "+"+opt)
			}
		}
		return digInvalid("+" + opt)
	}
	return nil
}

// dash applies one -option and its value.
func (q *digQuery) dash(letter byte, value string) error {
	switch letter {
	case 't':
		t, ok := ParseType(value)
		switch {
		case !ok:
			q.warnings = append(q.warnings, line("dig.bad_type", "type", value))
		case t == TypeAXFR || t == TypeIXFR:
			return unsupported("dig", "-t "+value)
		default:
			if q.typed {
				q.warnings = append(q.warnings, line("dig.extra_type"))
			}
			q.qtype, q.typed = t, true
		}
	case 'q':
		return q.setName(value)
	case 'x':
		if err := q.setName(reverseAny(value)); err != nil {
			return err
		}
		q.reverse = true
	case 'c':
		if !strings.EqualFold(value, "IN") {
			return unsupported("dig", "-c "+value)
		}
	case '4': // IPv4 only: the sandbox has nothing else
	default:
		opt := "-" + string(letter)
		if strings.ContainsRune(digDashValue, rune(letter)) {
			opt += " " + value
		}
		return unsupported("dig", opt)
	}
	return nil
}

// word classifies a bare argument as dig does: a type, else a class,
// else the name to look up.
func (q *digQuery) word(a string) error {
	if t, ok := ParseType(a); ok {
		if t == TypeAXFR || t == TypeIXFR {
			return unsupported("dig", a)
		}
		if q.typed {
			q.warnings = append(q.warnings, line("dig.extra_type"))
		}
		q.qtype, q.typed = t, true
		return nil
	}
	if isClass(a) {
		if !strings.EqualFold(a, "IN") {
			return unsupported("dig", a)
		}
		return nil
	}
	return q.setName(a)
}

func (q *digQuery) setName(name string) error {
	if q.named {
		return usage(ExitFailure, Note{Key: "dns.outcome.one_name", Args: args("prog", "dig")},
			wire("one_name", "prog", "dig"))
	}
	q.name, q.named = name, true
	return nil
}

// reverseAny is the reverse name dig -x makes: an IPv6 address's nibbles
// under ip6.arpa, anything else's dot-separated parts reversed blindly
// under in-addr.arpa, so that partial addresses work (bin/dig/dighost.c).
func reverseAny(value string) string {
	if a, err := netip.ParseAddr(value); err == nil && a.Is6() && !a.Is4In6() {
		b := a.As16()
		var sb strings.Builder
		for i := len(b) - 1; i >= 0; i-- {
			sb.WriteString(strconv.FormatUint(uint64(b[i]&0xf), 16) + "." + strconv.FormatUint(uint64(b[i]>>4), 16) + ".")
		}
		return sb.String() + "ip6.arpa"
	}
	parts := strings.Split(value, ".")
	slices.Reverse(parts)
	return strings.Join(parts, ".") + ".in-addr.arpa"
}

// isClass reports whether a is a class name BIND knows.
func isClass(a string) bool {
	switch strings.ToUpper(a) {
	case "IN", "CH", "CHAOS", "HS", "HESIOD", "NONE", "ANY":
		return true
	}
	n, ok := strings.CutPrefix(strings.ToUpper(a), "CLASS")
	_, err := strconv.ParseUint(n, 10, 16)
	return ok && err == nil
}

// dig prints the answer to q as dig 9.18 does.
func (c Client) dig(q digQuery, argv []string) (Output, error) {
	var o output
	o.add(q.warnings...)
	if q.server != "" && !c.isResolver(q.server) {
		return c.digUnreachable(o, q, argv)
	}
	m := c.Resolver.Query(q.name, q.qtype)
	if q.short {
		o.note("section.short")
		c.outcome(&o, m)
		for _, rr := range m.Answer {
			o.add(rr.Data())
		}
		return o.Output, nil
	}
	if q.cmd {
		c.digBanner(&o, q, argv)
	}
	if q.comments {
		o.add(line("dig.got"))
		o.note("section.header", "status", m.RCode.String())
		o.add(line("dig.header", "status", m.RCode.String(), "id", strconv.Itoa(int(c.newID()))))
		o.note("section.flags")
		o.add(line("dig.flags", "answer", strconv.Itoa(len(m.Answer)), "authority", strconv.Itoa(len(m.Authority))))
		o.add("")
		o.note("section.opt", "udp", strconv.Itoa(UDPSize))
		o.add(line("dig.opt"), line("dig.edns", "udp", strconv.Itoa(UDPSize)))
	}
	if q.question {
		if q.comments {
			o.note("section.question", "name", canonical(m.Name), "type", m.Type.String())
			o.add(line("dig.question"))
		}
		o.add(formatQuestion(m.Name, m.Type))
		if q.comments {
			o.add("")
		}
	}
	if q.answer && len(m.Answer) > 0 {
		if q.comments {
			o.note("section.answer")
			o.add(line("dig.answer"))
		}
		c.outcome(&o, m)
		for _, rr := range m.Answer {
			o.add(rr.String())
		}
		if q.comments {
			o.add("")
		}
	} else if len(m.Answer) == 0 {
		c.outcome(&o, m)
	}
	if q.authority && len(m.Authority) > 0 {
		if q.comments {
			o.note("section.authority", "zone", canonical(m.Authority[0].Name),
				"ttl", strconv.Itoa(int(m.Authority[0].TTL)))
			o.add(line("dig.authority"))
		}
		for _, rr := range m.Authority {
			o.add(rr.String())
		}
		if q.comments {
			o.add("")
		}
	}
	if q.stats {
		server := c.Resolver.Addr().String()
		if q.server != "" {
			server = q.server
		}
		o.note("section.stats", "server", c.Resolver.Name(), "addr", c.Resolver.Addr().String())
		o.add(line("dig.time", "ms", strconv.Itoa(int(QueryTime.Milliseconds()))),
			line("dig.server", "addr", c.Resolver.Addr().String(), "server", server),
			line("dig.when", "when", c.now().Format(whenLayout)),
			line("dig.size", "size", strconv.Itoa(m.Size())),
			"")
	}
	return o.Output, nil
}

// whenLayout is dig's strftime "%a %b %d %H:%M:%S %Z %Y".
const whenLayout = "Mon Jan 02 15:04:05 MST 2006"

// digBanner prints the command line dig echoes, and its global options.
func (c Client) digBanner(o *output, q digQuery, argv []string) {
	o.note("section.banner")
	o.add("", line("dig.banner", "version", Version, "args", strings.Join(argv, " ")))
	if q.serverFirst {
		o.add(line("dig.servers"))
	}
	o.add(line("dig.global"))
}

// digUnreachable is dig asking a server other than the sandbox's: nothing
// answers there, and dig gives up after its three tries.
func (c Client) digUnreachable(o output, q digQuery, argv []string) (Output, error) {
	addr, err := c.serverAddr("dig", q.server)
	if err != nil {
		return Output{}, err
	}
	o.note("outcome.unreachable", "server", q.server, "resolver", c.Resolver.Addr().String())
	for range digTries {
		o.add(line("dig.timeout", "addr", addr))
	}
	if q.cmd && !q.short {
		c.digBanner(&o, q, argv)
	}
	o.add(line("dig.unreachable"))
	o.Status = ExitNoReply
	return o.Output, nil
}

// digTries is how many times dig sends a UDP query before giving up
// (+tries, default 3).
const digTries = 3

package network

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/dns"
)

// Limits of a description. A teacher's file is trusted, but a typo must
// not eat the server's memory.
const (
	MaxFileSize    = 1 << 20 // octets
	MaxLine        = 4096    // octets in one line
	MaxDomains     = 200
	MaxRecords     = 5000 // in the whole file
	MaxUsers       = 500  // entries of one domain
	MaxTTL         = 1<<31 - 1
	MaxErrors      = 20 // reported at once; the rest are dropped
	MaxTXTStrings  = 16 // character-strings in one TXT record
	MaxServerNames = 8  // names of one $SERVER line
	// MaxBanner is the longest banner text: a reply line is at most 512
	// octets with its code and CRLF (RFC 5321 §4.5.3.1.5), and {host}
	// still has to be replaced by a name of up to 253.
	MaxBanner = 200
	// MaxGreylist is the longest greylisting delay: longer, and a message
	// would wait past the queue's lifetime (sandbox.Limits.QueueLifetime).
	MaxGreylist = 5 * time.Minute
)

// DefaultTTL is the TTL of records before any $TTL line.
const DefaultTTL = 3600

// testNets are the only addresses a description may use (RFC 5737):
// nothing in the sandbox must look like a real host.
var testNets = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
}

// reservedTLDs are the top-level domains a sandbox name may end in (RFC
// 2606, RFC 6761): they never exist on the Internet.
var reservedTLDs = []string{"test", "example", "invalid"}

// Error is one problem of a description, at a line of its file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg }

// ErrorList is every problem found, in line order; its first is at
// errors.As's reach as an *Error.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap gives errors.As and errors.Is each problem.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Load reads a teacher's description from the file at path.
func Load(path string) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse reads a description; name is the file's name in errors.
func Parse(name string, r io.Reader) (*Network, error) {
	p := &parser{file: name, ttl: DefaultTTL, n: &Network{down: map[string]bool{}},
		hosts: map[string]int{}}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		p.errorf(1, "file larger than %d octets", MaxFileSize)
		return nil, p.errs
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 0, MaxLine), MaxLine)
	for sc.Scan() {
		p.line++
		p.parseLine(sc.Text())
		if len(p.errs) >= MaxErrors {
			break
		}
	}
	if err := sc.Err(); err != nil {
		p.errorf(p.line+1, "line longer than %d octets", MaxLine)
	}
	p.check()
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.n, nil
}

// parser holds the state of one Parse.
type parser struct {
	file     string
	line     int
	errs     ErrorList
	n        *Network
	ttl      uint32
	resolver int // line of $RESOLVER, 0 if none yet
	cur      *domainState
	domains  []*domainState
	records  int
	hosts    map[string]int // host names with an A record → line of the first
	downs    []lined
}

// domainState is a domain being read, with the lines its checks report.
type domainState struct {
	Domain
	server    int // line of $SERVER
	banner    int
	greylist  int // line of $GREYLIST
	usersLine int // line of $USERS builtin
	firstUser int
	aliases   []lined // $ALIAS lines, checked once every user is known
	recLines  []int   // the line of each of Records
}

// lined is a value and the line it came from.
type lined struct {
	value, target string
	line          int
}

func (p *parser) errorf(line int, format string, a ...any) {
	if len(p.errs) < MaxErrors {
		p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, a...)})
	}
}

func (p *parser) parseLine(text string) {
	fields, err := split(text)
	if err != nil {
		p.errorf(p.line, "%v", err)
		return
	}
	if len(fields) == 0 {
		return
	}
	if strings.HasPrefix(fields[0].text, "$") && !fields[0].quoted {
		p.directive(strings.ToUpper(fields[0].text), fields[1:])
		return
	}
	p.record(fields)
}

// field is one word of a line; quoted words are TXT strings and banners.
type field struct {
	text   string
	quoted bool
}

// split cuts a line into words: blanks separate them, "..." quotes one
// (with \" and \\ inside), and ; outside quotes starts a comment, as in a
// zone file (RFC 1035 §5.1).
func split(s string) ([]field, error) {
	var out []field
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == ';':
			return out, nil
		case c == '"':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, errors.New("quoted text not closed (a \" is missing)")
				}
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, field{text: b.String(), quoted: true})
		case c == '(' || c == ')':
			return nil, errors.New("parentheses are not supported: write each record on one line")
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r;\"", rune(s[j])) {
				j++
			}
			out = append(out, field{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

// directive reads a $ line.
func (p *parser) directive(name string, args []field) {
	want := func(min, max int, form string) bool {
		if len(args) < min || len(args) > max {
			p.errorf(p.line, "%s takes %s", name, form)
			return false
		}
		return true
	}
	needDomain := func() *domainState {
		if p.cur == nil {
			p.errorf(p.line, "%s must follow a $DOMAIN line", name)
		}
		return p.cur
	}
	switch name {
	case "$TTL":
		if want(1, 1, "one number of seconds") {
			if ttl, ok := p.ttlValue(args[0].text); ok {
				p.ttl = ttl
			}
		}
	case "$RESOLVER":
		if !want(2, 2, "a host name and an address: $RESOLVER ns.test 192.0.2.53") {
			return
		}
		if p.resolver != 0 {
			p.errorf(p.line, "$RESOLVER given twice (first at line %d)", p.resolver)
			return
		}
		p.resolver = p.line
		host, ok1 := p.hostName(args[0].text)
		addr, ok2 := p.address(args[1].text)
		if ok1 && ok2 {
			p.n.ResolverName, p.n.ResolverAddr = host, addr
		}
	case "$DOMAIN":
		if !want(1, 1, "one domain name") {
			return
		}
		name, ok := p.hostName(args[0].text)
		if !ok {
			return
		}
		for _, d := range p.domains {
			if d.Name == name {
				p.errorf(p.line, "domain %s declared twice (first at line %d)", name, d.Line)
				return
			}
		}
		if len(p.domains) == MaxDomains {
			p.errorf(p.line, "more than %d domains", MaxDomains)
			return
		}
		p.cur = &domainState{Domain: Domain{Name: name, Line: p.line}}
		p.domains = append(p.domains, p.cur)
	case "$SERVER":
		d := needDomain()
		if d == nil || !want(1, MaxServerNames, "the server's host name, then any other names it answers to") {
			return
		}
		if d.server != 0 {
			p.errorf(p.line, "$SERVER given twice for %s (first at line %d)", d.Name, d.server)
			return
		}
		d.server = p.line
		for i, a := range args {
			host, ok := p.hostName(a.text)
			if !ok {
				continue
			}
			if i == 0 {
				d.Host = host
			} else {
				d.Aliases = append(d.Aliases, host)
			}
		}
	case "$BANNER":
		d := needDomain()
		if d == nil || !want(1, 1, `one quoted text: $BANNER "{host} ESMTP ready"`) {
			return
		}
		if !args[0].quoted {
			p.errorf(p.line, "the banner must be in double quotes")
			return
		}
		if strings.ContainsAny(args[0].text, "\r\n") || len(args[0].text) > MaxBanner {
			p.errorf(p.line, "the banner must fit on one reply line: at most %d octets", MaxBanner)
			return
		}
		d.Banner, d.banner = args[0].text, p.line
	case "$GREYLIST":
		d := needDomain()
		if d == nil || !want(1, 1, "one delay, such as 40s or 2m") {
			return
		}
		if d.greylist != 0 {
			p.errorf(p.line, "$GREYLIST given twice for %s (first at line %d)", d.Name, d.greylist)
			return
		}
		delay, err := time.ParseDuration(args[0].text)
		if err != nil || delay < time.Second || delay > MaxGreylist {
			p.errorf(p.line, "the greylisting delay must be a duration from 1s to %s, such as 40s", MaxGreylist)
			return
		}
		d.Greylist, d.greylist = delay, p.line
	case "$USERS":
		d := needDomain()
		if d == nil || !want(1, 1, "the word builtin") {
			return
		}
		if !strings.EqualFold(args[0].text, "builtin") {
			p.errorf(p.line, "$USERS takes only the word builtin (the sandbox's built-in users); list others with $USER")
			return
		}
		d.Builtin, d.usersLine = true, p.line
	case "$USER":
		d := needDomain()
		if d == nil || !want(1, 2, `a user name, then optionally a quoted full name: $USER bob "Bob Lambert"`) {
			return
		}
		if len(args) == 2 && !args[1].quoted {
			p.errorf(p.line, "the full name must be in double quotes")
			return
		}
		local, ok := p.local(d, args[0].text)
		if !ok {
			return
		}
		e := sandbox.Entry{Local: local, Kind: sandbox.KindUser, Password: local}
		if len(args) == 2 {
			e.FullName = args[1].text
		}
		if d.firstUser == 0 {
			d.firstUser = p.line
		}
		d.Entries = append(d.Entries, e)
	case "$ALIAS":
		d := needDomain()
		if d == nil || !want(2, 2, "an address and the user it delivers to: $ALIAS postmaster bob") {
			return
		}
		local, ok := p.local(d, args[0].text)
		if !ok {
			return
		}
		if d.firstUser == 0 {
			d.firstUser = p.line
		}
		target := strings.ToLower(args[1].text)
		d.Entries = append(d.Entries, sandbox.Entry{Local: local, Kind: sandbox.KindAlias, Target: target})
		d.aliases = append(d.aliases, lined{value: local, target: target, line: p.line})
	case "$DOWN":
		if !want(1, 1, "one host name") {
			return
		}
		if host, ok := p.hostName(args[0].text); ok {
			p.downs = append(p.downs, lined{value: host, line: p.line})
		}
	default:
		p.errorf(p.line, "unknown directive %s (known: $TTL $RESOLVER $DOMAIN $SERVER $BANNER $GREYLIST $USERS $USER $ALIAS $DOWN)", name)
	}
}

// local checks a user name of domain d.
func (p *parser) local(d *domainState, s string) (string, bool) {
	local := strings.ToLower(s)
	if local == "" || len(local) > sandbox.MaxLocalPart ||
		strings.Trim(local, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != "" ||
		local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		p.errorf(p.line, "%q is not a user name (letters, digits, dots, - and _, at most %d)", s, sandbox.MaxLocalPart)
		return "", false
	}
	for _, e := range d.Entries {
		if e.Local == local {
			p.errorf(p.line, "%s@%s listed twice", local, d.Name)
			return "", false
		}
	}
	if len(d.Entries) == MaxUsers {
		p.errorf(p.line, "more than %d users in %s", MaxUsers, d.Name)
		return "", false
	}
	return local, true
}

// record reads a resource record line: NAME [TTL] [IN] TYPE DATA...
func (p *parser) record(f []field) {
	d := p.cur
	if d == nil {
		p.errorf(p.line, "a record must follow a $DOMAIN line")
		return
	}
	if p.records == MaxRecords {
		p.errorf(p.line, "more than %d records", MaxRecords)
		return
	}
	owner := f[0].text
	if owner == "@" {
		owner = d.Name
	}
	owner, ok := p.name(owner, true)
	if !ok {
		return
	}
	if owner != d.Name && !strings.HasSuffix(owner, "."+d.Name) {
		p.errorf(p.line, "%s is not in the domain %s of line %d", owner, d.Name, d.Line)
		return
	}
	rest := f[1:]
	ttl := p.ttl
	for range 2 { // TTL and class, in either order (RFC 1035 §5.1)
		if len(rest) == 0 {
			break
		}
		w := rest[0].text
		switch {
		case strings.EqualFold(w, "IN"):
			rest = rest[1:]
		case w != "" && w[0] >= '0' && w[0] <= '9':
			if v, ok := p.ttlValue(w); ok {
				ttl = v
			}
			rest = rest[1:]
		}
	}
	if len(rest) == 0 {
		p.errorf(p.line, "record without a type: write NAME [TTL] IN TYPE DATA, e.g. %s. IN A 192.0.2.10", owner)
		return
	}
	rr := dns.Record{Name: owner, TTL: ttl}
	typ, data := strings.ToUpper(rest[0].text), rest[1:]
	switch typ {
	case "A":
		if len(data) != 1 {
			p.errorf(p.line, "an A record takes one address")
			return
		}
		addr, ok := p.address(data[0].text)
		if !ok {
			return
		}
		rr.Type, rr.Addr = dns.TypeA, addr
		if _, seen := p.hosts[owner]; !seen {
			p.hosts[owner] = p.line
		}
	case "MX":
		if len(data) != 2 {
			p.errorf(p.line, "an MX record takes a preference and a host: MX 10 mail.%s.", d.Name)
			return
		}
		pref, err := strconv.ParseUint(data[0].text, 10, 16)
		if err != nil {
			p.errorf(p.line, "MX preference %q is not a number from 0 to 65535", data[0].text)
			return
		}
		target := data[1].text
		if target != "." {
			if target, ok = p.hostName(target); !ok {
				return
			}
		}
		rr.Type, rr.Pref, rr.Target = dns.TypeMX, uint16(pref), target
	case "TXT":
		if len(data) == 0 || len(data) > MaxTXTStrings {
			p.errorf(p.line, "a TXT record takes 1 to %d quoted texts", MaxTXTStrings)
			return
		}
		for _, s := range data {
			if !s.quoted {
				p.errorf(p.line, "TXT text must be in double quotes: %q", s.text)
				return
			}
			if len(s.text) > dns.MaxString {
				p.errorf(p.line, "a TXT text is at most %d octets; split it into several quoted texts", dns.MaxString)
				return
			}
			rr.Text = append(rr.Text, s.text)
		}
		rr.Type = dns.TypeTXT
	default:
		p.errorf(p.line, "record type %q is not supported (A, MX and TXT are)", rest[0].text)
		return
	}
	p.records++
	d.Records = append(d.Records, rr)
	d.recLines = append(d.recLines, p.line)
}

func (p *parser) ttlValue(s string) (uint32, bool) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v > MaxTTL {
		p.errorf(p.line, "TTL %q is not a number of seconds from 0 to %d", s, MaxTTL)
		return 0, false
	}
	return uint32(v), true
}

// address checks an IPv4 address from the documentation ranges.
func (p *parser) address(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		p.errorf(p.line, "%q is not an IPv4 address", s)
		return netip.Addr{}, false
	}
	for _, n := range testNets {
		if n.Contains(a) {
			return a, true
		}
	}
	p.errorf(p.line, "%s is outside the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 (RFC 5737)", s)
	return netip.Addr{}, false
}

// hostName checks a domain or host name: letters, digits and hyphens
// (RFC 1123 §2.1), in a reserved top-level domain, written in full. It
// returns it in lower case without its final dot.
func (p *parser) hostName(s string) (string, bool) { return p.name(s, false) }

// name checks a name; an owner of records may also have labels with
// underscores, as _dmarc.example.test (RFC 8552).
func (p *parser) name(s string, owner bool) (string, bool) {
	chars := "abcdefghijklmnopqrstuvwxyz0123456789-"
	if owner {
		chars += "_"
	}
	name := strings.ToLower(strings.TrimSuffix(s, "."))
	labels := strings.Split(name, ".")
	if name == "" || len(name) > sandbox.MaxDomain-2 {
		p.errorf(p.line, "%q is not a host name", s)
		return "", false
	}
	for _, l := range labels {
		if l == "" || len(l) > dns.MaxLabel || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.Trim(l, chars) != "" {
			p.errorf(p.line, "%q is not a host name (letters, digits and -, labels of 1 to %d)", s, dns.MaxLabel)
			return "", false
		}
	}
	if !slices.Contains(reservedTLDs, labels[len(labels)-1]) {
		p.errorf(p.line, "%q must be written in full and end in .test, .example or .invalid (RFC 2606, RFC 6761)", s)
		return "", false
	}
	return name, true
}

// check runs what needs the whole file, and builds the network.
func (p *parser) check() {
	if p.resolver == 0 {
		p.errorf(1, "no $RESOLVER line: name the sandbox's name server, e.g. $RESOLVER ns.test 192.0.2.53")
	}
	servers := map[string]string{}
	for _, d := range p.domains {
		if d.server != 0 {
			for _, h := range append([]string{d.Host}, d.Aliases...) {
				if h == "" {
					continue
				}
				if other, dup := servers[h]; dup {
					p.errorf(d.server, "%s is already the server of %s", h, other)
				}
				servers[h] = d.Name
				if _, ok := p.hosts[h]; !ok {
					p.errorf(d.server, "server %s has no A record: give it an address", h)
				}
			}
		}
		switch {
		case d.Builtin && d.firstUser != 0:
			p.errorf(d.firstUser, "%s has built-in users (line %d): it cannot list its own", d.Name, d.usersLine)
		case d.server == 0 && (d.Builtin || d.firstUser != 0):
			p.errorf(d.Line, "%s has users but no $SERVER to hold their mailboxes", d.Name)
		case d.server == 0 && d.banner != 0:
			p.errorf(d.banner, "%s has a banner but no $SERVER", d.Name)
		}
		for _, a := range d.aliases {
			if !slices.ContainsFunc(d.Entries, func(e sandbox.Entry) bool { return e.Local == a.target && e.Kind == sandbox.KindUser }) {
				p.errorf(a.line, "alias %s delivers to %s, which is not a user of %s", a.value, a.target, d.Name)
			}
		}
		mx, null := 0, 0
		for i, r := range d.Records {
			if r.Type != dns.TypeMX {
				continue
			}
			mx++
			if r.Target == "." {
				null = d.recLines[i]
				if r.Pref != 0 {
					p.errorf(null, "a null MX has preference 0: MX 0 . (RFC 7505 §3)")
				}
			}
		}
		if null != 0 && mx > 1 {
			p.errorf(null, "%s has a null MX and other MX records: a null MX must be the only one (RFC 7505 §3)", d.Name)
		}
		p.n.Domains = append(p.n.Domains, d.Domain)
	}
	for _, d := range p.downs {
		if _, ok := p.hosts[d.value]; !ok {
			p.errorf(d.line, "$DOWN %s: the host has no A record (a host without an address is another case: leave it out)", d.value)
		}
		p.n.down[d.value] = true
	}
	for _, d := range p.domains {
		for i, r := range d.Records {
			if in := p.innermost(r.Name); in != d {
				p.errorf(d.recLines[i], "%s is inside the domain %s (line %d): write its records there", r.Name, in.Name, in.Line)
			}
		}
	}
	slices.SortStableFunc(p.errs, func(a, b *Error) int { return a.Line - b.Line })
}

// innermost returns the declared domain of longest name that holds name.
func (p *parser) innermost(name string) *domainState {
	var best *domainState
	for _, d := range p.domains {
		if (name == d.Name || strings.HasSuffix(name, "."+d.Name)) && (best == nil || len(d.Name) > len(best.Name)) {
			best = d
		}
	}
	return best
}

package smtp

import (
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// splitCommand cuts a command line into its verb (upper case) and argument.
func splitCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), arg
}

// Path is a parsed reverse-path or forward-path.
type Path struct {
	Mailbox  string // local@domain, or "" for the null path <>
	Local    string
	Domain   string
	Route    string // source route "@one,@two" before the colon, if any
	Brackets bool   // written inside < >, as RFC 5321 requires
	Space    bool   // a space after the colon (tolerated)
	Quoted   bool   // the local part was quoted, though it needs no quotes
	Params   []Param
	Parts    []sandbox.Part
}

// Param is an ESMTP parameter such as SIZE=1000.
type Param struct {
	Key   string // upper case
	Value string
}

// pathError is why a path could not be read. Its key picks the reply reason.
type pathError struct {
	key  string
	args []string
}

// parsePath reads "FROM:<path> params" (keyword "FROM:") or "TO:<path>".
func parsePath(arg, keyword string) (Path, *pathError) {
	var p Path
	if len(arg) < len(keyword) || !strings.EqualFold(arg[:len(keyword)], keyword) {
		return p, &pathError{key: "keyword"}
	}
	// Room for the keyword, the address and a parameter, in one allocation.
	p.Parts = append(make([]sandbox.Part, 0, 3), sandbox.Part{Kind: "keyword", Text: arg[:len(keyword)]})
	rest := arg[len(keyword):]
	if trimmed := strings.TrimLeft(rest, " "); trimmed != rest {
		p.Space, rest = true, trimmed
	}
	raw, params, err := cutPath(rest)
	if err != nil {
		return p, err
	}
	p.Parts = append(p.Parts, sandbox.Part{Kind: "address", Text: raw})
	if err := p.readMailbox(raw); err != nil {
		return p, err
	}
	return p, p.readParams(params)
}

// cutPath separates the path from the parameters that follow it.
func cutPath(s string) (path, params string, err *pathError) {
	if s == "" {
		return "", "", &pathError{key: "empty"}
	}
	if s[0] != '<' {
		if strings.ContainsAny(s, "<>") {
			return "", "", &pathError{key: "unbalanced", args: []string{"char", unbalancedChar(s)}}
		}
		path, params, _ = strings.Cut(s, " ")
		return path, params, nil
	}
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return "", "", &pathError{key: "unbalanced", args: []string{"char", "<"}}
	}
	path, params = s[:end+1], strings.TrimLeft(s[end+1:], " ")
	if strings.IndexByte(path[1:], '<') >= 0 || params != "" && params[0] == '>' {
		return "", "", &pathError{key: "unbalanced", args: []string{"char", unbalancedChar(s[1:])}}
	}
	if params != "" && len(s) > end+1 && s[end+1] != ' ' {
		return "", "", &pathError{key: "after_path", args: []string{"text", echo(params)}}
	}
	return path, params, nil
}

func unbalancedChar(s string) string {
	if strings.IndexByte(s, '>') >= 0 && (strings.IndexByte(s, '<') < 0 || strings.IndexByte(s, '>') < strings.IndexByte(s, '<')) {
		return ">"
	}
	return "<"
}

func (p *Path) readMailbox(raw string) *pathError {
	if len(raw) > sandbox.MaxPath {
		return &pathError{key: "path_too_long", args: []string{"limit", strconv.Itoa(sandbox.MaxPath)}}
	}
	box := raw
	if strings.HasPrefix(raw, "<") {
		p.Brackets, box = true, raw[1:len(raw)-1]
	}
	if box == "" {
		if !p.Brackets {
			return &pathError{key: "empty"}
		}
		return nil // the null path <>
	}
	if box[0] == '@' {
		route, mbox, ok := strings.Cut(box, ":")
		if !ok || !validRoute(route) {
			return &pathError{key: "bad_route"}
		}
		p.Route, box = route, mbox
	}
	local, domain, ok := cutAddress(box)
	switch {
	case !ok && validLocal(box):
		p.Local, p.Quoted = plainLocal(box)
		p.Mailbox = p.Local // no domain: the caller decides
		return nil
	case !ok:
		return &pathError{key: "bad_mailbox"}
	case len(local) > sandbox.MaxLocalPart:
		return &pathError{key: "local_too_long", args: []string{"limit", strconv.Itoa(sandbox.MaxLocalPart)}}
	case len(domain) > sandbox.MaxDomain:
		return &pathError{key: "domain_too_long", args: []string{"limit", strconv.Itoa(sandbox.MaxDomain)}}
	case !validLocal(local) || !validDomain(domain):
		return &pathError{key: "bad_mailbox"}
	}
	p.Local, p.Quoted = plainLocal(local)
	p.Mailbox, p.Domain = box, domain // as written, unless quotes were dropped
	if p.Quoted {
		p.Mailbox = p.Local + "@" + domain
	}
	return nil
}

// plainLocal writes a valid local part in its simplest form: a quoted
// string that needs no quotes, such as "alice", is the dot-atom alice
// (RFC 5322 §3.2.4: quoted-string is identical to atom, semantically), so
// both name one mailbox. quoted reports that the quotes were dropped. A
// local part that needs them, such as "a b", stays as written.
func plainLocal(s string) (local string, quoted bool) {
	if inner, ok := unquote(s); ok && isDotAtom(inner) {
		return inner, true
	}
	return s, false
}

// cutAddress splits local@domain at the last @ outside a quoted local part.
func cutAddress(s string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

func (p *Path) readParams(s string) *pathError {
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		p.Params = append(p.Params, Param{Key: strings.ToUpper(k), Value: v})
		p.Parts = append(p.Parts, sandbox.Part{Kind: "param", Text: f})
	}
	return nil
}

// validLocal accepts a dot-atom or a quoted string (RFC 5321 §4.1.2).
func validLocal(s string) bool {
	if strings.HasPrefix(s, `"`) {
		_, ok := unquote(s)
		return ok
	}
	return isDotAtom(s)
}

// isDotAtom reports whether s is atoms joined by single dots.
func isDotAtom(s string) bool {
	if s == "" {
		return false
	}
	for atom := range strings.SplitSeq(s, ".") {
		if atom == "" {
			return false
		}
		for _, c := range []byte(atom) {
			if !isAtext(c) {
				return false
			}
		}
	}
	return true
}

// unquote returns what a quoted string says, without its quotes and the
// backslash of each quoted-pair, and whether s is one (RFC 5321 §4.1.2
// Quoted-string: printable ASCII, where " and \ must be preceded by \).
// Octets above 127 are read as RFC 6531 does: they are the commands' to
// refuse, with their own reply.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	inner := s[1 : len(s)-1]
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		switch {
		case c == '\\' && i+1 < len(inner) && isQuotable(inner[i+1]):
			i++
			b.WriteByte(inner[i])
		case c == '\\' || c == '"' || !isQuotable(c):
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// isQuotable reports whether c may stand in a quoted string, quoted by a
// backslash if it is " or \.
func isQuotable(c byte) bool { return c >= ' ' && c <= '~' || c >= 0x80 }

func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c >= 0x80: // UTF-8 (RFC 6531): read here, refused by the commands
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// validDomain accepts a host name or an address literal such as [192.0.2.1].
// Like isAtext, it reads UTF-8 labels and leaves them to the commands.
func validDomain(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '[' {
		return s[len(s)-1] == ']' && len(s) > 2 && validLiteral(s[1:len(s)-1])
	}

	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}

// validRoute checks "@one,@two" (RFC 5321 §4.1.2 A-d-l).
func validRoute(s string) bool {
	for _, hop := range strings.Split(s, ",") {
		if len(hop) < 2 || hop[0] != '@' || !validDomain(hop[1:]) {
			return false
		}
	}
	return true
}

// validLiteral checks the inside of an address literal such as 192.0.2.1 or
// IPv6:2001:db8::1: printable characters other than [ ] \ (RFC 5321 dcontent).
func validLiteral(s string) bool {
	for _, c := range []byte(s) {
		if c < 33 || c > 126 || c == '[' || c == ']' || c == '\\' {
			return false
		}
	}
	return true
}

// needsUTF8 reports whether a path holds octets above 127. Addresses are
// ASCII (RFC 5321 §2.4, §4.1.2) unless the client declared SMTPUTF8 (RFC
// 6531), which this server does not offer.
func needsUTF8(p Path) bool { return has8bit(p.Mailbox) || has8bit(p.Route) }

// has8bit reports whether s holds an octet above 127.
func has8bit(s string) bool {
	for _, c := range []byte(s) {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// echo repeats client text in a reply, cut to the longest legal path.
func echo(s string) string { return sandbox.Echo(s, sandbox.MaxPath) }

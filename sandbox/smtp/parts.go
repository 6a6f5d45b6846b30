package smtp

import (
	"strings"

	"smtplab/sandbox"
)

// commandParts splits a command into labelled pieces, for syntax hints.
// Each result is made at its final size: one allocation per command.
func (s *Session) commandParts(verb, arg string) []sandbox.Part {
	v := sandbox.Part{Kind: "verb", Text: verb}
	switch verb {
	case "MAIL", "RCPT":
		keyword := "FROM:"
		if verb == "RCPT" {
			keyword = "TO:"
		}
		if p, _ := s.path(arg, keyword); len(p.Parts) > 0 {
			if p.Route != "" {
				p.Parts = splitRoute(p.Parts, p.Route)
			}
			return append(append(make([]sandbox.Part, 0, 1+len(p.Parts)), v), p.Parts...)
		}
	case "HELO", "EHLO":
		if a := strings.TrimSpace(arg); a != "" {
			return []sandbox.Part{v, {Kind: "domain", Text: a}}
		}
		return []sandbox.Part{v}
	}
	if arg != "" {
		return []sandbox.Part{v, {Kind: "text", Text: arg}}
	}
	return []sandbox.Part{v}
}

// splitRoute shows a source route apart from the mailbox it leads to.
func splitRoute(parts []sandbox.Part, route string) []sandbox.Part {
	out := make([]sandbox.Part, 0, len(parts)+1)
	for _, p := range parts {
		if p.Kind == "address" {
			inner := strings.TrimSuffix(strings.TrimPrefix(p.Text, "<"), ">")
			_, box, _ := strings.Cut(inner, ":")
			out = append(out, sandbox.Part{Kind: "route", Text: route + ":"}, sandbox.Part{Kind: "address", Text: box})
			continue
		}
		out = append(out, p)
	}
	return out
}

// parsedPath is the last path a session parsed, with what it was read from.
type parsedPath struct {
	arg, keyword string // keyword "" : nothing parsed yet
	p            Path
	err          *pathError
}

// path is parsePath, remembered for the last arguments: the command
// event's parts and the MAIL or RCPT handler read the same path, and
// parsePath depends on its arguments alone.
func (s *Session) path(arg, keyword string) (Path, *pathError) {
	if m := &s.parsed; m.keyword == "" || m.arg != arg || m.keyword != keyword {
		p, err := parsePath(arg, keyword)
		s.parsed = parsedPath{arg: arg, keyword: keyword, p: p, err: err}
	}
	return s.parsed.p, s.parsed.err
}

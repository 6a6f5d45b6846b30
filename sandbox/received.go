package sandbox

import (
	"bytes"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// ReceivedHop is one Received field of a message's trace (RFC 5321 §4.4):
// one server that took the message, and from whom. Every field is as the
// line writes it; what a line leaves out stays empty.
type ReceivedHop struct {
	From     string `json:"from,omitempty"`     // the name the sending side gave (HELO, EHLO) or its address literal
	FromInfo string `json:"fromInfo,omitempty"` // the comment after it: what the receiving server saw (reverse name, [address])
	By       string `json:"by,omitempty"`       // the server that added the line
	ByInfo   string `json:"byInfo,omitempty"`   // the comment after it (its software, often)
	Via      string `json:"via,omitempty"`
	With     string `json:"with,omitempty"` // the protocol: SMTP, ESMTP, ESMTPSA… (RFC 3848)
	ID       string `json:"id,omitempty"`   // the receiving server's queue id
	For      string `json:"for,omitempty"`  // the recipient, without its angle brackets
	// DateText is the date after the semicolon as written; Date is that
	// date read, zero when it is missing or unreadable.
	DateText string    `json:"dateText,omitempty"`
	Date     time.Time `json:"date,omitzero"`
	// Raw is the field's value unfolded: all a reader has of a line that
	// follows no grammar (then From and By are empty).
	Raw string `json:"raw"`
}

// ParseReceived reads the Received fields of a header section (a whole
// message will do: reading stops at the body) in the order the message
// travelled: each server adds its line on top of the others, so the
// oldest hop, the lowest line, comes first. It is tolerant: folded lines
// are unfolded, LF line ends are taken for CRLF, clauses it does not know
// are skipped, and a line it cannot read at all is kept with Raw only.
func ParseReceived(header []byte) []ReceivedHop {
	if !bytes.Contains(header, []byte("\r\n")) {
		header = bytes.ReplaceAll(header, []byte("\n"), []byte("\r\n"))
	}
	values := SplitHeader(header).Values("Received")
	if len(values) > MaxReceived {
		// More hops than any server lets a message make: the newest are
		// the ones this server's readers can trust.
		values = values[:MaxReceived]
	}
	hops := make([]ReceivedHop, 0, len(values))
	for _, v := range slices.Backward(values) {
		hops = append(hops, parseStamp(v))
	}
	return hops
}

// parseStamp reads one Received field's value: its clauses (from, by,
// via, with, id, for), each a keyword and the words after it, the
// comments that follow a clause attached to it; then, after the last
// semicolon, the date.
func parseStamp(v string) ReceivedHop {
	h := ReceivedHop{Raw: v}
	clauses := v
	if semi := dateSemicolon(v); semi >= 0 {
		clauses, h.DateText = v[:semi], strings.TrimSpace(v[semi+1:])
		if d, err := mail.ParseDate(h.DateText); err == nil {
			h.Date = d
		}
	}
	var value, info *string // where the words and comments of the clause read go
	words := false          // words may still be added to value
	for _, tok := range stampTokens(clauses) {
		if tok.comment {
			words = false
			if info != nil {
				*info = join(*info, tok.text)
			}
			continue
		}
		if field, comment, ok := h.clause(tok.text); ok {
			value, info, words = field, comment, true
			continue
		}
		if words && value != nil {
			*value = join(*value, tok.text)
		}
	}
	h.For = strings.TrimSuffix(strings.TrimPrefix(h.For, "<"), ">")
	return h
}

// clause names the fields a clause keyword fills: its value, and the
// field its comments go to (nil: they are dropped).
func (h *ReceivedHop) clause(word string) (value, comment *string, ok bool) {
	switch strings.ToLower(word) {
	case "from":
		return &h.From, &h.FromInfo, true
	case "by":
		return &h.By, &h.ByInfo, true
	case "via":
		return &h.Via, nil, true
	case "with":
		return &h.With, nil, true
	case "id":
		return &h.ID, nil, true
	case "for":
		return &h.For, nil, true
	}
	return nil, nil, false
}

// join adds word to s, one space between them.
func join(s, word string) string {
	if s == "" {
		return word
	}
	return s + " " + word
}

// stampToken is a word of a Received field, or a comment, its parentheses
// taken off.
type stampToken struct {
	text    string
	comment bool
}

// stampTokens cuts the clauses of a Received field into words and
// comments. Comments nest and may quote a character with a backslash
// (RFC 5322 §3.2.2); one left open runs to the end.
func stampTokens(s string) []stampToken {
	var toks []stampToken
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '(':
			end, closed := commentEnd(s, i)
			inner := s[i+1 : end]
			if closed {
				inner = s[i+1 : end-1]
			}
			toks = append(toks, stampToken{text: strings.TrimSpace(inner), comment: true})
			i = end
		default:
			end := i
			for end < len(s) && s[end] != ' ' && s[end] != '\t' && s[end] != '(' {
				end++
			}
			toks = append(toks, stampToken{text: s[i:end]})
			i = end
		}
	}
	return toks
}

// commentEnd is the offset just after the comment that opens at s[start],
// and whether its closing parenthesis was found.
func commentEnd(s string, start int) (end int, closed bool) {
	depth := 0
	for i := start; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i + 1, true
			}
		}
	}
	return len(s), false
}

// dateSemicolon is the offset of the semicolon before the date: the last
// one outside comments; -1 if there is none.
func dateSemicolon(s string) int {
	last := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			i, _ = commentEnd(s, i)
			i--
		case ';':
			last = i
		}
	}
	return last
}

package sandbox

import (
	"bytes"
	"net/mail"
	"net/textproto"
	"strings"
)

// Header is a header section as read by SplitHeader.
type Header struct {
	// Fields holds the sound fields by canonical name ("Message-Id"), every
	// value of a repeated field in order, unfolded. A bad field is not in it.
	Fields    mail.Header
	List      []Field // every field in order, bad ones included
	Lines     int     // lines that belong to the header section
	Separated bool    // an empty line ended it
	BadLine   string  // the line that ended it, when it is not a field
	BodyStart int     // offset of the body in the text
}

// Field is one header field as the message writes it.
type Field struct {
	// Name is the field name as spelled, without the spaces that the
	// obsolete syntax allows before the colon (RFC 5322 §4.5.3: "Bcc :").
	Name  string
	Value string // unfolded: its lines joined by one space, trimmed
	Raw   string // its lines exactly as sent, line ends included
	// Bad is its first line holding a control character, or "" when it has
	// none. RFC 5322 §2.2 allows none in a field; readers reject such a
	// field or cut the header there, so the analysis reads it as lost.
	Bad string
}

// Blind reports whether readers show the field as a blind copy: Bcc, or
// Resent-Bcc for a message sent on again (RFC 5322 §3.6.3, §3.6.6). Its
// addresses must never reach the copies.
func (f Field) Blind() bool { return isBlind(f.Name) }

func isBlind(name string) bool {
	return strings.EqualFold(name, "Bcc") || strings.EqualFold(name, "Resent-Bcc")
}

// SplitHeader reads the header section at the start of text (CRLF lines).
// Like most servers, it ends the section at the first empty line, or at the
// first line that cannot be a header field; in the second case BadLine holds
// that line, which a careless reader may lose. Within the section, each
// field is read on its own, so a bad one loses only itself.
func SplitHeader(text []byte) Header {
	var h Header
	var spans []span
	off := 0
	for off < len(text) {
		line, next := cutLine(text, off)
		if len(line) == 0 {
			h.Separated, h.BodyStart = true, next
			break
		}
		var ok bool
		if spans, ok = addLine(spans, line, off, next); !ok {
			h.BadLine = string(line)
			break
		}
		h.Lines++
		off = next
	}
	if !h.Separated {
		h.BodyStart = off
	}
	if len(spans) > 0 {
		h.Fields = mail.Header{}
	}
	for _, sp := range spans {
		f := readField(text[sp.start:sp.end])
		h.List = append(h.List, f)
		if f.Bad == "" {
			key := textproto.CanonicalMIMEHeaderKey(f.Name)
			h.Fields[key] = append(h.Fields[key], f.Value)
		}
	}
	return h
}

// span is where one field's lines lie in the text. Fields are cut first and
// read after, so a field folded on many lines is still read in one pass.
type span struct{ start, end int }

// addLine takes the line of text between off and next, whose content is
// line: a new field, or the continuation of the last one. It reports false
// when the line can be neither, which ends the section.
func addLine(spans []span, line []byte, off, next int) ([]span, bool) {
	folded := line[0] == ' ' || line[0] == '\t'
	switch {
	case folded && len(spans) > 0:
		spans[len(spans)-1].end = next
	case !folded && isFieldLine(line):
		spans = append(spans, span{off, next})
	default:
		return spans, false
	}
	return spans, true
}

// cutLine returns the line of text starting at off, without its CRLF, and
// the offset of the next line.
func cutLine(text []byte, off int) (line []byte, next int) {
	if end := bytes.Index(text[off:], []byte("\r\n")); end >= 0 {
		return text[off : off+end], off + end + 2
	}
	return text[off:], len(text)
}

// readField reads one field from its lines, line ends included.
func readField(raw []byte) Field {
	f := Field{Raw: string(raw)}
	var parts []string
	for off := 0; off < len(raw); {
		line, next := cutLine(raw, off)
		if f.Bad == "" && HasControl(string(line)) {
			f.Bad = string(line)
		}
		value := line
		if off == 0 {
			var name []byte
			name, value, _ = bytes.Cut(line, []byte(":"))
			f.Name = string(bytes.TrimRight(name, wsp))
		}
		if part := bytes.Trim(value, wsp); len(part) > 0 {
			parts = append(parts, string(part))
		}
		off = next
	}
	f.Value = strings.Join(parts, " ")
	return f
}

// wsp is the white space of RFC 5322: space and tab, nothing else.
const wsp = " \t"

// isFieldLine reports whether line looks like "Name: value": a name of
// printable ASCII, then the colon, with spaces or tabs allowed before it by
// the obsolete syntax that readers still accept (RFC 5322 §2.2, §4.5).
func isFieldLine(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return false
	}
	name := bytes.TrimRight(line[:colon], wsp)
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

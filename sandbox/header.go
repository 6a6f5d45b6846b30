package sandbox

import (
	"bytes"
	"strings"
)

// Header is a header section as read by SplitHeader.
type Header struct {
	// List is every field in order, bad ones included. Get and Values read
	// the sound ones by name: a dozen fields are read faster in a row than
	// through a map that would have to be built first.
	List      []Field
	Lines     int    // lines that belong to the header section
	Separated bool   // an empty line ended it
	BadLine   string // the line that ended it, when it is not a field
	BodyStart int    // offset of the body in the text
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

// Get returns the value of the first sound field called name, in any
// case, as net/mail's Header.Get would; "" if there is none.
func (h Header) Get(name string) string {
	for _, f := range h.List {
		if f.Is(name) {
			return f.Value
		}
	}
	return ""
}

// Values returns the values of every sound field called name, in any case,
// in order; nil if there is none.
func (h Header) Values(name string) []string {
	var out []string
	for _, f := range h.List {
		if f.Is(name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Is reports whether f is a sound field called name, in any case. A field
// name is printable ASCII, so this is the comparison of canonical names
// (textproto.CanonicalMIMEHeaderKey) that net/mail makes.
func (f Field) Is(name string) bool { return f.Bad == "" && strings.EqualFold(f.Name, name) }

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
	spans := make([]span, 0, usualFields) // on the stack for a usual header
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
	h.readFields(text, spans)
	return h
}

// usualFields is how many fields a header section usually has, at most.
const usualFields = 16

// readFields reads the fields the spans cut. The fields' strings are
// pieces of one copy of the header section: a message has a dozen fields,
// and each would otherwise take three or four allocations.
func (h *Header) readFields(text []byte, spans []span) {
	if len(spans) == 0 {
		return
	}
	section := string(text[:spans[len(spans)-1].end])
	h.List = make([]Field, len(spans))
	for i, sp := range spans {
		h.List[i] = readField(section[sp.start:sp.end])
	}
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

// readField reads one field from its lines, line ends included. Its
// strings are pieces of raw, except the value of a folded field.
func readField(raw string) Field {
	f := Field{Raw: raw}
	var first string  // the value's first non-empty piece
	var more []string // the others, for a folded field only
	for off := 0; off < len(raw); {
		line, next := cutLineString(raw, off)
		if f.Bad == "" && HasControl(line) {
			f.Bad = line
		}
		value := line
		if off == 0 {
			var name string
			name, value, _ = strings.Cut(line, ":")
			f.Name = strings.TrimRight(name, wsp)
		}
		switch part := strings.Trim(value, wsp); {
		case part == "":
		case first == "":
			first = part
		default:
			more = append(more, part)
		}
		off = next
	}
	f.Value = first
	if len(more) > 0 {
		f.Value = first + " " + strings.Join(more, " ")
	}
	return f
}

// cutLineString is cutLine for a string.
func cutLineString(text string, off int) (line string, next int) {
	if end := strings.Index(text[off:], "\r\n"); end >= 0 {
		return text[off : off+end], off + end + 2
	}
	return text[off:], len(text)
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

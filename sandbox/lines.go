package sandbox

import "bytes"

// Line is one LF-terminated segment of client input.
//
// Mail protocols end lines with CRLF. A segment that ends in a bare LF is
// still reported (so a server can say what went wrong), but with CRLF false:
// protocol code must never treat it as a real line end, or it would open the
// door to SMTP smuggling.
type Line struct {
	// Text is the segment without its line ending, truncated to Max. It
	// may share memory with the input or the splitter's buffer: it is
	// valid only until the callback returns, so keep a copy, not Text.
	Text    []byte
	CRLF    bool // ended with CR LF (false: a bare LF)
	TooLong bool // longer than Max octets, line ending included
	Octets  int  // the segment's real length, line ending included
}

// HasBareCR reports whether the text holds a CR that is not part of a line end.
func (l Line) HasBareCR() bool { return bytes.IndexByte(l.Text, '\r') >= 0 }

// LineSplitter cuts a byte stream into lines while holding at most Max octets
// of any one line, so a client that never sends LF cannot grow memory.
// Max may change between lines (SMTP allows 512 octets for a command and 1000
// for a line of message text); a change applies to the next line.
type LineSplitter struct {
	Max    int
	rest   []byte // input not yet cut, kept when fn asked Feed to stop
	buf    []byte
	octets int
	prev   byte // the octet before the most recent one, to tell CRLF from LF
	last   byte
}

// Feed consumes p and calls fn with each complete line, in order. If fn
// returns false, Feed stops and keeps the rest of p (a copy): the next Feed
// starts with it. Held reports whether anything is kept.
func (s *LineSplitter) Feed(p []byte, fn func(Line) bool) {
	if len(s.rest) > 0 {
		p = append(s.rest, p...)
		s.rest = nil
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i+1]
		}
		p = p[len(chunk):]
		var l Line
		if i >= 0 && len(s.buf) == 0 && s.octets == 0 {
			l = s.whole(chunk) // the usual case: no copy
		} else {
			s.take(chunk)
			if i < 0 {
				return
			}
			l = s.finish()
		}
		if !fn(l) {
			if len(p) > 0 {
				s.rest = append([]byte(nil), p...)
			}
			return
		}
	}
}

// Held reports whether input from an earlier Feed waits to be cut.
func (s *LineSplitter) Held() bool { return len(s.rest) > 0 }

// Drop forgets input that waits, for a session that has ended.
func (s *LineSplitter) Drop() { s.rest = nil }

func (s *LineSplitter) take(chunk []byte) {
	s.octets += len(chunk)
	if n := len(chunk); n >= 2 {
		s.prev, s.last = chunk[n-2], chunk[n-1]
	} else if n == 1 {
		s.prev, s.last = s.last, chunk[0]
	}
	if room := s.Max - len(s.buf); room > 0 {
		s.buf = append(s.buf, chunk[:min(room, len(chunk))]...)
	}
}

// finish cuts the line gathered in buf. Its Text points into buf, which
// the next line reuses: that is why Text lives only as long as the callback.
func (s *LineSplitter) finish() Line {
	l := lineOf(s.buf, s.octets, s.Max, s.octets >= 2 && s.prev == '\r')
	s.buf, s.octets, s.prev, s.last = s.buf[:0], 0, 0, 0
	return l
}

// whole cuts a line that arrived in one piece, LF included, straight from
// the input, without gathering it in buf first.
func (s *LineSplitter) whole(chunk []byte) Line {
	n := len(chunk)
	crlf := n >= 2 && chunk[n-2] == '\r'
	return lineOf(chunk[:min(n, s.Max)], n, s.Max, crlf)
}

// lineOf builds the Line whose first octets (at most max) are kept, the
// LF and, for a CRLF line, the CR removed from the end of what was kept.
func lineOf(kept []byte, octets, max int, crlf bool) Line {
	text := bytes.TrimSuffix(kept, []byte{'\n'})
	if crlf {
		text = bytes.TrimSuffix(text, []byte{'\r'})
	}
	return Line{Text: text, Octets: octets, TooLong: octets > max, CRLF: crlf}
}

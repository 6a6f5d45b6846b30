package sandbox

import "bytes"

// Line is one LF-terminated segment of client input.
//
// Mail protocols end lines with CRLF. A segment that ends in a bare LF is
// still reported (so a server can say what went wrong), but with CRLF false:
// protocol code must never treat it as a real line end, or it would open the
// door to SMTP smuggling.
type Line struct {
	Text    []byte // the segment without its line ending, truncated to Max
	CRLF    bool   // ended with CR LF (false: a bare LF)
	TooLong bool   // longer than Max octets, line ending included
	Octets  int    // the segment's real length, line ending included
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
		s.take(chunk)
		if i < 0 {
			return
		}
		if !fn(s.finish()) {
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

func (s *LineSplitter) finish() Line {
	l := Line{Octets: s.octets, TooLong: s.octets > s.Max, CRLF: s.octets >= 2 && s.prev == '\r'}
	text := bytes.TrimSuffix(s.buf, []byte{'\n'})
	if l.CRLF {
		text = bytes.TrimSuffix(text, []byte{'\r'})
	}
	l.Text = append([]byte(nil), text...)
	s.buf, s.octets, s.prev, s.last = s.buf[:0], 0, 0, 0
	return l
}

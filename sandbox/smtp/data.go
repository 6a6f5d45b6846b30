package smtp

import (
	"bytes"
	"strconv"

	"smtplab/sandbox"
)

// message is the text being received after 354.
type message struct {
	text     bytes.Buffer
	octets   int  // counted even past the size limit, where text stops growing
	lines    int  // complete lines received
	long     int  // first line (1-based) over MaxTextLine, 0 if none
	bare     bool // a bare LF or CR was seen
	midLine  bool // the last segment ended in a bare LF: the next one is not a new line
	overflow bool // text was not kept because the message is too big
}

func newMessage() *message { return &message{} }

// dataLine takes one segment of message text. Only CRLF "." CRLF ends the
// message: a "." after a bare LF is text, so input such as "\n.\r\n" can never
// end DATA early and smuggle the lines after it in as commands.
func (s *Session) dataLine(l sandbox.Line) {
	s.Received(l, true)
	m := s.data
	if !m.midLine && l.CRLF && !l.TooLong && string(l.Text) == "." {
		s.endData()
		return
	}
	text, octets := l.Text, l.Octets
	if !m.midLine && len(text) > 0 && text[0] == '.' {
		text, octets = text[1:], octets-1 // undo dot-stuffing (RFC 5321 §4.5.2)
	}
	if !l.CRLF || l.HasBareCR() {
		m.bare = true
	}
	if octets > sandbox.MaxTextLine && m.long == 0 {
		m.long = m.lines + 1
	}
	if l.CRLF {
		m.lines++
	}
	m.octets += octets
	if m.octets > s.World.Limits.MaxMessageSize {
		m.overflow = true
		m.text.Reset()
	}
	if !m.overflow {
		m.text.Write(text)
		m.text.WriteString(lineEnd(l.CRLF))
	}
	m.midLine = !l.CRLF
}

func lineEnd(crlf bool) string {
	if crlf {
		return "\r\n"
	}
	return "\n"
}

// endData answers the final dot: refuse the message, or accept and deliver it.
func (s *Session) endData() {
	m := s.data
	s.data = nil
	s.lines.Max = sandbox.MaxCommandLine
	limit := s.World.Limits.MaxMessageSize
	rts := s.routes()
	var r *sandbox.Reply
	switch {
	case m.bare:
		r = reply(554, "5.6.0", "data.bare_lf")
	case m.long > 0:
		r = reply(554, "5.6.0", "data.line_too_long", "line", strconv.Itoa(m.long), "limit", strconv.Itoa(sandbox.MaxTextLine))
	case m.overflow:
		r = reply(552, "5.3.4", "data.too_big", "size", strconv.Itoa(m.octets), "limit", strconv.Itoa(limit))
	case !s.hasRoom(rts, m.octets):
		r = reply(452, "4.3.1", "data.no_storage")
	}
	if r != nil {
		s.Send(r)
		s.reset(Ready)
		return
	}
	// Accepted or not, the transaction is over: the next one starts with
	// MAIL (RFC 5321 §4.1.1.4).
	s.deliver(m.text.Bytes(), rts)
	s.reset(Ready)
}

// hasRoom reports whether every store can take a copy of size octets for
// each of its recipients, within its own world's limit. Checking first means
// a message is delivered to all or to none.
func (s *Session) hasRoom(rts []route, size int) bool {
	need := map[*sandbox.World]int64{s.World: 0}
	for _, rt := range rts {
		need[rt.world] += int64(size + traceAllowance)
	}
	for w, copies := range need {
		if _, used := w.Store.Usage(); used+copies > w.Limits.MaxStore {
			return false
		}
	}
	return true
}

// traceAllowance is room for the Return-Path and Received lines of a copy.
const traceAllowance = 512

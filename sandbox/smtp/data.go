package smtp

import (
	"bytes"
	"strconv"
	"strings"
	"unsafe"

	"smtplab/sandbox"
)

// message is the text being received after 354.
type message struct {
	// text only ever grows by append and is never written over, not even
	// when it overflows (it is dropped then): so the input events can carry
	// strings that point into it instead of a copy of each line.
	text []byte
	// head is the memory just before text, traceRoom octets that no line
	// uses: the first copy writes its trace lines there and is stored
	// without copying the text (see room).
	head     []byte
	octets   int  // counted even past the size limit, where text stops growing
	lines    int  // complete lines received
	long     int  // first line (1-based) over MaxTextLine, 0 if none
	bare     bool // a bare LF or CR was seen
	midLine  bool // the last segment ended in a bare LF: the next one is not a new line
	overflow bool // text was not kept because the message is too big
	// bareDot is the line (1-based) of a dot ended by a bare LF or CR, an
	// end line that ends nothing; 0 if none.
	bareDot int
	// warnings are what the lines as typed showed and the text no longer
	// does (see sandbox.EndLineNearMiss), for the analysis.
	warnings []sandbox.Warning
}

// maxDataWarnings bounds the warnings a message's lines collect: the first
// few are enough to show the mistake, and a big message must not grow a
// warning per line.
const maxDataWarnings = 5

// newMessage starts a message with room for about size octets: a client
// usually sends messages of similar sizes, so most need no regrowth.
func newMessage(size int) *message {
	buf := make([]byte, traceRoom, traceRoom+min(max(size, minMessageRoom), maxMessageRoom))
	return &message{head: buf, text: buf[traceRoom:traceRoom]}
}

// traceRoom is the room left before a message's text for the trace lines
// of its first copy: Return-Path and Received take about 200 octets.
const traceRoom = 320

// room returns the text with the free octets just before it, when the
// text is still in its first memory and fills most of it: storing a copy
// made there keeps no more memory than a copy made apart would. Otherwise
// (the text grew out of its first memory, or a client declared a SIZE far
// above what it sent) it returns nil.
func (m *message) room() (head, text []byte) {
	if m.head == nil || len(m.text) == 0 || cap(m.text) > len(m.text)+len(m.text)/4 ||
		&m.head[:traceRoom+1][traceRoom] != &m.text[0] {
		return nil, m.text
	}
	return m.head, m.text
}

// The room a new message starts with: at least enough for a short note,
// at most what would be a waste for a client that sent one big message.
const (
	minMessageRoom = 1 << 10
	maxMessageRoom = 1 << 20
)

// sharedTextLimit is how far into a message the input events' strings
// point into its text. Past it each line gets its own copy, so that the
// events a watcher keeps (the first lines of each session) never hold a
// whole big message in memory.
const sharedTextLimit = 64 << 10

// dataLine takes one segment of message text. Only CRLF "." CRLF ends the
// message: a "." after a bare LF is text, so input such as "\n.\r\n" can never
// end DATA early and smuggle the lines after it in as commands.
func (s *Session) dataLine(l sandbox.Line) {
	m := s.data
	if !m.midLine && l.CRLF && !l.TooLong && string(l.Text) == "." {
		s.ReceivedText(l, ".", true)
		s.endData()
		return
	}
	if !m.midLine {
		m.notice(l)
	}
	text, octets := l.Text, l.Octets
	stuffed := !m.midLine && len(text) > 0 && text[0] == '.'
	if stuffed {
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
		m.text, m.head = nil, nil
	}
	shown := ""
	if !m.overflow {
		start := len(m.text)
		m.text = append(m.text, text...)
		if !stuffed && start < sharedTextLimit {
			shown = sharedString(m.text[start:])
		}
		m.text = append(m.text, lineEnd(l.CRLF)...)
	}
	if shown == "" && len(l.Text) > 0 {
		shown = string(l.Text)
	}
	s.ReceivedText(l, shown, true)
	m.midLine = !l.CRLF
}

// notice looks at a line that starts a line of the message (not the rest
// of one cut by a bare LF) for the mistakes that its text will not show: an
// end line spoiled by a space, a bare LF or CR, or QUIT typed before the
// end; a leading dot that the server removes.
func (m *message) notice(l sandbox.Line) {
	n := m.lines + 1
	if !l.CRLF || l.HasBareCR() {
		if m.bareDot == 0 && string(bytes.Trim(l.Text, "\r")) == "." {
			m.bareDot = n
		}
		return // the whole message is refused for its line ends
	}
	text := l.Text
	if len(m.warnings) >= maxDataWarnings || l.TooLong || len(text) == 0 || len(text) > 16 && text[0] != '.' {
		return // the usual line: too long for a dot or QUIT with a few spaces
	}
	switch trimmed := bytes.Trim(text, " \t"); {
	case string(trimmed) == "." && len(text) > 1:
		m.warnings = append(m.warnings, sandbox.EndLineNearMiss(n, string(text)))
	case bytes.EqualFold(trimmed, []byte("QUIT")) || bytes.EqualFold(trimmed, []byte("RSET")):
		m.warnings = append(m.warnings, sandbox.CommandInData(n, string(text), strings.ToUpper(string(trimmed))))
	case len(text) >= 2 && text[0] == '.' && text[1] != '.':
		// "..x" is a dot stuffed by hand, as a client does: it arrives as
		// ".x", as meant. Only a single dot is lost.
		m.warnings = append(m.warnings, sandbox.DotUnstuffed(n, string(text)))
	}
}

// sharedString is b as a string without a copy. Only for bytes of a
// message's text, which are never written over (see message.text).
func sharedString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
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
	s.lastSize = m.octets
	s.lines.Max = sandbox.MaxCommandLine
	limit := s.World.Limits.MaxMessageSize
	rts := s.routes()
	var r *sandbox.Reply
	switch {
	case m.bare && m.bareDot > 0:
		r = reply(554, "5.6.0", "data.bare_lf.dot", "line", strconv.Itoa(m.bareDot))
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
	s.deliver(m, rts)
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

package sandbox

import (
	"encoding/binary"
	"mime"
	"net/mail"
	"strconv"
	"strings"
)

// Analysis compares what a message's headers say with what its envelope did.
// Delivery follows the envelope only; the headers are what readers see.
type Analysis struct {
	From        []string  `json:"from,omitempty"`
	ReplyTo     []string  `json:"replyTo,omitempty"`
	To          []string  `json:"to,omitempty"`
	Cc          []string  `json:"cc,omitempty"`
	Bcc         []string  `json:"bcc,omitempty"`
	Subject     string    `json:"subject,omitempty"`
	HeaderLines int       `json:"headerLines"` // lines in the header section
	Verdicts    []Verdict `json:"verdicts"`
	Warnings    []Warning `json:"warnings,omitempty"`
}

// Verdict is one address's fate: did it get a copy, and who can see it?
type Verdict struct {
	Address   string `json:"address"`
	Field     string `json:"field,omitempty"` // header that names it: "To", "Cc", "Bcc", "" (none)
	Envelope  bool   `json:"envelope"`        // an accepted RCPT TO named it
	Verdict   string `json:"verdict"`
	VisibleTo string `json:"visibleTo"` // "all" (To/Cc), "self" (Bcc), "none" (envelope only or undelivered)
}

// Verdicts.
const (
	DeliveredListed    = "delivered-listed"     // in RCPT TO and in To/Cc: everyone sees it
	DeliveredHidden    = "delivered-hidden"     // in RCPT TO, in Bcc or in no header: nobody else sees it
	ListedNotDelivered = "listed-not-delivered" // in a header, but no RCPT TO: gets nothing
)

// WarningKeys lists every warning the analysis can give.
var WarningKeys = []string{
	"no_header", "no_blank_line", "no_body", "missing_from", "missing_date", "missing_message_id",
	"bcc_removed", "reply_to", "from_differs", "no_recipient_headers", "eight_bit", "bad_address_list",
	"bad_field", "end_line_near_miss", "end_line_space_after", "command_in_data", "dot_unstuffed",
}

// Warning is something about a message a student should look at. Key is a
// catalog key under "warning." and one of WarningKeys.
type Warning struct {
	Key  string            `json:"key"`
	Args map[string]string `json:"args,omitempty"`
}

// Warnings about the message as it was typed in DATA, which its text no
// longer shows: the SMTP engine notices them line by line and adds them to
// the analysis of the message it accepts. n is the line's number in the
// message, from 1; text is the line as the client sent it.

// EndLineNearMiss warns that line n looked like the end of the message, a
// dot with spaces or tabs around it, and stayed in the message as text.
// When the dot starts the line, the server removed it as a stuffed dot.
// Spaces are shown as ␣, so that the page shows where they were.
func EndLineNearMiss(n int, text string) Warning {
	if strings.HasPrefix(text, ".") {
		return Warning{Key: "end_line_space_after", Args: Args("line", strconv.Itoa(n), "text", showSpaces(text),
			"kept", showSpaces(text[1:]))}
	}
	return Warning{Key: "end_line_near_miss", Args: Args("line", strconv.Itoa(n), "text", showSpaces(text))}
}

func showSpaces(s string) string { return strings.ReplaceAll(Visible(s, maxShownLine), " ", "\u2423") }

// CommandInData warns that line n is a command, such as QUIT, typed after
// 354: it became message text and did not end the message.
func CommandInData(n int, text, verb string) Warning {
	return Warning{Key: "command_in_data", Args: Args("line", strconv.Itoa(n), "text", Visible(text, maxShownLine), "verb", verb)}
}

// DotUnstuffed warns that the server removed the leading dot of line n
// (RFC 5321 §4.5.2): text is the line as typed, with its dot.
func DotUnstuffed(n int, text string) Warning {
	return Warning{Key: "dot_unstuffed", Args: Args("line", strconv.Itoa(n), "text", Visible(text, maxShownLine),
		"kept", Visible(text[1:], maxShownLine))}
}

// Analyze reads a message's headers and sets them against env.
func Analyze(env Envelope, text []byte) Analysis {
	return AnalyzeHeader(env, text, SplitHeader(text))
}

// AnalyzeHeader is Analyze for a caller that has already split the header
// section (h is SplitHeader(text)) and needs it for more than the analysis.
func AnalyzeHeader(env Envelope, text []byte, h Header) Analysis {
	a := Analysis{HeaderLines: h.Lines, Subject: decodeWord(h.Get("Subject"))}
	var warn []Warning
	addrs := func(field string) []string {
		var out []string
		for _, f := range h.List {
			if !f.Is(field) {
				continue
			}
			v := f.Value
			if isBlind(field) && strings.TrimSpace(v) == "" {
				continue // allowed (RFC 5322 §3.6.3): it only says blind copies were sent
			}
			if addr, ok := simpleAddress(v); ok {
				out = append(out, addr)
				continue
			}
			list, err := mail.ParseAddressList(v)
			if err != nil {
				warn = append(warn, Warning{Key: "bad_address_list", Args: Args("field", field, "value", v)})
				continue
			}
			for _, ad := range list {
				out = append(out, ad.Address)
			}
		}
		return out
	}
	a.From, a.ReplyTo = addrs("From"), addrs("Reply-To")
	a.To, a.Cc = addrs("To"), addrs("Cc")
	// Resent-Bcc hides its addresses as Bcc does, and is removed with it.
	a.Bcc = append(addrs("Bcc"), addrs("Resent-Bcc")...)
	a.Verdicts = verdicts(env.To, a)
	a.Warnings = append(warn, warnings(env, h, text, a)...)
	return a
}

func verdicts(rcpts []string, a Analysis) []Verdict {
	var out []Verdict
	index := map[string]int{}
	add := func(addr, field string, envelope bool) {
		key := normalizeAddress(addr)
		if i, ok := index[key]; ok {
			v := &out[i]
			v.Envelope = v.Envelope || envelope
			if v.Field == "" || v.Field == "Bcc" && field != "" {
				v.Field = field
			}
			return
		}
		index[key] = len(out)
		out = append(out, Verdict{Address: addr, Field: field, Envelope: envelope})
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"To", a.To}, {"Cc", a.Cc}, {"Bcc", a.Bcc}} {
		for _, ad := range f.list {
			add(ad, f.name, false)
		}
	}
	for _, r := range rcpts {
		add(r, "", true)
	}
	for i := range out {
		v := &out[i]
		switch {
		case !v.Envelope:
			v.Verdict, v.VisibleTo = ListedNotDelivered, visibility(v.Field)
		case v.Field == "To" || v.Field == "Cc":
			v.Verdict, v.VisibleTo = DeliveredListed, "all"
		default:
			v.Verdict, v.VisibleTo = DeliveredHidden, visibility(v.Field)
		}
	}
	return out
}

func visibility(field string) string {
	switch field {
	case "To", "Cc":
		return "all"
	case "Bcc":
		return "self"
	}
	return "none"
}

func warnings(env Envelope, h Header, text []byte, a Analysis) []Warning {
	var w []Warning
	add := func(key string, kv ...string) { w = append(w, Warning{Key: key, Args: Args(kv...)}) }
	switch {
	case h.Lines == 0 && h.BadLine != "":
		add("no_header", "line", Visible(h.BadLine, maxShownLine))
	case h.BadLine != "":
		add("no_blank_line", "line", Visible(h.BadLine, maxShownLine))
	case h.Lines > 0 && !h.Separated:
		add("no_body")
	}
	for _, f := range h.List {
		if f.Bad != "" {
			add("bad_field", "line", Visible(f.Bad, maxShownLine))
		}
	}
	if len(h.List) > 0 {
		if len(a.From) == 0 {
			add("missing_from")
		}
		if h.Get("Date") == "" {
			add("missing_date")
		}
		if h.Get("Message-Id") == "" {
			add("missing_message_id")
		}
		if hasBlind(h) {
			add("bcc_removed")
		}
		if len(a.ReplyTo) > 0 {
			add("reply_to", "addr", strings.Join(a.ReplyTo, ", "))
		}
	}
	// A null sender (bounces) never matches its From; that is expected.
	if env.From != nil && *env.From != "" && len(a.From) > 0 && !containsAddress(a.From, *env.From) {
		sender := *env.From
		add("from_differs", "header", strings.Join(a.From, ", "), "envelope", "<"+sender+">")
	}
	if len(env.To) > 0 && len(a.To)+len(a.Cc)+len(a.Bcc) == 0 && h.Lines > 0 {
		add("no_recipient_headers")
	}
	if has8bit(text) && env.Body != "8BITMIME" {
		add("eight_bit")
	}
	return w
}

// maxShownLine bounds the header line a warning quotes.
const maxShownLine = 200

// hasBlind reports whether the header has a blind copy field, sound or bad,
// empty or not: it is removed from the copies either way.
func hasBlind(h Header) bool {
	for _, f := range h.List {
		if f.Blind() {
			return true
		}
	}
	return false
}

// has8bit reads eight octets at a time: it runs over every message.
func has8bit(b []byte) bool {
	for ; len(b) >= 8; b = b[8:] {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return true
		}
	}
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func containsAddress(list []string, addr string) bool {
	for _, a := range list {
		if sameAddress(a, addr) {
			return true
		}
	}
	return false
}

// normalizeAddress makes two spellings of one address compare equal. RFC 5321
// lets local parts be case-sensitive, but no world here has two users whose
// names differ only in case, so the comparison ignores case.
func normalizeAddress(a string) string { return strings.ToLower(a) }

// sameAddress reports whether a and b are one address, case ignored as
// normalizeAddress ignores it, without making lower-case copies.
func sameAddress(a, b string) bool { return strings.EqualFold(a, b) }

func decodeWord(s string) string {
	if !strings.Contains(s, "=?") {
		return s // no encoded word: spare the decoder
	}
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// simpleAddress reads the forms most headers use, "name@example.test" and
// "Some Name <name@example.test>" with plain words and a plain address,
// without net/mail, whose parser allocates a dozen times per address. Any
// other value reports false and goes to net/mail; for the values it takes,
// the address is the one net/mail would give (TestSimpleAddress).
func simpleAddress(v string) (string, bool) {
	if isPlainAddrSpec(v) {
		return v, true
	}
	name, rest, ok := strings.Cut(v, " <")
	if !ok || !strings.HasSuffix(rest, ">") || !isPlainPhrase(name) {
		return "", false
	}
	addr := rest[:len(rest)-1]
	return addr, isPlainAddrSpec(addr)
}

// isPlainAddrSpec reports whether s is local@domain, both dot-atoms of
// letters, digits and "-_+" only.
func isPlainAddrSpec(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && isPlainDotAtom(local) && isPlainDotAtom(domain)
}

func isPlainDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isPlainLetter(c) && c != '.' && c != '-' && c != '_' && c != '+' {
			return false
		}
	}
	return true
}

// isPlainPhrase reports whether s is words of letters and digits, one
// space apart.
func isPlainPhrase(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' || strings.Contains(s, "  ") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isPlainLetter(c) && c != ' ' {
			return false
		}
	}
	return true
}

func isPlainLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

package sandbox

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
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
}

// Warning is something about a message a student should look at. Key is a
// catalog key under "warning." and one of WarningKeys.
type Warning struct {
	Key  string            `json:"key"`
	Args map[string]string `json:"args,omitempty"`
}

// Header is a header section as read by SplitHeader.
type Header struct {
	Fields    mail.Header
	Lines     int  // lines that belong to the header section
	Separated bool // an empty line ended it
	BadLine   string
	BodyStart int // offset of the body in the text
}

// SplitHeader reads the header section at the start of text (CRLF lines).
// Like most servers, it ends the section at the first empty line, or at the
// first line that cannot be a header field; in the second case BadLine holds
// that line, which a careless reader may lose.
func SplitHeader(text []byte) Header {
	var h Header
	off := 0
	for off < len(text) {
		end := bytes.Index(text[off:], []byte("\r\n"))
		next := len(text)
		line := text[off:]
		if end >= 0 {
			line, next = text[off:off+end], off+end+2
		}
		if len(line) == 0 {
			h.Separated, h.BodyStart = true, next
			break
		}
		folded := line[0] == ' ' || line[0] == '\t'
		if !(folded && h.Lines > 0) && !isFieldLine(line) {
			h.BadLine = string(line)
			break
		}
		h.Lines++
		off = next
	}
	if !h.Separated {
		h.BodyStart = off
	}
	if h.Lines > 0 {
		r := textproto.NewReader(bufio.NewReader(io.MultiReader(bytes.NewReader(text[:off]), strings.NewReader("\r\n"))))
		fields, _ := r.ReadMIMEHeader()
		h.Fields = mail.Header(fields)
	}
	return h
}

// isFieldLine reports whether line looks like "Name: value" (RFC 5322 §2.2).
func isFieldLine(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range line[:colon] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// Analyze reads a message's headers and sets them against env.
func Analyze(env Envelope, text []byte) Analysis {
	h := SplitHeader(text)
	a := Analysis{HeaderLines: h.Lines}
	if h.Fields != nil {
		a.Subject = decodeWord(h.Fields.Get("Subject"))
	}
	var warn []Warning
	addrs := func(field string) []string {
		if h.Fields == nil || len(h.Fields[field]) == 0 {
			return nil
		}
		list, err := h.Fields.AddressList(field)
		if err != nil {
			warn = append(warn, Warning{Key: "bad_address_list", Args: Args("field", field, "value", h.Fields.Get(field))})
		}
		out := make([]string, 0, len(list))
		for _, ad := range list {
			out = append(out, ad.Address)
		}
		return out
	}
	a.From, a.ReplyTo = addrs("From"), addrs("Reply-To")
	a.To, a.Cc, a.Bcc = addrs("To"), addrs("Cc"), addrs("Bcc")
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
		add("no_header", "line", h.BadLine)
	case h.BadLine != "":
		add("no_blank_line", "line", h.BadLine)
	case h.Lines > 0 && !h.Separated:
		add("no_body")
	}
	if h.Fields != nil {
		if len(a.From) == 0 {
			add("missing_from")
		}
		if h.Fields.Get("Date") == "" {
			add("missing_date")
		}
		if h.Fields.Get("Message-Id") == "" {
			add("missing_message_id")
		}
		if len(a.Bcc) > 0 {
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

func has8bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func containsAddress(list []string, addr string) bool {
	for _, a := range list {
		if normalizeAddress(a) == normalizeAddress(addr) {
			return true
		}
	}
	return false
}

// normalizeAddress makes two spellings of one address compare equal. RFC 5321
// lets local parts be case-sensitive, but no world here has two users whose
// names differ only in case, so the comparison ignores case.
func normalizeAddress(a string) string { return strings.ToLower(a) }

func decodeWord(s string) string {
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

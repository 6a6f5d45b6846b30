package sandbox

import (
	"strings"
)

// Proto names a protocol spoken by a session.
type Proto string

const (
	SMTP Proto = "smtp"
	POP3 Proto = "pop3"
	POP2 Proto = "pop2"
)

// Reply is one server reply: the exact lines sent, and why they were sent.
//
// Meaning is the catalog key of what the code means in general ("smtp.550");
// Reason is the catalog key of why this reply was given now, with Args
// filling its placeholders. A Reply is also an error, so parsing code can
// return the reply a failure deserves.
type Reply struct {
	Proto    Proto             `json:"proto"`
	Code     int               `json:"code,omitempty"`     // SMTP reply code
	Status   string            `json:"status,omitempty"`   // POP3 "+OK"/"-ERR", POP2 "+", "-", "#", "="
	Enhanced string            `json:"enhanced,omitempty"` // RFC 3463 code, e.g. "5.1.1"
	Lines    []string          `json:"lines"`              // as sent, without CRLF
	Meaning  string            `json:"meaning"`
	Reason   string            `json:"reason"`
	Args     map[string]string `json:"args,omitempty"`
	// Omitted and OmittedOctets count the lines an excerpt left out.
	Omitted       int `json:"omitted,omitempty"`
	OmittedOctets int `json:"omittedOctets,omitempty"`
}

func (r *Reply) Error() string { return strings.Join(r.Lines, "\n") }

// Positive reports whether the reply says the command succeeded (or may go on).
func (r *Reply) Positive() bool {
	if r.Proto == SMTP {
		return r.Code < 400
	}
	return r.Status != "-ERR" && r.Status != "-"
}

// Octets is the reply's size on the wire.
func (r *Reply) Octets() int {
	n := 0
	for _, l := range r.Lines {
		n += len(l) + 2
	}
	return n
}

// Excerpt returns r itself when it is short, else a copy that keeps the
// first lines (within MaxEventReplyLines and MaxEventReplyOctets) and the
// last one, and counts what it left out. The kept lines are copied, so the
// excerpt holds nothing of the big text it was cut from.
func (r *Reply) Excerpt() *Reply {
	if len(r.Lines) <= MaxEventReplyLines && r.Octets() <= MaxEventReplyOctets {
		return r
	}
	e := *r
	e.Lines = nil
	size := 0
	last := len(r.Lines) - 1
	for _, l := range r.Lines[:last] {
		if len(e.Lines) >= MaxEventReplyLines-1 || size+len(l)+2 > MaxEventReplyOctets {
			break
		}
		e.Lines = append(e.Lines, strings.Clone(l))
		size += len(l) + 2
	}
	kept := len(e.Lines)
	e.Lines = append(e.Lines, strings.Clone(r.Lines[last]))
	e.Omitted = last - kept
	e.OmittedOctets = r.Octets() - size - len(r.Lines[last]) - 2
	return &e
}

// Wire returns the reply as sent on the wire, each line ended by CRLF.
func (r *Reply) Wire() []byte { return r.AppendWire(make([]byte, 0, r.Octets())) }

// AppendWire appends the reply as sent on the wire to b.
func (r *Reply) AppendWire(b []byte) []byte {
	for _, l := range r.Lines {
		b = append(b, l...)
		b = append(b, '\r', '\n')
	}
	return b
}

// Args builds a placeholder map from name, value pairs.
func Args(kv ...string) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

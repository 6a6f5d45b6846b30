package pop3

import (
	"bytes"
	"strings"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// Status indicators (RFC 1939 §3), and the "+" that starts a SASL
// challenge (RFC 5034 §4): neither positive nor negative, it asks for more.
const (
	OK        = "+OK"
	ERR       = "-ERR"
	Challenge = "+"
)

// ok builds a positive reply whose text is the catalog entry "pop3."+key.
func ok(key string, kv ...string) *sandbox.Reply { return reply(OK, key, sandbox.Args(kv...)) }

// fail builds a negative reply whose text is the catalog entry "pop3."+key.
func fail(key string, kv ...string) *sandbox.Reply { return reply(ERR, key, sandbox.Args(kv...)) }

func reply(status, key string, args map[string]string) *sandbox.Reply {
	line := status
	if text := catalog.Wire("pop3."+key, args); text != "" {
		line += " " + text
	}
	return &sandbox.Reply{
		Status: status, Lines: []string{line},
		Meaning: "pop3." + status, Reason: "pop3." + key, Args: args,
	}
}

// challenge builds a SASL challenge: "+", a space, and the base64 data the
// catalog entry "pop3."+key holds (none for PLAIN: "+ " alone).
func challenge(key string) *sandbox.Reply {
	return &sandbox.Reply{
		Status: Challenge, Lines: []string{Challenge + " " + catalog.Wire("pop3."+key, nil)},
		Meaning: "pop3." + Challenge, Reason: "pop3." + key,
	}
}

// multiline appends data lines to a positive reply, byte-stuffed, and the
// terminating "." line (RFC 1939 §3): a data line that starts with "." gets
// one more, so that only the terminator is a lone dot.
func multiline(r *sandbox.Reply, data []string) *sandbox.Reply {
	lines := make([]string, 0, len(r.Lines)+len(data)+1)
	lines = append(lines, r.Lines...)
	for _, l := range data {
		if strings.HasPrefix(l, ".") {
			l = "." + l
		}
		lines = append(lines, l)
	}
	r.Lines = append(lines, ".")
	return r
}

// textLines cuts a message into its lines, without their CRLF. A last line
// without CRLF still counts as a line: on the wire it gets one, since the
// terminating dot must start a line of its own.
func textLines(raw []byte) []string {
	raw = bytes.TrimSuffix(raw, []byte("\r\n"))
	if len(raw) == 0 {
		return []string{""}
	}
	return strings.Split(string(raw), "\r\n")
}

// maxEcho bounds what a reply repeats of the client's input, so a reply
// line stays far below 512 octets whatever the client sent.
const maxEcho = 40

// echo repeats client text in a reply, made safe and short.
func echo(s string) string { return sandbox.Echo(s, maxEcho) }

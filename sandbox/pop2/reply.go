package pop2

import (
	"bytes"
	"strconv"
	"strings"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// plus is a "+" reply: success.
func plus(key string, kv ...string) *sandbox.Reply { return reply("+", "", key, kv) }

// minus is a "-" reply: failure, after which the server hangs up.
func minus(key string, kv ...string) *sandbox.Reply { return reply("-", "", key, kv) }

// count is a "#nnn" reply: the number of messages in the selected folder.
func count(n int, key string, kv ...string) *sandbox.Reply {
	return reply("#", strconv.Itoa(n), key, kv)
}

// length is an "=ccc" reply: the length of the selected message, 0 if none.
func length(n int, key string, kv ...string) *sandbox.Reply {
	return reply("=", strconv.Itoa(n), key, kv)
}

func reply(status, number, key string, kv []string) *sandbox.Reply {
	args := sandbox.Args(kv...)
	if number != "" {
		if args == nil {
			args = map[string]string{}
		}
		args["number"] = number
	}
	line := status + number
	if t := catalog.Wire("pop2."+key, args); t != "" {
		line += " " + t
	}
	return &sandbox.Reply{
		Status: status, Lines: []string{line},
		Meaning: "pop2." + status, Reason: "pop2." + key, Args: args,
	}
}

// text is the answer to RETR: the message itself, with no status line.
func text(msg []byte, key string, kv ...string) *sandbox.Reply {
	lines := strings.Split(string(bytes.TrimSuffix(msg, []byte("\r\n"))), "\r\n")
	args := sandbox.Args(kv...)
	return &sandbox.Reply{Lines: lines, Meaning: "pop2.text", Reason: "pop2." + key, Args: args}
}

// transfer is what RETR sends for m: its text, ended by CRLF. A stored
// message always ends so; the check keeps the announced length exact if
// one does not.
func transfer(m *sandbox.Message) []byte {
	if bytes.HasSuffix(m.Raw, []byte("\r\n")) {
		return m.Raw
	}
	return append(append([]byte(nil), m.Raw...), '\r', '\n')
}

// maxEcho bounds what a reply repeats of the client's input.
const maxEcho = 40

// echo repeats client text in a reply, made safe and short.
func echo(s string) string { return sandbox.Echo(s, maxEcho) }

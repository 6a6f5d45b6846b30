package dns

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"time"

	"smtplab/sandbox/catalog"
)

// Version is the BIND release whose dig, host and nslookup the commands
// imitate: the one Debian 12 (bookworm) ships in bind9-dnsutils.
const Version = "9.18.49-1~deb12u3-Debian"

// QueryTime is what dig reports as the time the answer took: the resolver
// is in-process, and a cached answer takes no measurable time.
const QueryTime = 0 * time.Millisecond

// Exit statuses of the three programs (see their manual pages).
const (
	ExitOK          = 0
	ExitFailure     = 1  // host and nslookup: the name was not found; any usage error
	ExitHostBadType = 2  // host -t with a type it does not know
	ExitNoReply     = 9  // dig: no server answered
	ExitBadName     = 10 // dig and nslookup: a name that is not a legal name
)

// Client runs the commands a student types against the sandbox resolver.
// Everything it prints depends only on the arguments, the zones, Now and
// NewID, so that transcripts are stable.
type Client struct {
	Resolver *Resolver
	Now      func() time.Time // dig's WHEN line, in Now's location; default time.Now
	NewID    func() uint16    // message ids; default random
	// Down reports a host that refuses connections (it has an address,
	// but no server answers there), so that the explanation of an MX
	// naming it can say so; the DNS itself cannot know. Nil: none.
	Down func(host string) bool
}

// Programs are the commands a Client runs, by name.
var Programs = []string{"dig", "host", "nslookup"}

// ErrUnknownProgram: Run was given a program that is not one of Programs.
var ErrUnknownProgram = errors.New("not a DNS program")

// Run runs the program argv[0] (one of Programs) with the rest of argv.
func (c Client) Run(argv []string) (Output, error) {
	if len(argv) == 0 {
		return Output{}, ErrUnknownProgram
	}
	switch argv[0] {
	case "dig":
		return c.Dig(argv[1:])
	case "host":
		return c.Host(argv[1:])
	case "nslookup":
		return c.Nslookup(argv[1:])
	}
	return Output{}, ErrUnknownProgram
}

// Output is what one command prints, line by line, with the explanation
// of its parts.
type Output struct {
	Lines  []string
	Notes  []Note
	Status int // the program's exit status
}

// Note explains the lines of an output from Line on: a catalog key and
// its placeholders. Keys "dns.section.*" explain a part of the output,
// "dns.outcome.*" what the answer means for mail. Line is len(Lines) for
// what the output ends without showing (host prints nothing for a
// domain without MX).
type Note struct {
	Line int
	Key  string
	Args map[string]string
}

// UsageError is a command line the program refuses: what it prints on its
// standard error, its exit status, and the note that explains it.
type UsageError struct {
	Lines  []string
	Status int
	Note   Note
}

func (e *UsageError) Error() string { return strings.Join(e.Lines, "\n") }

func (c Client) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c Client) newID() uint16 {
	if c.NewID == nil {
		var b [2]byte
		rand.Read(b[:])
		return binary.BigEndian.Uint16(b[:])
	}
	return c.NewID()
}

func (c Client) down(host string) bool { return c.Down != nil && c.Down(host) }

// wire returns the lines of a program's fixed text from the catalog.
func wire(key string, kv ...string) []string {
	return strings.Split(catalog.Wire("dns."+key, args(kv...)), "\n")
}

// line returns a one-line fixed text.
func line(key string, kv ...string) string { return catalog.Wire("dns."+key, args(kv...)) }

func args(kv ...string) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// output collects lines and notes.
type output struct{ Output }

func (o *output) add(lines ...string) { o.Lines = append(o.Lines, lines...) }

// note explains what follows, from the next line on.
func (o *output) note(key string, kv ...string) {
	o.Notes = append(o.Notes, Note{Line: len(o.Lines), Key: "dns." + key, Args: args(kv...)})
}

// usage builds a usage error from a fixed text.
func usage(status int, note Note, lines ...[]string) *UsageError {
	return &UsageError{Lines: slices.Concat(lines...), Status: status, Note: note}
}

func unsupported(prog, option string) *UsageError {
	return usage(ExitFailure, Note{Key: "dns.outcome.unsupported", Args: args("prog", prog, "option", option)},
		wire("unsupported", "prog", prog, "option", option))
}

// Limits of a name (RFC 1035 §2.3.4).
const (
	MaxLabel = 63
	MaxName  = 255 // octets on the wire, final root label included
)

// checkName returns the key of the reason BIND gives when text is not a
// legal name, or "" when it is.
func checkName(text string) string {
	if text == "." {
		return ""
	}
	n := strings.TrimSuffix(text, ".")
	wireLen := 1
	for _, label := range strings.Split(n, ".") {
		switch {
		case label == "":
			return "empty_label"
		case len(label) > MaxLabel:
			return "label_too_long"
		}
		wireLen += 1 + len(label)
	}
	if wireLen > MaxName {
		return "no_space"
	}
	return ""
}

func badName(prog, name, why string) *UsageError {
	status := ExitBadName
	if prog == "host" {
		status = ExitFailure // host exits with 1 on every fatal error
	}
	return usage(status, Note{Key: "dns.outcome.bad_name", Args: args("name", name)},
		wire("bad_name", "prog", prog, "name", name, "why", line("why."+why)))
}

// isResolver reports whether a server named on the command line is the
// sandbox resolver, by address or by name.
func (c Client) isResolver(server string) bool {
	return server == c.Resolver.Addr().String() || canonical(server) == c.Resolver.Name()
}

// serverAddr returns the address of a server named on the command line:
// itself if it is an address, else what the sandbox resolver says.
func (c Client) serverAddr(prog, server string) (string, error) {
	if a, err := netip.ParseAddr(server); err == nil {
		return a.String(), nil
	}
	if checkName(server) == "" {
		if recs, err := c.Resolver.A(server); err == nil {
			return recs[0].Addr.String(), nil
		}
	}
	return "", usage(ExitFailure, Note{Key: "dns.outcome.no_server", Args: args("server", server)},
		wire("no_server", "prog", prog, "server", server))
}

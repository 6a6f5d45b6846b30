// Package shell is the browser terminal's small shell: it reads one command
// line typed at its prompt (help, clear, telnet, nc, openssl s_client, dig,
// host, nslookup, mailq) and says what to print and which connection to
// open, then plays the client program on that connection — telnet's
// messages, nc's silence, OpenSSL's certificate and handshake report, its
// STARTTLS exchange and its command letters — between the student's
// keyboard and the engine session.
//
// Like the engines, it never touches the network: host names go through a
// Resolver the caller supplies, DNS questions through its dns.Client, the
// mail queue through a function, sessions through a Link; and what it
// prints is Lines with catalog keys, rendered in the reader's language.
package shell

import (
	"strconv"
	"strings"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/dns"
)

// PromptText is what the shell shows before each command.
const PromptText = "student@smtplab:~$"

// MaxLine bounds a command line the shell reads; past it the line is cut,
// as a terminal's line editor would not take more.
const MaxLine = 1024

// A Resolver finds the server a host name reaches.
type Resolver interface {
	// Resolve returns the host called name, false when there is none.
	Resolve(name string) (Host, bool)
}

// ResolverFunc makes a function a Resolver.
type ResolverFunc func(name string) (Host, bool)

func (f ResolverFunc) Resolve(name string) (Host, bool) { return f(name) }

// Host is a server the shell can connect to.
type Host struct {
	Address  string   // the address a program says it tries, e.g. 192.0.2.25
	Server   any      // the caller's handle on the server, given back in Dial
	Services []string // the names of the Services it runs
	// Name is the name the server answers by when reached by this one,
	// for a server known by several (mx1 and mx2 of one mail system);
	// "": its own.
	Name string
}

// Shell runs command lines. Its fields are what it knows of the sandbox
// around it; a Shell holds no state of its own and may be shared.
type Shell struct {
	Resolver Resolver
	// Ports are the sandbox's own TCP ports (2525…), by the name of the
	// service they run: typed after telnet they reach the same services
	// as the standard ports.
	Ports map[int]string
	// Certificate is what the sandbox's TLS services present.
	Certificate Certificate
	// Host is the server's name the help suggests.
	Host string
	// CommandLetters: as OpenSSL 3 does, openssl s_client reads a line
	// that starts with Q, R, k or K as its own command (quit, renegotiate,
	// update the keys) unless -ign_eof or -quiet; off, every line goes to
	// the server.
	CommandLetters bool
	// DNS answers dig, host and nslookup: the sandbox's resolver. Nil,
	// the machine has no DNS tools (as a Debian without bind9-dnsutils):
	// the three commands are not found.
	DNS *dns.Client
	// Queue lists the outgoing queue of the server Host names, for mailq;
	// Now is that server's clock (default time.Now). Nil Queue, the
	// machine runs no mail system: mailq is not found.
	Queue func() []sandbox.Queued
	Now   func() time.Time
}

// Result is what one command line does: lines to print, and maybe a
// screen to clear or a connection to open.
type Result struct {
	Lines []Line
	Clear bool
	Dial  *Dial
}

// Program is the client program a connection was opened with.
type Program string

const (
	Telnet  Program = "telnet"
	Netcat  Program = "nc"
	OpenSSL Program = "openssl"
)

// Dial is a connection to open.
type Dial struct {
	Program Program
	Host    string // as typed
	Address string
	Server  any    // the Resolver's handle on the server
	Name    string // the name the server answers by (Host.Name)
	Port    int
	Service Service // what answers on that port
	// TLS is what the client does: NoTLS, ImplicitTLS (a handshake first),
	// or StartTLS (the protocol's upgrade, as StartTLSProto says).
	TLS           TLSMode
	StartTLSProto sandbox.Proto
	ServerName    string // the name the client sends in its handshake (SNI), "" none
	HeloName      string // the name openssl's EHLO gives, with -starttls smtp
	CRLF          bool   // lines end with CRLF, not LF alone
	// Commands: a line that starts with one of OpenSSL's command letters
	// (Q, R, k, K) is a command to openssl, not a line for the server.
	Commands bool
	Quiet    bool // openssl -quiet: no certificate, no session report
	Trusted  bool // openssl -CAfile: the student trusts the sandbox's certificate
	Verbose  bool // nc -v: say the connection succeeded
}

// Peer is what the session opened for d knows of its client's connection.
func (d *Dial) Peer() sandbox.Peer {
	p := sandbox.Peer{Service: d.Service.Role, Host: d.Name}
	switch {
	case d.TLS == ImplicitTLS && d.Service.TLS == ImplicitTLS:
		t := d.tls()
		p.TLS = &t
	case d.Service.TLS == StartTLS:
		p.CanStartTLS = true
	}
	return p
}

// Run reads one command line and says what it does.
func (sh *Shell) Run(line string) Result {
	if len(line) > MaxLine {
		line = line[:MaxLine]
	}
	r := Result{Lines: []Line{{Kind: Prompt, Raw: PromptText + " " + line}}}
	words := fields(line)
	if len(words) == 0 {
		return r
	}
	var more Result
	switch cmd, argv := words[0], words[1:]; cmd {
	case "help":
		more.Lines = sh.help()
	case "clear":
		more.Clear = true
	case "telnet":
		more = sh.telnet(argv)
	case "nc", "netcat":
		more = sh.netcat(argv)
	case "openssl":
		more = sh.openssl(argv)
	case "dig", "host", "nslookup":
		if sh.DNS == nil {
			more = sh.notFound(cmd)
			break
		}
		more = sh.lookup(words)
	case "mailq":
		if sh.Queue == nil {
			more = sh.notFound(cmd)
			break
		}
		more = sh.mailq(argv)
	default:
		more = sh.notFound(cmd)
	}
	r.Lines = append(r.Lines, more.Lines...)
	r.Clear, r.Dial = more.Clear, more.Dial
	return r
}

// help lists the commands this shell has.
func (sh *Shell) help() []Line {
	lines := []Line{note("shell.help", "host", sh.Host, "ports", portList(Services))}
	if sh.DNS != nil {
		lines = append(lines, note("shell.help.dns"))
	}
	if sh.Queue != nil {
		lines = append(lines, note("shell.help.mailq", "host", sh.Host))
	}
	return lines
}

// notFound is what the shell says of a command it does not have, as bash
// does, with the list of those it has.
func (sh *Shell) notFound(cmd string) Result {
	known := []string{"help", "clear", "telnet", "nc", "openssl s_client"}
	if sh.DNS != nil {
		known = append(known, dns.Programs...)
	}
	if sh.Queue != nil {
		known = append(known, "mailq")
	}
	return Result{Lines: []Line{fail("shell.notfound", "cmd", cmd), note("shell.note.notfound", "commands", strings.Join(known, ", "))}}
}

// now is the clock of the server whose queue mailq lists.
func (sh *Shell) now() time.Time {
	if sh.Now == nil {
		return time.Now()
	}
	return sh.Now()
}

// portList names each service with its port: "25 (smtp), 587 (submission)…".
func portList(svcs []Service) string {
	parts := make([]string, len(svcs))
	for i, s := range svcs {
		parts[i] = itoa(s.Port) + " (" + s.Name + ")"
	}
	return strings.Join(parts, ", ")
}

// offered lists the services a host runs, for a refusal's explanation.
func offered(h Host) string {
	var svcs []Service
	for _, s := range Services {
		for _, name := range h.Services {
			if name == s.Name {
				svcs = append(svcs, s)
			}
		}
	}
	return portList(svcs)
}

// fields splits a command line into words as a shell would: on spaces,
// with '…' and "…" keeping spaces, and a backslash escaping the next
// character outside single quotes.
func fields(line string) []string {
	var words []string
	var w strings.Builder
	in := false // a word is under way (it may be empty: '')
	var quote rune
	escaped := false
	for _, c := range line {
		switch {
		case escaped:
			w.WriteRune(c)
			escaped = false
		case quote != 0 && c == quote:
			quote = 0
		case quote == '\'':
			w.WriteRune(c)
		case c == '\\':
			escaped, in = true, true
		case quote != 0:
			w.WriteRune(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(c)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// resolve finds host for a program: a name the resolver knows.
func (sh *Shell) resolve(name string) (Host, bool) {
	if sh.Resolver == nil {
		return Host{}, false
	}
	return sh.Resolver.Resolve(strings.TrimSuffix(strings.ToLower(name), "."))
}

// isDNSName reports whether name looks like a host name rather than an
// address: OpenSSL sends only those in its handshake (SNI).
func isDNSName(name string) bool {
	if name == "" || strings.Contains(name, ":") {
		return false
	}
	for _, c := range name {
		if c != '.' && (c < '0' || c > '9') {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

package shell

import (
	"net"
	"strings"

	"smtplab/sandbox"
)

// target is where a program was told to connect, before it is resolved.
type target struct {
	host, port string
}

// reach resolves t for program p and finds what answers there: the Dial
// to open, or the lines the program prints when it cannot.
func (sh *Shell) reach(p Program, t target, d *Dial) Result {
	h, ok := sh.resolve(t.host)
	if !ok {
		return Result{Lines: append(lookupFailed(p, t, "shell.gai.noname"), note("shell.note.unknown_host", "host", t.host))}
	}
	port, ok := portOf(t.port)
	if !ok {
		return Result{Lines: append(lookupFailed(p, t, "shell.gai.noservice"), note("shell.note.unknown_service", "port", t.port, "ports", portList(Services)))}
	}
	var lines []Line
	if p == Telnet {
		lines = append(lines, out("shell.telnet.trying", "address", h.Address))
	}
	svc, ok := sh.serviceAt(h, port)
	if !ok {
		lines = append(lines, refused(p, t.host, port)...)
		if len(h.Services) == 0 {
			// An address where no server runs at all: a host that is down.
			return Result{Lines: append(lines, note("shell.note.down", "host", t.host, "address", h.Address))}
		}
		return Result{Lines: append(lines, note("shell.note.refused", "host", t.host, "port", itoa(port), "services", offered(h)))}
	}
	d.Program, d.Host, d.Address, d.Server, d.Port, d.Service = p, strings.TrimSuffix(t.host, "."), h.Address, h.Server, port, svc
	d.Name = h.Name
	return Result{Lines: lines, Dial: d}
}

// lookupFailed is what p prints when the name or the service of t is
// unknown; why is the resolver's message (a key).
func lookupFailed(p Program, t target, why string) []Line {
	switch p {
	case Telnet:
		return []Line{fail("shell.telnet.lookup", "host", t.host, "port", t.port, "error", gai(why))}
	case Netcat:
		if why == "shell.gai.noservice" {
			return []Line{fail("shell.nc.badport", "port", t.port)}
		}
		return []Line{fail("shell.nc.lookup", "host", t.host, "port", t.port, "error", gai(why))}
	}
	return []Line{fail("shell.openssl.lookup", "error", gai(why)), fail("shell.openssl.errno", "errno", "0")}
}

func gai(key string) string { return out(key).Text("") }

// refused is what p prints when nothing answers on the port.
func refused(p Program, host string, port int) []Line {
	switch p {
	case Telnet:
		return []Line{fail("shell.telnet.refused")}
	case Netcat:
		return []Line{fail("shell.nc.refused", "host", host, "port", itoa(port))}
	}
	return []Line{fail("shell.openssl.refused"), fail("shell.openssl.connect"), fail("shell.openssl.errno", "errno", "111")}
}

// telnet reads telnet's command line: telnet [options] HOST [PORT]. The
// options take the letters and arguments of GNU inetutils' telnet, the one
// Debian installs; they change nothing here.
func (sh *Shell) telnet(argv []string) Result {
	var rest []string
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		if strings.HasPrefix(a, "--") {
			continue // long options: --binary, --no-login…
		}
		_, next, bad := getopt(a, "468EKLacdrx", "benlkX")
		if bad != 0 {
			return Result{Lines: []Line{fail("shell.telnet.option", "option", string(bad)), fail("shell.telnet.try")}}
		}
		if next {
			i++
		}
	}
	switch {
	case len(rest) == 0:
		return Result{Lines: []Line{note("shell.note.usage.telnet", "host", sh.Host)}}
	case len(rest) > 2:
		return Result{Lines: []Line{fail("shell.telnet.many")}}
	}
	port := "23"
	if len(rest) == 2 {
		port = rest[1]
	}
	return sh.reach(Telnet, target{rest[0], port}, &Dial{TLS: NoTLS, CRLF: true})
}

// netcat reads nc's command line: nc [options] HOST PORT, as the OpenBSD
// netcat Debian installs reads it. -C sends CRLF (else lines end with LF
// alone, as a server strict about CRLF refuses), -v says when it connected.
func (sh *Shell) netcat(argv []string) Result {
	d := &Dial{TLS: NoTLS}
	var rest []string
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		seen, next, bad := getopt(a, "46CDdFhklNnrStUuvZz", "IiMmOPpqsTVWwXx")
		if bad != 0 {
			return Result{Lines: []Line{fail("shell.nc.option", "option", string(bad)), out("shell.nc.usage")}}
		}
		d.CRLF = d.CRLF || strings.Contains(seen, "C")
		d.Verbose = d.Verbose || strings.Contains(seen, "v")
		if next {
			i++
		}
	}
	switch len(rest) {
	case 0:
		return Result{Lines: []Line{out("shell.nc.usage"), note("shell.note.usage.nc", "host", sh.Host)}}
	case 1:
		return Result{Lines: []Line{fail("shell.nc.noport"), note("shell.note.usage.nc", "host", sh.Host)}}
	}
	return sh.reach(Netcat, target{rest[0], rest[1]}, d)
}

// defaultTLSPort is where openssl s_client connects without a port, or
// without -connect at all (on localhost).
const defaultTLSPort = "4433"

// starttlsValues are what OpenSSL 3's -starttls accepts; the sandbox has
// servers for the first two only.
var starttlsValues = []string{"smtp", "pop3", "imap", "ftp", "xmpp", "xmpp-server", "telnet", "irc", "mysql", "postgres", "lmtp", "nntp", "sieve", "ldap"}

// openssl reads openssl's command line; only s_client is here, with the
// options of OpenSSL 3 that matter for mail.
func (sh *Shell) openssl(argv []string) Result {
	if len(argv) == 0 {
		return Result{Lines: []Line{note("shell.note.usage.openssl", "host", sh.Host)}}
	}
	if argv[0] != "s_client" {
		return Result{Lines: []Line{fail("shell.openssl.invalid", "cmd", argv[0]), note("shell.note.usage.openssl", "host", sh.Host)}}
	}
	d := &Dial{TLS: ImplicitTLS, Commands: sh.CommandLetters, HeloName: "mail.example.com"}
	t := target{"localhost", defaultTLSPort}
	sni, noSNI := "", false
	usage := func(key string, kv ...string) Result {
		return Result{Lines: []Line{fail(key, kv...), fail("shell.openssl.help")}}
	}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		value := func() (string, bool) {
			if i+1 >= len(argv) {
				return "", false
			}
			i++
			return argv[i], true
		}
		switch a {
		case "-connect":
			v, ok := value()
			if !ok {
				return usage("shell.openssl.needs", "option", "connect")
			}
			t = splitHostPort(v)
		case "-starttls":
			v, ok := value()
			if !ok {
				return usage("shell.openssl.needs", "option", "starttls")
			}
			switch strings.ToLower(v) {
			case "smtp":
				d.StartTLSProto = sandbox.SMTP
			case "pop3":
				d.StartTLSProto = sandbox.POP3
			default:
				for _, known := range starttlsValues {
					if strings.EqualFold(v, known) {
						return Result{Lines: []Line{note("shell.note.starttls_other", "value", v)}}
					}
				}
				lines := []Line{fail("shell.openssl.values")}
				for _, known := range starttlsValues {
					lines = append(lines, Line{Kind: Err, Raw: "\t" + known})
				}
				return Result{Lines: lines}
			}
			d.TLS = StartTLS
		case "-servername":
			v, ok := value()
			if !ok {
				return usage("shell.openssl.needs", "option", "servername")
			}
			sni = v
		case "-name":
			v, ok := value()
			if !ok {
				return usage("shell.openssl.needs", "option", "name")
			}
			d.HeloName = v
		case "-noservername":
			noSNI = true
		case "-crlf":
			d.CRLF = true
		case "-quiet":
			d.Quiet, d.Commands = true, false
		case "-ign_eof":
			d.Commands = false
		case "-no_ign_eof":
			d.Commands = true
		case "-CAfile":
			// The file a student trusts is the sandbox's certificate, the one
			// the pages offer: the browser has no other.
			if _, ok := value(); !ok {
				return usage("shell.openssl.needs", "option", "CAfile")
			}
			d.Trusted = true
		case "-showcerts", "-tls1_3", "-no_ticket":
			// the chain is the one certificate; TLS 1.3 is what it gets anyway
		default:
			if strings.HasPrefix(a, "-") {
				return usage("shell.openssl.unknown", "option", a)
			}
			t = splitHostPort(a) // OpenSSL 3 also takes the target without -connect
		}
	}
	switch {
	case noSNI:
	case sni != "":
		d.ServerName = sni
	case isDNSName(t.host):
		d.ServerName = t.host // OpenSSL 3 sends the host it connects to
	}
	return sh.reach(OpenSSL, t, d)
}

// splitHostPort reads -connect's HOST:PORT ([::1]:465 for an IPv6
// address); without a port, OpenSSL uses 4433.
func splitHostPort(s string) target {
	if host, port, err := net.SplitHostPort(s); err == nil {
		return target{host, port}
	}
	if strings.Count(s, ":") == 1 {
		host, port, _ := strings.Cut(s, ":")
		return target{host, port}
	}
	return target{strings.Trim(s, "[]"), defaultTLSPort}
}

// serviceTag is how nc -v names a port: its service, or * for a port
// /etc/services does not know.
func serviceTag(port int) string {
	for _, s := range Services {
		if s.Port == port {
			return s.Name
		}
	}
	return "*"
}

// getopt reads one word of single-letter options as getopt(3) does: flags
// take no argument, valued letters take the rest of the word or, at its
// end, the next word (next). bad is the first letter that is neither.
func getopt(word, flags, valued string) (seen string, next bool, bad byte) {
	letters := word[1:]
	for j := 0; j < len(letters); j++ {
		c := letters[j]
		switch {
		case strings.IndexByte(flags, c) >= 0:
			seen += string(c)
		case strings.IndexByte(valued, c) >= 0:
			return seen + string(c), j == len(letters)-1, 0
		default:
			return seen, false, c
		}
	}
	return seen, false, 0
}

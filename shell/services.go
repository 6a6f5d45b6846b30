package shell

import (
	"strconv"
	"strings"

	"smtplab/sandbox"
)

// TLSMode is how a connection is encrypted: what a port speaks, or what a
// client program does.
type TLSMode string

const (
	// NoTLS: clear text for good (POP2; telnet, nc).
	NoTLS TLSMode = "none"
	// StartTLS: clear text first, encrypted once the client asks
	// (STARTTLS, RFC 3207; STLS, RFC 2595).
	StartTLS TLSMode = "starttls"
	// ImplicitTLS: encrypted from the first byte (RFC 8314).
	ImplicitTLS TLSMode = "implicit"
)

// A Service is one of the network services the sandbox's mail servers run,
// on its standard port.
type Service struct {
	Name    string          // as /etc/services names it
	Port    int             // its standard port
	Proto   sandbox.Proto   // the engine that answers
	Role    sandbox.Service // what the session is for
	TLS     TLSMode         // what the port speaks
	Aliases []string        // other names /etc/services gives it
}

// Services is every service a host may run, the one list the ports and
// their names come from.
var Services = []Service{
	{Name: "smtp", Port: 25, Proto: sandbox.SMTP, Role: sandbox.Teaching, TLS: StartTLS, Aliases: []string{"mail"}},
	{Name: "submission", Port: 587, Proto: sandbox.SMTP, Role: sandbox.Submission, TLS: StartTLS},
	{Name: "submissions", Port: 465, Proto: sandbox.SMTP, Role: sandbox.Submission, TLS: ImplicitTLS, Aliases: []string{"ssmtp", "smtps", "urd"}},
	{Name: "pop3", Port: 110, Proto: sandbox.POP3, Role: sandbox.Teaching, TLS: StartTLS, Aliases: []string{"pop-3"}},
	{Name: "pop3s", Port: 995, Proto: sandbox.POP3, Role: sandbox.Teaching, TLS: ImplicitTLS},
	{Name: "pop2", Port: 109, Proto: sandbox.POP2, Role: sandbox.Teaching, TLS: NoTLS, Aliases: []string{"postoffice", "pop-2"}},
}

// ServiceNamed returns the service called name (or one of its aliases).
func ServiceNamed(name string) (Service, bool) {
	name = strings.ToLower(name)
	for _, s := range Services {
		if s.Name == name {
			return s, true
		}
		for _, a := range s.Aliases {
			if a == name {
				return s, true
			}
		}
	}
	return Service{}, false
}

// portOf reads a port as a program does: a number, or a service name as
// /etc/services spells it. ok is false for a name no service has.
func portOf(s string) (port int, ok bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n > 0 && n < 65536
	}
	svc, ok := ServiceNamed(s)
	return svc.Port, ok
}

// serviceAt is what answers on port of host h: the service whose standard
// port it is, or whose sandbox port the shell was told (sh.Ports), if h
// runs it.
func (sh *Shell) serviceAt(h Host, port int) (Service, bool) {
	name := sh.Ports[port]
	for _, s := range Services {
		if s.Port == port || s.Name == name {
			for _, offered := range h.Services {
				if offered == s.Name {
					return s, true
				}
			}
		}
	}
	return Service{}, false
}

// AllServices lists every service's name, for a resolver whose hosts run
// them all.
func AllServices() []string {
	names := make([]string, len(Services))
	for i, s := range Services {
		names[i] = s.Name
	}
	return names
}

package dns_test

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox/dns"
	"smtplab/sandbox/network"
)

// TestInterop serves the built-in network over UDP and checks that the
// real dig, host and nslookup (bind9-dnsutils) print what the sandbox's
// commands print for the same question, once the lines that must differ
// (the port, the message id, the time) are set aside. It is skipped where
// the programs are not installed.
func TestInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("interop: not in -short")
	}
	for _, prog := range []string{"dig", "host", "nslookup"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("interop: %s not installed (Debian: bind9-dnsutils)", prog)
		}
	}
	n := network.Default()
	zones := n.Zones()
	// The resolver answers on the loopback address here, so that the
	// commands name it as the real programs do.
	r, err := dns.NewResolver(n.ResolverName, netip.MustParseAddr("127.0.0.1"), zones...)
	if err != nil {
		t.Fatal(err)
	}
	port := serve(t, r)
	c := dns.Client{Resolver: r, Now: time.Now, Down: n.Refuses}
	p := strconv.Itoa(port)

	for _, tc := range offlineCases {
		t.Run("offline "+tc, func(t *testing.T) {
			args := strings.Fields(tc)
			mine, err := c.Run(args)
			if ue := (*dns.UsageError)(nil); errors.As(err, &ue) {
				mine = dns.Output{Lines: ue.Lines, Status: ue.Status}
			}
			compare(t, tc, exec.Command(args[0], args[1:]...), mine, p)
		})
	}
	for _, tc := range interopCases {
		t.Run(strings.ReplaceAll(tc, "/", "_"), func(t *testing.T) {
			args := strings.Fields(tc)
			prog, rest := args[0], args[1:]
			var real []string
			var mine dns.Output
			var err error
			switch prog {
			case "dig":
				if strings.Contains(tc, "@") { // the case places the server itself
					real = append([]string{"-p", p}, rest...)
					mine, err = c.Dig(rest)
					break
				}
				real = append([]string{"@127.0.0.1", "-p", p}, rest...)
				mine, err = c.Dig(append([]string{"@127.0.0.1"}, rest...))
			case "host":
				real = append(append([]string{"-p", p}, rest...), "127.0.0.1")
				mine, err = c.Host(append(rest, "127.0.0.1"))
			case "nslookup":
				real = append(append([]string{"-port=" + p}, rest...), "127.0.0.1")
				mine, err = c.Nslookup(append(rest, "127.0.0.1"))
			}
			if ue := (*dns.UsageError)(nil); errors.As(err, &ue) {
				mine = dns.Output{Lines: ue.Lines, Status: ue.Status}
			} else if err != nil {
				t.Fatal(err)
			}
			compare(t, tc, exec.Command(prog, real...), mine, p)
		})
	}
}

// compare runs the real program and checks its output and exit status
// against the sandbox's.
func compare(t *testing.T, tc string, cmd *exec.Cmd, mine dns.Output, port string) {
	t.Helper()
	out, runErr := cmd.CombinedOutput()
	status := 0
	if ee := (*exec.ExitError)(nil); errors.As(runErr, &ee) {
		status = ee.ExitCode()
	}
	got := normalize(strings.TrimSuffix(string(out), "\n"), port)
	want := normalize(strings.Join(mine.Lines, "\n"), port)
	if got != want {
		t.Errorf("%s:\n--- real\n%s\n--- sandbox\n%s", strings.Join(cmd.Args, " "), got, want)
	}
	if status != mine.Status {
		t.Errorf("%s: real exit status %d, sandbox %d", tc, status, mine.Status)
	}
}

// offlineCases need no server: usage errors and versions, run as typed.
var offlineCases = []string{
	"dig +bogus", "dig -z", "dig -t", "dig a..b", "dig " + strings.Repeat("x", 64) + ".test", "dig -v",
	"host", "host -z x", "host -t", "host a..b", "host -V", "host -t foo other.test",
	"nslookup a b c", "nslookup a..b", "nslookup -version",
}

var interopCases = []string{
	"dig MX other.test", "dig other.test MX", "dig A mx.other.test", "dig TXT other.test",
	"dig +short MX other.test", "dig -t mx other.test", "dig -tMX other.test", "dig MX univ.test",
	"dig MX nullmx.test", "dig MX nomx.test", "dig MX down.test", "dig MX noaddr.test",
	"dig A mail.noaddr.test", "dig MX nope.test", "dig AAAA other.test", "dig MX mx.other.test",
	"dig +short MX nope.test", "dig +short TXT other.test", "dig +noall +answer MX univ.test", "dig +noal +ans +auth MX nope.test", "dig +nocom +nost MX other.test",
	"dig NS other.test", "dig SOA other.test", "dig", "dig -t foo other.test", "dig +bogus",
	"dig TXT nullmx.test", "dig other.test", "dig MX Other.Test", "dig MX other.test.",
	"dig -q other.test -t mx", "dig +nocmd MX other.test", "dig +nostats MX other.test",
	"dig +nocomments MX other.test", "dig mx mx", "dig MX other.test @127.0.0.1",
	"dig -x 198.51.100.25", "dig -x 198.51.100.99", "dig +short -x 203.0.113.10", "dig -x 1.2.3", "dig -x 2001:db8::1", "dig -x 25.100 MX",
	"dig MX corp.test", "dig TXT _dmarc.other.test", "host -t txt _dmarc.other.test", "nslookup -type=txt _dmarc.other.test",
	"dig MX test", "dig MX class-2.test", "host corp.test",
	"host -t mx other.test", "host other.test", "host univ.test", "host nomx.test",
	"host nope.test", "host -t mx nope.test", "host -t mx mx.other.test", "host -t txt other.test",
	"host mx.other.test", "host nullmx.test", "host -t soa other.test", "host 198.51.100.25",
	"host -t foo other.test", "host 198.51.100.99", "host 192.0.2.53", "host -t ns other.test", "host -tmx univ.test", "host noaddr.test",
	"nslookup -type=mx other.test", "nslookup -query=mx univ.test", "nslookup -q=mx nope.test",
	"nslookup mx.other.test", "nslookup other.test", "nslookup nope.test",
	"nslookup -type=mx mx.other.test", "nslookup -type=txt other.test", "nslookup -type=mx nullmx.test",
	"nslookup -type=soa other.test", "nslookup -type=foo other.test", "nslookup -type=ns other.test",
	"nslookup -type=MX nomx.test", "nslookup -type=a mx.other.test", "nslookup 198.51.100.25",
	"nslookup -bogus other.test", "nslookup 198.51.100.99", "nslookup -type=ptr 198.51.100.25",
	"dig -t ptr 25.100.51.198.in-addr.arpa",
}

var (
	idLine   = regexp.MustCompile(`id: \d+`)
	whenLine = regexp.MustCompile(`(?m)^;; WHEN: .*$`)
	timeLine = regexp.MustCompile(`(?m)^;; Query time: \d+ msec$`)
)

// normalize sets aside what differs between two runs of a program.
func normalize(s, port string) string {
	s = strings.ReplaceAll(s, "@127.0.0.1 -p "+port, "@127.0.0.1")
	s = strings.ReplaceAll(s, "-p "+port+" ", "")
	s = strings.ReplaceAll(s, "-port="+port+" ", "")
	s = strings.ReplaceAll(s, "#"+port, "#53")
	s = idLine.ReplaceAllString(s, "id: N")
	s = whenLine.ReplaceAllString(s, ";; WHEN: T")
	s = timeLine.ReplaceAllString(s, ";; Query time: N msec")
	return s
}

// serve answers DNS questions over UDP on the loopback interface until
// the test ends, and returns the port.
func serve(t *testing.T, r *dns.Resolver) int {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Skipf("interop: cannot listen: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			id, name, qtype, edns, ok := parseQuery(buf[:n])
			if !ok {
				continue
			}
			conn.WriteToUDP(r.Query(name, qtype).Pack(id, edns), from)
		}
	}()
	return conn.LocalAddr().(*net.UDPAddr).Port
}

// parseQuery reads the id, the question and whether there is an
// additional record (dig's OPT) from a query.
func parseQuery(b []byte) (id uint16, name string, qtype dns.Type, edns bool, ok bool) {
	if len(b) < 12 {
		return
	}
	id = binary.BigEndian.Uint16(b)
	edns = binary.BigEndian.Uint16(b[10:]) > 0
	var labels []string
	i := 12
	for i < len(b) && b[i] != 0 {
		l := int(b[i])
		if i+1+l > len(b) {
			return
		}
		labels = append(labels, string(b[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(b) {
		return
	}
	qtype = dns.Type(binary.BigEndian.Uint16(b[i+1:]))
	name = strings.Join(labels, ".")
	if name == "" {
		name = "."
	}
	return id, name, qtype, edns, true
}

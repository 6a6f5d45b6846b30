package dns_test

import (
	"errors"
	"strings"
	"testing"

	"smtplab/sandbox/dns"
)

// FuzzCommands runs the three programs on any command line: they print
// or refuse, never panic, and a refusal says why.
func FuzzCommands(f *testing.F) {
	for _, s := range []string{"dig MX other.test", "dig +short -x 1.2", "host -tmx univ.test 192.0.2.53",
		"nslookup -q=txt other.test", "dig @ns.test -q a..b", "host -t", "nslookup - x"} {
		f.Add(s)
	}
	c := goldenClient()
	f.Fuzz(func(t *testing.T, line string) {
		argv := strings.Fields(line)
		if len(argv) == 0 {
			return
		}
		argv[0] = dns.Programs[len(argv[0])%len(dns.Programs)]
		o, err := c.Run(argv)
		var ue *dns.UsageError
		switch {
		case errors.As(err, &ue):
			if len(ue.Lines) == 0 || ue.Note.Key == "" || ue.Status == 0 {
				t.Errorf("%q: bare usage error %+v", line, ue)
			}
		case err != nil:
			t.Errorf("%q: %v", line, err)
		default:
			for _, n := range o.Notes {
				if n.Line < 0 || n.Line > len(o.Lines) {
					t.Errorf("%q: note %s at line %d of %d", line, n.Key, n.Line, len(o.Lines))
				}
			}
		}
	})
}

package smtp

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

var sessionSeeds = []string{
	"HELO a.test\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
	"EHLO a.test\r\nMAIL FROM:<> SIZE=10 BODY=8BITMIME\r\nRCPT TO:<@a.test,@b.test:team@example.test>\r\nDATA\r\n..\r\n.\r\n",
	"MAIL TO:<x>\r\nRCPT TO:>\x1b[D\r\nVRFY Petit\r\nEXPN team\r\nHELP STATUS\r\nTURN\r\n",
	"EHLO x\r\nMAIL FROM:<a@b.test\r\nRCPT TO:<bob>\r\nDATA\r\nhello\n.\r\nQUIT\r\n.\n",
	strings.Repeat("A", 600) + "\r\nNOOP\nRSET x\r\n\r\n",
	"EHLO cl\xc3\xafent\r\nMAIL FROM:<j\xc3\xa9@x.test> BODY=\xff\r\nMAIL FROM:<a@b.test> X\x00=1\r\nRCPT TO:<\"b\xe9\"@example.test>\r\nH\xc3\x89LO\r\nVRFY z\xc3\xa9\r\nHELP \x1b\r\n",
}

// FuzzSession feeds arbitrary input to a session, split at an arbitrary
// point, and checks the invariants every reply must keep.
func FuzzSession(f *testing.F) {
	for i, s := range sessionSeeds {
		f.Add([]byte(s), uint16(i*7))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		w := sandboxtest.NewWorld(sandbox.Limits{MaxMessageSize: 4096})
		s := NewSession(w, sandboxtest.Peer)
		out := s.Start().Bytes()
		at := int(cut) % (len(in) + 1)
		out = append(out, sandbox.FeedAll(s, in[:at]).Bytes()...)
		out = append(out, sandbox.FeedAll(s, in[at:]).Bytes()...)
		checkReplies(t, out)
	})
}

func checkReplies(t *testing.T, out []byte) {
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Fatalf("output does not end with CRLF: %q", out)
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
		if len(l)+2 > 512 {
			t.Fatalf("reply line of %d octets: %q", len(l)+2, l)
		}
		if len(l) < 4 || l[0] < '2' || l[0] > '5' || l[3] != ' ' && l[3] != '-' || strings.ContainsAny(l, "\r\n") {
			t.Fatalf("malformed reply line %q", l)
		}
		if !utf8.ValidString(l[:4]) {
			t.Fatalf("bad code %q", l)
		}
		// RFC 5321 §4.2: reply text is printable US-ASCII, whatever the
		// client sent and the reply repeats.
		for _, c := range []byte(l) {
			if c < ' ' || c > '~' {
				t.Fatalf("octet %#02x in reply line %q", c, l)
			}
		}
	}
}

// FuzzParsePath checks that whatever parsePath accepts is a well-formed path.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"FROM:<a@b.test>", "FROM:<>", "TO:<@one,@two:joe@three>", "FROM: a@b SIZE=1",
		"TO:<postmaster>", "FROM:<\"a b\"@c.test>", "TO:<a@[192.0.2.1]>", "FROM:<a@b", "TO:>\x1b[D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		for _, kw := range []string{"FROM:", "TO:"} {
			p, err := parsePath(arg, kw)
			if err != nil {
				continue
			}
			if strings.ContainsAny(p.Mailbox, "<> \r\n") && !strings.HasPrefix(p.Local, "\"") {
				t.Fatalf("accepted mailbox %q from %q", p.Mailbox, arg)
			}
			if p.Domain != "" && (len(p.Local) > 64 || len(p.Domain) > 255 || p.Local+"@"+p.Domain != p.Mailbox) {
				t.Fatalf("inconsistent path %+v from %q", p, arg)
			}
		}
	})
}

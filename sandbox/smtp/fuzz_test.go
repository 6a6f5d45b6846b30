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
	"EHLO a.test\r\nSTARTTLS\r\nMAIL FROM:<evil@x.test>\r\nEHLO a.test\r\nAUTH PLAIN AGFsaWNlAGFsaWNl\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@other.test>\r\n",
	"EHLO a.test\r\nAUTH LOGIN\r\nYWxpY2U=\r\nd3Jvbmc=\r\nAUTH PLAIN =\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN !!\r\nAUTH CRAM-MD5\r\nSTARTTLS x\r\n",
	"EHLO a.test\r\nAUTH PLAIN\r\n" + strings.Repeat("QUFB", 4000) + "\r\nAUTH LOGIN\nYWxpY2U=\nYWxpY2U=\r\nSTARTTLS\r\nSTARTTLS\r\n",
	"EHLO cl\xc3\xafent\r\nMAIL FROM:<j\xc3\xa9@x.test> BODY=\xff\r\nMAIL FROM:<a@b.test> X\x00=1\r\nRCPT TO:<\"b\xe9\"@example.test>\r\nH\xc3\x89LO\r\nVRFY z\xc3\xa9\r\nHELP \x1b\r\n",
}

// FuzzSession feeds arbitrary input to a session, split at an arbitrary
// point, on the teaching or the submission service, with a transport that
// can start TLS or not (and does whenever STARTTLS asks), and checks the
// invariants every reply must keep. A step that starts TLS must end with
// STARTTLS's 220 and leave no input behind (RFC 3207 §4.2: nothing the
// client sent in clear text may be read as a command after it).
func FuzzSession(f *testing.F) {
	for i, s := range sessionSeeds {
		f.Add([]byte(s), uint16(i*7))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		w := sandboxtest.NewWorld(sandbox.Limits{MaxMessageSize: 4096, AuthFailDelay: -1})
		peer := sandboxtest.Peer
		peer.CanStartTLS = cut&1 == 1
		if cut&2 == 2 {
			peer.Service = sandbox.Submission
		}
		s := NewSession(w, peer)
		out := s.Start().Bytes()
		at := int(cut) % (len(in) + 1)
		out = append(out, feedSecuring(t, s, in[:at])...)
		out = append(out, feedSecuring(t, s, in[at:])...)
		checkReplies(t, out)
	})
}

// fuzzTLS is what a handshake would report.
var fuzzTLS = sandbox.TLS{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ServerName: "mail.example.test"}

// feedSecuring feeds p as a transport would: each step sent, Feed(nil)
// while input is left, and TLS started when a step asks for it (the rest
// of p, sent in clear text, is then dropped).
func feedSecuring(t *testing.T, s *Session, p []byte) []byte {
	t.Helper()
	var wire []byte
	for out := s.Feed(p); ; out = s.Feed(nil) {
		wire = out.AppendTo(wire)
		if out.StartTLS {
			if n := len(out.Replies); n == 0 || out.Replies[n-1].Code != 220 || out.More {
				t.Fatalf("a step starts TLS without ending with STARTTLS's 220, or keeps input: %q", out.Bytes())
			}
			return s.Secured(fuzzTLS).AppendTo(wire)
		}
		if !out.More {
			return wire
		}
	}
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

package tcp

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// BenchmarkTransactionTCP runs the same session as smtp's
// BenchmarkTransaction, but over a loopback TCP connection, one command at a
// time as a non-pipelining client (telnet, net/smtp) does.
func BenchmarkTransactionTCP(b *testing.B) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	s := &Server{Name: "smtp", NewSession: func(p sandbox.Peer) sandbox.Session { return newSMTP(w, p) }}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	go s.Serve()
	defer s.ln.Close()
	steps := []string{
		"EHLO client.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>",
		"RCPT TO:<carol@example.test>", "DATA",
		"From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\nBcc: carol@example.test\r\n" +
			"Subject: benchmark\r\nDate: Fri, 2 Jan 2026 03:04:05 +0000\r\nMessage-ID: <bench@example.test>\r\n\r\n" +
			"Hello Bob,\r\n..and a stuffed line.\r\nBye.\r\n.",
		"QUIT",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%1000 == 0 {
			w.Store.Clear()
		}
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		rd := bufio.NewReader(c)
		readReply(b, rd)
		for _, st := range steps {
			c.Write([]byte(st + "\r\n"))
			if r := readReply(b, rd); r[0] != '2' && r[0] != '3' {
				b.Fatalf("%s: %s", st, r)
			}
		}
		c.Close()
	}
}

func readReply(b *testing.B, rd *bufio.Reader) string {
	var all strings.Builder
	for {
		l, err := rd.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		all.WriteString(l)
		if len(l) < 4 || l[3] != '-' {
			return all.String()
		}
	}
}

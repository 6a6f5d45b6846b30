package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// BenchmarkPOP3SessionTCP is BenchmarkPOP3Session (sandbox/pop3) over a
// real loopback connection to the running app: greeting, USER, PASS, STAT,
// RETR of each of three messages, QUIT, and the server closing. The same
// mailbox and script make the two directly comparable; the difference is
// the transport: sockets, the serving goroutine, session accounting and
// the log lines of each session (formatted, then discarded).
func BenchmarkPOP3SessionTCP(b *testing.B) {
	a := startAppLog(b, io.Discard, nil)
	for i := 1; i <= 3; i++ {
		a.deliver(b, "alice", benchMessage(i))
	}
	addr := a.addr(b, "pop3")
	script := []struct {
		cmd   []byte
		multi bool
	}{
		{[]byte("USER alice\r\n"), false},
		{[]byte("PASS alice\r\n"), false},
		{[]byte("STAT\r\n"), false},
		{[]byte("RETR 1\r\n"), true},
		{[]byte("RETR 2\r\n"), true},
		{[]byte("RETR 3\r\n"), true},
		{[]byte("QUIT\r\n"), false},
	}
	// The client reuses its buffer, so what -benchmem counts is, apart
	// from the dial, the server's doing.
	rd := bufio.NewReaderSize(nil, 4096)
	line := func() []byte {
		l, err := rd.ReadSlice('\n')
		if err != nil {
			b.Fatalf("read: %v (%q)", err, l)
		}
		return l
	}
	eof := make([]byte, 1)
	b.ReportAllocs()
	octets := 0
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		rd.Reset(c)
		octets += len(line())
		for _, step := range script {
			if _, err := c.Write(step.cmd); err != nil {
				b.Fatal(err)
			}
			l := line()
			octets += len(l)
			if !bytes.HasPrefix(l, []byte("+OK")) {
				b.Fatalf("%q: %q", step.cmd, l)
			}
			for step.multi && !bytes.Equal(l, []byte(".\r\n")) {
				l = line()
				octets += len(l)
			}
		}
		if n, err := rd.Read(eof); n != 0 || err != io.EOF {
			b.Fatalf("after QUIT: %d octets, %v; want the server to close", n, err)
		}
		c.Close()
	}
	b.SetBytes(int64(octets / max(b.N, 1)))
}

// benchMessage is the message testMessage in sandbox/pop3 builds, so both
// benchmarks move the same octets.
func benchMessage(i int) string {
	var s strings.Builder
	s.WriteString("From: Bob Durand <bob@example.test>\r\nTo: alice@example.test\r\n")
	fmt.Fprintf(&s, "Subject: Test message %d\r\nMessage-ID: <%012X@example.test>\r\n\r\nHello alice,\r\n", i, 0x12A36E8003D4+i-1)
	if i == 2 {
		s.WriteString(".\r\n..two dots\r\n.hidden\r\n")
	}
	fmt.Fprintf(&s, "this is message %d.\r\nBye\r\n", i)
	return s.String()
}

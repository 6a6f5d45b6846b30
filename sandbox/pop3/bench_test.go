package pop3

import (
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// BenchmarkPOP3Session runs a whole session in process: greeting, login,
// STAT, RETR of each of three messages, QUIT (nothing deleted, so every
// iteration sees the same maildrop).
func BenchmarkPOP3Session(b *testing.B) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	fillMailbox(b, w, "alice", 3)
	script := [][]byte{
		[]byte("USER alice\r\n"),
		[]byte("PASS alice\r\n"),
		[]byte("STAT\r\n"),
		[]byte("RETR 1\r\n"),
		[]byte("RETR 2\r\n"),
		[]byte("RETR 3\r\n"),
		[]byte("QUIT\r\n"),
	}
	b.ReportAllocs()
	octets := 0
	for b.Loop() {
		s := NewSession(w, sandboxtest.Peer)
		octets += len(s.Start().Bytes())
		for _, line := range script {
			octets += len(s.Feed(line).Bytes())
		}
		if !s.Closed() {
			b.Fatal("session not closed by QUIT")
		}
	}
	b.SetBytes(int64(octets / max(b.N, 1)))
}

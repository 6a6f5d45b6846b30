package smtp

import (
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// transaction is one whole session, as a pipelining client sends it.
var transaction = []byte("EHLO client.example.test\r\n" +
	"MAIL FROM:<alice@example.test>\r\n" +
	"RCPT TO:<bob@example.test>\r\n" +
	"RCPT TO:<carol@example.test>\r\n" +
	"DATA\r\n" +
	"From: Alice <alice@example.test>\r\n" +
	"To: Bob <bob@example.test>\r\n" +
	"Bcc: carol@example.test\r\n" +
	"Subject: benchmark\r\n" +
	"Date: Fri, 2 Jan 2026 03:04:05 +0000\r\n" +
	"Message-ID: <bench@example.test>\r\n" +
	"\r\n" +
	"Hello Bob,\r\n..and a stuffed line.\r\nBye.\r\n" +
	".\r\n" +
	"QUIT\r\n")

// BenchmarkTransaction runs a full session in-process: greeting, EHLO, an
// envelope with two recipients, a message with analysis and delivery, QUIT.
func BenchmarkTransaction(b *testing.B) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	b.ReportAllocs()
	b.SetBytes(int64(len(transaction)))
	for i := 0; b.Loop(); i++ {
		if i%1000 == 0 {
			w.Store.Clear() // keep the mailboxes small and under quota
		}
		s := NewSession(w, sandboxtest.Peer)
		s.Start()
		out := s.Feed(transaction)
		if !s.Closed() || len(out.Replies) != 7 {
			b.Fatalf("session did not complete: %d replies", len(out.Replies))
		}
	}
}

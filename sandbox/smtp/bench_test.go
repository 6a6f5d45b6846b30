package smtp

import (
	"strings"
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

// The transaction of BenchmarkMessage, as cmd/smtplab's BenchmarkSMTPvsGoSMTP
// sends it: the envelope pipelined, then 1 KiB of text and the final dot.
var (
	kibEnvelope = []byte("MAIL FROM:<bob@example.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
	kibMessage  = []byte(kibText() + ".\r\n")
)

// kibText is a plain message of exactly 1024 octets: a usual header
// section, then lines of text.
func kibText() string {
	var s strings.Builder
	s.WriteString("From: Bob Durand <bob@example.test>\r\nTo: Alice Martin <alice@example.test>\r\n")
	s.WriteString("Subject: Benchmark\r\nDate: Mon, 2 Mar 2026 10:00:00 +0100\r\n")
	s.WriteString("Message-ID: <bench@example.test>\r\n\r\n")
	for s.Len() < 1024-64 {
		s.WriteString(strings.Repeat("x", 62) + "\r\n")
	}
	s.WriteString(strings.Repeat("y", 1024-s.Len()-2) + "\r\n")
	return s.String()
}

// BenchmarkMessage is one message of a long session, as a mail program
// sends many: the envelope, 1 KiB of text, delivery to one mailbox, every
// event published to an observer. It is the engine's share of
// BenchmarkSMTPvsGoSMTP, without the sockets.
func BenchmarkMessage(b *testing.B) {
	w := sandbox.NewWorld(sandbox.Config{Name: "bench"})
	events := 0
	w.Subscribe(func(sandbox.Event) { events++ })
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	s.Feed([]byte("EHLO bench.test\r\n"))
	b.ReportAllocs()
	b.SetBytes(int64(len(kibMessage)))
	for i := 0; b.Loop(); i++ {
		if i%1000 == 0 {
			w.Store.Clear()
		}
		if out := s.Feed(kibEnvelope); len(out.Replies) != 3 {
			b.Fatalf("envelope: %d replies", len(out.Replies))
		}
		if out := s.Feed(kibMessage); len(out.Replies) != 1 || out.Replies[0].Code != 250 {
			b.Fatalf("message: %+v", out.Replies)
		}
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// Shape of BenchmarkSMTPvsGoSMTP: what the project's performance goal names.
const (
	vsClients = 16   // connections, each a closed loop of its own
	vsRound   = 1000 // messages per server per round: short, so a load that comes and goes hits both
)

// BenchmarkSMTPvsGoSMTP sets smtplab's SMTP service against a minimal
// go-smtp server (its Backend discards every message) in the same run, with
// the same client: vsClients connections, each sending MAIL, RCPT and DATA
// pipelined, then a 1 KiB message, and waiting for the 250 before the next.
//
// smtplab runs as the real app, web interface included, so the shared
// world's event stream, its analysis and the live view's recording all
// happen; only the database is off (-data off), BenchmarkClassDelivery
// measures that. The two servers take turns, vsRound messages each, so a
// machine that slows down during the run slows both alike. ns/op and the
// allocations are smtplab's alone (the timer stops while go-smtp runs);
// x-gosmtp is smtplab's messages per second over go-smtp's.
func BenchmarkSMTPvsGoSMTP(b *testing.B) {
	a := startAppLog(b, discard{}, nil, "-data", "off", "-http", "127.0.0.1:0")
	labClients := dialSenders(b, a.addr(b, "smtp"))
	goClients := dialSenders(b, startGoSMTP(b))
	var labTime, goTime time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for left := b.N; left > 0; left -= vsRound {
		n := min(left, vsRound)
		b.StopTimer()
		goTime += sendAll(b, goClients, n)
		// Without this the default world's mailbox would fill up in a few
		// seconds and every later message would bounce: a different load.
		a.world.Store.Clear()
		b.StartTimer()
		labTime += sendAll(b, labClients, n)
	}
	b.StopTimer()
	labRate := float64(b.N) / labTime.Seconds()
	goRate := float64(b.N) / goTime.Seconds()
	b.ReportMetric(labRate, "smtplab-msgs/s")
	b.ReportMetric(goRate, "gosmtp-msgs/s")
	b.ReportMetric(labRate/goRate, "x-gosmtp")
}

// startGoSMTP serves the minimal go-smtp server on a loopback port and
// returns its address.
func startGoSMTP(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return discardSession{}, nil
	}))
	s.Domain = "gosmtp.test"
	s.MaxMessageBytes = 10 << 20
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Serve(ln); err != nil && !errors.Is(err, gosmtp.ErrServerClosed) {
			b.Error(err)
		}
	}()
	b.Cleanup(func() { s.Close(); <-done })
	return ln.Addr().String()
}

// discardSession accepts every command and reads each message to its end
// (go-smtp needs the reader drained to answer), keeping nothing.
type discardSession struct{}

func (discardSession) Reset()                                 {}
func (discardSession) Logout() error                          { return nil }
func (discardSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (discardSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// sender is one client connection, introduced with EHLO.
type sender struct {
	nc net.Conn
	rd *bufio.Reader
}

// vsTransaction and vsMessage are what each client sends per message: the
// envelope pipelined, then 1 KiB of message text and the final dot.
var (
	vsTransaction = []byte("MAIL FROM:<bob@example.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
	vsMessage     = []byte(kibMessage() + ".\r\n")
)

// kibMessage is a plain message of exactly 1024 octets: a usual header
// section, then lines of text.
func kibMessage() string {
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

func dialSenders(b *testing.B, addr string) []*sender {
	out := make([]*sender, vsClients)
	for i := range out {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { nc.Close() })
		c := &sender{nc: nc, rd: bufio.NewReaderSize(nc, 4096)}
		if err := c.expect("220"); err != nil {
			b.Fatal(err)
		}
		c.nc.Write([]byte("EHLO bench.test\r\n"))
		if err := c.expect("250"); err != nil {
			b.Fatal(err)
		}
		out[i] = c
	}
	return out
}

// sendAll sends n messages over the clients, each taking its share in a
// closed loop, and returns how long it took.
func sendAll(b *testing.B, clients []*sender, n int) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range clients {
		share := n / len(clients)
		if i < n%len(clients) {
			share++
		}
		wg.Go(func() {
			for range share {
				if err := c.send(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// send runs one transaction and checks every reply.
func (c *sender) send() error {
	c.nc.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.nc.Write(vsTransaction); err != nil {
		return err
	}
	for _, want := range []string{"250", "250", "354"} {
		if err := c.expect(want); err != nil {
			return err
		}
	}
	if _, err := c.nc.Write(vsMessage); err != nil {
		return err
	}
	return c.expect("250")
}

// expect reads one reply, multi-line or not, and checks its code. It reads
// with ReadSlice, so the client allocates nothing per reply.
func (c *sender) expect(code string) error {
	for {
		l, err := c.rd.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", code, err)
		}
		if len(l) < 4 || string(l[:3]) != code {
			return fmt.Errorf("want %s, got %q", code, l)
		}
		if l[3] != '-' {
			return nil
		}
	}
}

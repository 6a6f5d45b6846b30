package main

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkClassDelivery delivers 1 KiB messages into a class world over
// loopback SMTP from 16 connections at once, with the class kept in memory
// (-data off) and in the SQLite database (-data DIR): the ratio of the two
// is the cost of making every 250 durable.
func BenchmarkClassDelivery(b *testing.B) {
	for _, store := range []string{"memory", "sqlite"} {
		b.Run(store, func(b *testing.B) {
			data := "off"
			if store == "sqlite" {
				data = b.TempDir()
			}
			a := startAppLog(b, discard{}, nil, "-data", data)
			c, err := a.classes.Create("Bench", "en", nil)
			if err != nil {
				b.Fatal(err)
			}
			st, _, err := a.classes.Join(c.Code, "Tom")
			if err != nil {
				b.Fatal(err)
			}
			txn := "MAIL FROM:<bob@example.test>\r\nRCPT TO:<" + st.Local + "@" + c.Domain + ">\r\nDATA\r\n"
			body := "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 62)+"\r\n", 16) + ".\r\n"
			addr := a.addr(b, "smtp")
			var left atomic.Int64
			left.Store(int64(b.N))
			var wg sync.WaitGroup
			b.ResetTimer()
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					nc, err := net.Dial("tcp", addr)
					if err != nil {
						b.Error(err)
						return
					}
					defer nc.Close()
					rd := bufio.NewReader(nc)
					code := func() string {
						for {
							l, err := rd.ReadString('\n')
							if err != nil || len(l) < 4 {
								return "err"
							}
							if l[3] != '-' {
								return l[:3]
							}
						}
					}
					code()
					nc.Write([]byte("EHLO bench.test\r\n"))
					code()
					for left.Add(-1) >= 0 {
						nc.Write([]byte(txn))
						code()
						code()
						code()
						nc.Write([]byte(body))
						if got := code(); got != "250" {
							b.Errorf("DATA answered %s", got)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

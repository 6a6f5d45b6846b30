package storage

import (
	"bytes"
	"fmt"
	"testing"

	"smtplab/sandbox"
)

// BenchmarkDeliver stores 1 KiB messages round-robin in four mailboxes;
// memory/sqlite is the price of durability per delivered copy.
func BenchmarkDeliver(b *testing.B) {
	for _, impl := range []struct {
		name string
		open func(b *testing.B) Storage
	}{
		{"memory", func(b *testing.B) Storage { return NewMemory() }},
		{"sqlite", func(b *testing.B) Storage {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
	} {
		b.Run(impl.name, func(b *testing.B) {
			s := impl.open(b).Mailboxes("default")
			raw := bytes.Repeat([]byte("x"), 1024)
			boxes := []string{"alice", "bob", "carol", "dave"}
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m := &sandbox.Message{ID: fmt.Sprint("Q", i), Mailbox: boxes[i%len(boxes)], Raw: raw}
				if err := s.Deliver(m, big, big); err != nil {
					b.Fatal(err)
				}
				i++
				if i%10000 == 0 { // keep memory flat: a long run would hold gigabytes
					b.StopTimer()
					s.Clear()
					b.StartTimer()
				}
			}
		})
	}
}

package sandbox

import (
	"strings"
	"testing"
)

func collect(s *LineSplitter, chunks ...string) []Line {
	var out []Line
	for _, c := range chunks {
		s.Feed([]byte(c), func(l Line) bool { out = append(out, l); return true })
	}
	return out
}

func TestLineSplitterCRLFAndBareLF(t *testing.T) {
	s := &LineSplitter{Max: 512}
	got := collect(s, "HELO a\r\nNOOP\nQU", "IT\r\n")
	want := []struct {
		text string
		crlf bool
	}{{"HELO a", true}, {"NOOP", false}, {"QUIT", true}}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i, w := range want {
		if string(got[i].Text) != w.text || got[i].CRLF != w.crlf || got[i].TooLong {
			t.Errorf("line %d = %q crlf=%v long=%v, want %q crlf=%v", i, got[i].Text, got[i].CRLF, got[i].TooLong, w.text, w.crlf)
		}
	}
}

func TestLineSplitterBoundsMemory(t *testing.T) {
	s := &LineSplitter{Max: 10}
	long := strings.Repeat("x", 1<<20)
	got := collect(s, long, long, "\r\nok\r\n")
	if len(got) != 2 || !got[0].TooLong || got[0].Octets != 2<<20+2 || len(got[0].Text) > 10 {
		t.Fatalf("long line: %+v", got[0])
	}
	if !got[0].CRLF {
		t.Error("a long line ended by CRLF must report CRLF")
	}
	if string(got[1].Text) != "ok" || got[1].TooLong {
		t.Errorf("next line = %q long=%v", got[1].Text, got[1].TooLong)
	}
	if cap(s.buf) > 64 {
		t.Errorf("buffer grew to %d octets for a limit of 10", cap(s.buf))
	}
}

func TestLineSplitterExactLimit(t *testing.T) {
	s := &LineSplitter{Max: 6}
	got := collect(s, "abcd\r\nabcde\r\n")
	if got[0].TooLong || string(got[0].Text) != "abcd" {
		t.Errorf("6 octets with CRLF must fit: %+v", got[0])
	}
	if !got[1].TooLong {
		t.Errorf("7 octets must not fit: %+v", got[1])
	}
}

func TestLineSplitterStops(t *testing.T) {
	s := &LineSplitter{Max: 512}
	n := 0
	s.Feed([]byte("QUIT\r\nNOOP\r\n"), func(Line) bool { n++; return false })
	if n != 1 {
		t.Errorf("Feed went on after fn returned false: %d lines", n)
	}
}

func TestLineBareCR(t *testing.T) {
	l := Line{Text: []byte("a\rb"), CRLF: true}
	if !l.HasBareCR() {
		t.Error("bare CR not seen")
	}
}

// TestLineSplitterKeepsWhatIsLeft: a stop keeps the rest of the input, and
// the next Feed starts with it, before anything new.
func TestLineSplitterKeepsWhatIsLeft(t *testing.T) {
	s := &LineSplitter{Max: 512}
	var got []string
	stopAfter := 1
	fn := func(l Line) bool {
		got = append(got, string(l.Text))
		return len(got) < stopAfter
	}
	buf := []byte("A\r\nB\r\nC\r\nD")
	s.Feed(buf, fn)
	copy(buf, "XXXXXXXXXX") // the caller reuses its buffer
	if !s.Held() || len(got) != 1 {
		t.Fatalf("after a stop: held %v, lines %q", s.Held(), got)
	}
	stopAfter = 100
	s.Feed([]byte("E\r\n"), fn)
	if want := "A B C DE"; strings.Join(got, " ") != want || s.Held() {
		t.Fatalf("lines %q, held %v; want %s", got, s.Held(), want)
	}
	s.Feed([]byte("F\r\n"), func(Line) bool { return false })
	s.Drop()
	if s.Held() {
		t.Fatal("Drop kept input")
	}
}

package sandbox

import (
	"strings"
	"testing"
)

func TestOneEditApart(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"RCTP", "RCPT", true}, {"HELLO", "HELO", true}, {"MAIL", "MAIL", false}, {"MALE", "MAIL", false},
		{"DAT", "DATA", true}, {"XYZZY", "QUIT", false}, {"RERT", "RETR", true}, {"RTRE", "RETR", false}, {"STST", "STAT", true}} {
		if got := OneEditApart(c.a, c.b); got != c.want {
			t.Errorf("OneEditApart(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestEcho(t *testing.T) {
	if got := Echo("a\x1b[Db\r\n\xff", 100); got != "a?[Db???" {
		t.Errorf("Echo = %q", got)
	}
	long := strings.Repeat("é", 30) // 60 octets
	got := Echo(long, 41)
	if !strings.HasSuffix(got, "...") || len(got) > 44 || !strings.HasPrefix(long, strings.TrimSuffix(got, "...")) {
		t.Errorf("Echo cut = %q", got)
	}
	if !HasControl("a\x1bb") || HasControl("a\tb") {
		t.Error("HasControl")
	}
}

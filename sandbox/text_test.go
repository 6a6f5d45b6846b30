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

// TestEcho checks what replies repeat of client text: printable ASCII
// only (RFC 5321 §4.2), every other octet as \xNN, cut within the limit
// but never inside an escape.
func TestEcho(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"bob@example.test", 100, "bob@example.test"},
		{"a\x1b[Db\r\n\xff", 100, `a\x1B[Db\x0D\x0A\xFF`},
		{"j\u00e9r\u00f4me@example.test", 100, `j\xC3\xA9r\xC3\xB4me@example.test`},
		{"tab\there\x00\x7f", 100, `tab\x09here\x00\x7F`},
		{"abcdef", 3, "abc..."},
		{"ab\xc3\xa9", 5, `ab...`}, // \xC3 would pass the limit: not cut in half
		{"ab\xc3\xa9", 6, `ab\xC3...`},
	} {
		if got := Echo(c.in, c.max); got != c.want {
			t.Errorf("Echo(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
	long := strings.Repeat("é", 30) // 60 octets, 240 once escaped
	got := Echo(long, 41)
	if !strings.HasSuffix(got, "...") || len(got) > 44 || !strings.HasPrefix(strings.Repeat(`\xC3\xA9`, 30), strings.TrimSuffix(got, "...")) {
		t.Errorf("Echo cut = %q", got)
	}
	if !HasControl("a\x1bb") || HasControl("a\tb") {
		t.Error("HasControl")
	}
}

// TestVisible checks the page-side escaping: letters stay, controls and
// octets that are not UTF-8 do not.
func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"Subject: R\u00e9union":   "Subject: Réunion",
		"Subject: a\x1b[31mred":   `Subject: a\x1B[31mred`,
		"To: \x00bob\xff":         `To: \x00bob\xFF`,
		"X: \u0085next-line ctrl": `X: \xC2\x85next-line ctrl`,
	} {
		if got := Visible(in, 100); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

package sandbox

import (
	"strings"
	"unicode/utf8"
)

// Echo makes client text safe to repeat in a reply: valid UTF-8, control
// characters shown as "?" (so an echo can neither break a reply line nor
// drive a terminal), and at most max octets, so the reply stays within its
// line limit whatever the client sent.
func Echo(s string, max int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// HasControl reports whether s holds control characters other than tab,
// such as the escape sequences an arrow key types into telnet.
func HasControl(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

// OneEditApart reports whether a and b differ by one substitution,
// insertion, deletion, or swap of two neighbours: a typo worth a "did you
// mean".
func OneEditApart(a, b string) bool {
	if a == b {
		return false
	}
	if len(a) == len(b) {
		var diff []int
		for i := range a {
			if a[i] != b[i] {
				diff = append(diff, i)
			}
		}
		return len(diff) == 1 ||
			len(diff) == 2 && diff[1] == diff[0]+1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]]
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a) != len(b)+1 {
		return false
	}
	for i := range b {
		if a[i] != b[i] {
			return a[i+1:] == b[i:]
		}
	}
	return true
}

// IsNumber reports whether s is a non-empty string of ASCII digits, as a
// message number must be.
func IsNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

package sandbox

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Echo makes client text safe to repeat in a reply. RFC 5321 §4.2 allows
// only printable US-ASCII in reply text, so every other octet is shown as
// \xNN: control characters could break a reply line or drive a terminal,
// and octets above 127 mean nothing without a charset. The result is at most
// max octets (plus "..." when cut, never inside an escape), so the reply
// stays within its line limit whatever the client sent.
func Echo(s string, max int) string { return escape(s, max, false) }

// Visible makes text safe to show on a page: like Echo, but letters of
// valid UTF-8 stay as they are; only control characters and octets that
// are not UTF-8 are shown as \xNN.
func Visible(s string, max int) string { return escape(s, max, true) }

func escape(s string, max int, keepUTF8 bool) string {
	if len(s) <= max && printableASCII(s) {
		return s // the common case: nothing to escape or cut
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		piece, n := escapeAt(s, i, keepUTF8)
		if b.Len()+len(piece) > max {
			return b.String() + "..."
		}
		b.WriteString(piece)
		i += n
	}
	return b.String()
}

// escapeAt returns how the text at s[i:] is shown, and how many octets of s
// that takes: a printable ASCII octet as itself, a UTF-8 letter as itself
// when keepUTF8 is set, any other octet as \xNN.
func escapeAt(s string, i int, keepUTF8 bool) (string, int) {
	c := s[i]
	if c >= ' ' && c < 0x7f {
		return s[i : i+1], 1
	}
	if r, n := utf8.DecodeRuneInString(s[i:]); keepUTF8 && n > 1 && !unicode.IsControl(r) {
		return s[i : i+n], n
	}
	return string([]byte{'\\', 'x', hexDigits[c>>4], hexDigits[c&0xf]}), 1
}

const hexDigits = "0123456789ABCDEF"

func printableASCII(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' || c >= 0x7f {
			return false
		}
	}
	return true
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

package classroom

import (
	"crypto/rand"
	"math/big"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// JoinCodeAlphabet has no characters that look alike on a projector or in
// a hurried hand: no 0/O/Q/D, 1/I/L/J, 2/Z, 5/S, 8/B, 6/G, U/V.
const JoinCodeAlphabet = "ACEFHKMNPRTWXY3479"

// JoinCodeLength is the length of a join code: 18⁶ ≈ 34 million codes.
const JoinCodeLength = 6

// PasswordAlphabet and PasswordLength make POP3 passwords a student can
// copy from the screen without a doubt (lower case, no look-alikes).
const (
	PasswordAlphabet = "acefhkmnprtwxy3479"
	PasswordLength   = 8
	// PINLength is the length of the digits a student keeps to come back.
	PINLength = 6
)

// Name limits.
const (
	// MaxClassName and MaxStudentName bound what is typed, in characters.
	MaxClassName   = 60
	MaxStudentName = 40
	// MaxLocal bounds a local part made from a name (RFC 5321 allows 64).
	MaxLocal = 20
	// MaxDomainLabel bounds the label made from a class name.
	MaxDomainLabel = 30
)

// ClassTLD is the reserved top-level domain of every class (RFC 2606).
const ClassTLD = ".test"

// reservedLocals are addresses a student's name must not take.
var reservedLocals = map[string]bool{
	"postmaster": true, "team": true, "abuse": true, "mailer-daemon": true,
	"root": true, "admin": true, "teacher": true, "noreply": true,
}

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand does not fail on Linux
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

func newJoinCode() string { return randomString(JoinCodeAlphabet, JoinCodeLength) }
func newPassword() string { return randomString(PasswordAlphabet, PasswordLength) }
func newPIN() string      { return randomString("0123456789", PINLength) }

// newID is a server-issued identifier: 128 random bits in hex.
func newID() string { return randomString("0123456789abcdef", 32) }

// NormalizeCode reads a join code as typed: any case, spaces and dashes
// ignored.
func NormalizeCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r != ' ' && r != '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// asciiSlug turns a name into lower-case ASCII letters and digits joined by
// dashes: « Léa » → "lea", « 2nde B » → "2nde-b", "Jean Éric" → "jean-eric".
func asciiSlug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// accents fall away with their letter kept
		case r == 'ß':
			b.WriteString("ss")
			dash = false
		case r == 'æ' || r == 'œ':
			b.WriteString(map[rune]string{'æ': "ae", 'œ': "oe"}[r])
			dash = false
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= max {
			break
		}
	}
	return strings.Trim(b.String()[:min(b.Len(), max)], "-")
}

// CleanName trims a typed name and refuses one that is empty, too long or
// holds control characters.
func CleanName(s string, max int) (string, bool) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" || len([]rune(s)) > max {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", false
		}
	}
	return s, true
}

package lessons_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// frenchText is one piece of French prose to check, and where it is.
type frenchText struct {
	where string
	text  string
}

// codeSpan, link targets and URLs are not prose: wire text (MAIL FROM:<…>),
// commands and addresses keep their own punctuation.
var notProse = regexp.MustCompile("`[^`]*`|\\]\\([^)]*\\)|https?://\\S+")

// proseOf keeps the prose of a line: code spans, URLs and link targets
// become a space.
func proseOf(s string) string { return notProse.ReplaceAllString(s, " ") }

// markdownProse is the prose of a lesson file: its text, headings and
// front matter values, hints, and the explanations of quiz lines (after
// " !! "); never the code blocks, solutions, replays, goals, or the C:/S:
// transcript lines themselves.
func markdownProse(name, src string) []frenchText {
	var out []frenchText
	fence := ""
	front := false
	for i, l := range strings.Split(src, "\n") {
		where := fmt.Sprintf("%s:%d", name, i+1)
		switch {
		case i == 0 && l == "---":
			front = true
			continue
		case front:
			if l == "---" {
				front = false
			} else if _, v, ok := strings.Cut(l, ":"); ok {
				out = append(out, frenchText{where, proseOf(v)})
			}
			continue
		case strings.HasPrefix(l, "```"):
			if fence == "" {
				fence = strings.TrimSpace(strings.TrimPrefix(l, "```"))
				if fence == "" {
					fence = "code"
				}
			} else {
				fence = ""
			}
			continue
		}
		switch fence {
		case "", "hint":
			out = append(out, frenchText{where, proseOf(l)})
		case "quiz":
			if _, why, ok := strings.Cut(l, " !! "); ok {
				out = append(out, frenchText{where, proseOf(why)})
			}
		}
	}
	return out
}

// englishValues are French-file texts that are English on purpose: what
// telnet itself prints.
var englishValues = map[string]bool{
	"js.shell.escape": true, "js.shell.unknownHost": true, "js.shell.refused": true,
	"js.shell.trying": true, "js.shell.connected": true, "js.shell.closed": true,
}

func jsonTexts(t *testing.T, path string) []frenchText {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []frenchText
	for k, v := range m {
		if !englishValues[k] {
			out = append(out, frenchText{path + " " + k, proseOf(v)})
		}
	}
	return out
}

// allFrench is every French text of smtplab: the lessons, the page
// strings and the engine's explanations.
func allFrench(t *testing.T) []frenchText {
	t.Helper()
	var out []frenchText
	files, _ := filepath.Glob("content/*.fr.md")
	if len(files) == 0 {
		t.Fatal("no French lessons found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, markdownProse(f, string(b))...)
	}
	out = append(out, jsonTexts(t, "../web/i18n/fr.json")...)
	cat, _ := filepath.Glob("../sandbox/catalog/data/*.fr.json")
	if len(cat) == 0 {
		t.Fatal("no French catalog texts found")
	}
	for _, f := range cat {
		out = append(out, jsonTexts(t, f)...)
	}
	return out
}

var (
	// A plain space (U+0020) before : ; ? ! — French wants a non-breaking
	// one (U+00A0, or the narrow U+202F).
	plainBeforePunct = regexp.MustCompile(` [:;?!]`)
	// Guillemets need a non-breaking space inside: «\u00a0…\u00a0».
	badOpenQuote  = regexp.MustCompile(`«[^\x{00A0}\x{202F}]`)
	badCloseQuote = regexp.MustCompile(`[^\x{00A0}\x{202F}]»`)
	// Straight apostrophes in French prose: l'enveloppe → l’enveloppe.
	straightApostrophe = regexp.MustCompile(`\p{L}'\p{L}`)
	// A name-like placeholder after de/que/le/la cannot be elided when it
	// starts with a vowel (« la boîte de alice »): rephrase instead.
	unelided = regexp.MustCompile(`(?i)(?:^|[\s\x{00A0}(])(de|que|le|la|jusque|lorsque|puisque) [«\x{00A0}]*\{([a-z]+)\}`)
	// Numbers read the same after de (« de 11 octets »).
	numericPlaceholder = map[string]bool{"n": true, "number": true, "count": true, "size": true, "limit": true,
		"octets": true, "lines": true, "done": true, "total": true, "found": true, "right": true, "asked": true,
		"removed": true, "left": true, "marked": true, "unmarked": true, "messages": true, "code": true, "idle": true,
		"minutes": true, "seconds": true, "max": true, "port": true}
)

// TestFrenchTypography checks every French text for the spaces French
// typography wants before : ; ? ! and inside « », curly apostrophes, and
// names not placed where French would elide the word before them.
func TestFrenchTypography(t *testing.T) {
	texts := allFrench(t)
	if len(texts) < 200 {
		t.Fatalf("only %d French texts found", len(texts))
	}
	bad := 0
	report := func(ft frenchText, what, match string) {
		bad++
		if bad <= 60 {
			t.Errorf("%s: %s: %q in %q", ft.where, what, match, excerpt(ft.text, match))
		}
	}
	for _, ft := range texts {
		for _, m := range plainBeforePunct.FindAllString(ft.text, -1) {
			report(ft, "plain space before "+strings.TrimSpace(m)+" (use U+00A0 or U+202F)", m)
		}
		for _, m := range badOpenQuote.FindAllString(ft.text, -1) {
			report(ft, "« without a non-breaking space after it", m)
		}
		for _, m := range badCloseQuote.FindAllString(ft.text, -1) {
			report(ft, "» without a non-breaking space before it", m)
		}
		for _, m := range straightApostrophe.FindAllString(ft.text, -1) {
			report(ft, "straight apostrophe (use ’)", m)
		}
		for _, m := range unelided.FindAllStringSubmatch(ft.text, -1) {
			if !numericPlaceholder[m[2]] {
				report(ft, "a name after "+m[1]+" cannot be elided (« de alice »): rephrase", m[0])
			}
		}
	}
	if bad > 60 {
		t.Errorf("… %d problems in all", bad)
	}
}

// TestNoPseudoPlurals: no « message(s) » in either language; texts pick a
// real plural form (web/i18n's .one/.other keys) or are phrased so that
// the number needs none.
func TestNoPseudoPlurals(t *testing.T) {
	pseudo := regexp.MustCompile(`\p{L}\((s|es|e)\)`)
	var files []string
	for _, g := range []string{"content/*.md", "../web/i18n/*.json", "../sandbox/catalog/data/*.fr.json", "../sandbox/catalog/data/*.en.json"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			if m := pseudo.FindString(proseOf(l)); m != "" {
				t.Errorf("%s:%d: pseudo-plural %q in %q", f, i+1, m, excerpt(l, m))
			}
		}
	}
}

// TestFrenchWordForEmail: the French texts call an e-mail one thing.
func TestFrenchWordForEmail(t *testing.T) {
	for _, ft := range allFrench(t) {
		if strings.Contains(strings.ToLower(ft.text), "courriel") {
			t.Errorf("%s: « courriel », where the lessons say « e-mail »: %q", ft.where, excerpt(ft.text, "ourriel"))
		}
	}
}

func excerpt(s, m string) string {
	i := strings.Index(s, m)
	if i < 0 {
		return s
	}
	lo, hi := max(0, i-40), min(len(s), i+len(m)+40)
	for lo > 0 && !isStart(s[lo]) {
		lo--
	}
	for hi < len(s) && !isStart(s[hi]) {
		hi++
	}
	return s[lo:hi]
}

func isStart(b byte) bool { return b < 0x80 || b >= 0xC0 }

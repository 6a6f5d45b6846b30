package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestLocalesMatch: both languages have the same keys, each with the same
// placeholders, and no empty text.
func TestLocalesMatch(t *testing.T) {
	fr, en := Keys("fr"), Keys("en")
	if !slices.Equal(fr, en) {
		t.Fatalf("fr and en differ:\nonly fr: %v\nonly en: %v", minus(fr, en), minus(en, fr))
	}
	ph := regexp.MustCompile(`\{[a-z]+\}`)
	for _, k := range fr {
		a, b := ph.FindAllString(T("fr", k), -1), ph.FindAllString(T("en", k), -1)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s: placeholders fr %v, en %v", k, a, b)
		}
		if strings.TrimSpace(T("fr", k)) == "" || strings.TrimSpace(T("en", k)) == "" {
			t.Errorf("%s: empty text", k)
		}
	}
}

// TestUsedKeysExist: every key the templates and scripts ask for exists.
func TestUsedKeysExist(t *testing.T) {
	uses := []struct {
		pattern  string
		re       *regexp.Regexp
		prefix   string
		suffixes []string // the keys a use needs: key+suffix for each
	}{
		{"*.templ", regexp.MustCompile(`\bT\((?:p\.Other\(\), )?"([a-zA-Z.]+)"\)`), "", []string{""}},
		{"*.templ", regexp.MustCompile(`\bp\.Tf\("([a-zA-Z.]+)"`), "", []string{""}},
		{"*.templ", regexp.MustCompile(`\bp\.N\("([a-zA-Z.]+)"`), "", []string{".one", ".other"}},
		{"static/*.js", regexp.MustCompile(`\bt\('([a-zA-Z.]+)'[,)]`), "js.", []string{""}},
		{"static/*.js", regexp.MustCompile(`\btn\('([a-zA-Z.]+)'[,)]`), "js.", []string{".one", ".other"}},
	}
	found := 0
	for _, u := range uses {
		files, _ := filepath.Glob(u.pattern)
		for _, f := range files {
			src, _ := os.ReadFile(f)
			for _, m := range u.re.FindAllStringSubmatch(string(src), -1) {
				for _, suffix := range u.suffixes {
					key := u.prefix + m[1] + suffix
					found++
					if _, ok := texts["fr"][key]; !ok {
						t.Errorf("%s uses %q, which web/i18n lacks", f, key)
					}
				}
			}
		}
	}
	if found < 50 {
		t.Fatalf("only %d uses found: the patterns no longer match the code", found)
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

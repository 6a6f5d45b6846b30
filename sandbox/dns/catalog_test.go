package dns_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"smtplab/sandbox/catalog"
	"smtplab/sandbox/dns"
)

// TestCatalog checks that every explanation the golden files' commands
// point to exists in every locale with its placeholders filled, and that
// every explanation of the dns area is used by some command there.
func TestCatalog(t *testing.T) {
	seen := map[string][]map[string]string{} // key → the arguments of each use
	for _, f := range goldenFiles(t) {
		for _, cmd := range commands(t, f) {
			o, err := goldenClient().Run(strings.Fields(cmd))
			var ue *dns.UsageError
			if errors.As(err, &ue) {
				o.Notes = []dns.Note{ue.Note}
			} else if err != nil {
				t.Fatalf("$ %s: %v", cmd, err)
			}
			for _, n := range o.Notes {
				if n.Line < 0 || n.Line > len(o.Lines) {
					t.Errorf("$ %s: note %s at line %d of %d", cmd, n.Key, n.Line, len(o.Lines))
				}
				seen[n.Key] = append(seen[n.Key], n.Args)
			}
		}
	}
	for _, l := range catalog.Locales {
		for key, uses := range seen {
			for _, a := range uses {
				text, ok := catalog.Text(l, key, a)
				if !ok {
					t.Errorf("%s: no text for %s", l, key)
					break
				}
				if p := placeholder.FindString(text); p != "" {
					t.Errorf("%s: %s leaves %s unfilled by %v", l, key, p, a)
				}
			}
		}
		for _, k := range catalog.Keys(l) {
			if strings.HasPrefix(k, "dns.") && seen[k] == nil {
				t.Errorf("%s: %s is never used by a golden command (a typo, or a case no file covers)", l, k)
			}
		}
	}
}

var placeholder = regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_]*\}`)

// TestWireTexts checks that the package's code names only wire texts the
// catalog has, and that every wire text of the dns area is named there.
func TestWireTexts(t *testing.T) {
	lits := sourceStrings(t)
	used := func(key string) bool {
		k := strings.TrimPrefix(key, "dns.")
		if lits[k] {
			return true
		}
		// Keys built from a literal prefix and a table's value:
		// "host."+phrase, "why."+reason.
		prefix, last, _ := strings.Cut(k, ".")
		return (prefix == "host" || prefix == "nslookup" || prefix == "why") && lits[last] && lits[prefix+"."]
	}
	for _, k := range catalog.WireKeys() {
		if strings.HasPrefix(k, "dns.") && !used(k) {
			t.Errorf("wire text %s is never used", k)
		}
	}
	for lit := range lits {
		if (strings.HasPrefix(lit, "dig.") || strings.HasPrefix(lit, "host.") && !strings.HasSuffix(lit, ".") ||
			strings.HasPrefix(lit, "nslookup.") && !strings.HasSuffix(lit, ".")) &&
			strings.HasPrefix(catalog.Wire("dns."+lit, nil), catalog.Missing) {
			t.Errorf("code names wire text dns.%s, which the catalog lacks", lit)
		}
	}
}

// sourceStrings returns the string literals of the package's code.
func sourceStrings(t *testing.T) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					out[s] = true
				}
			}
			return true
		})
	}
	return out
}

func goldenFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	return files
}

// commands lists the command lines of a golden file.
func commands(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, l := range readLines(t, path) {
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			out = append(out, c)
		}
	}
	return out
}

// TestExitStatuses checks that the golden files show each exit status the
// package names.
func TestExitStatuses(t *testing.T) {
	var got []int
	for _, f := range goldenFiles(t) {
		for _, l := range readLines(t, f) {
			if s, ok := strings.CutPrefix(l, "= "); ok {
				_, n, _ := strings.Cut(s, " ")
				v, _ := strconv.Atoi(n)
				got = append(got, v)
			}
		}
	}
	for _, s := range []int{dns.ExitOK, dns.ExitFailure, dns.ExitHostBadType, dns.ExitNoReply, dns.ExitBadName} {
		if !slices.Contains(got, s) {
			t.Errorf("no golden command exits with %d", s)
		}
	}
}

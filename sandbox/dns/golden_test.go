package dns_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox/dns"
	"smtplab/sandbox/network"
	"smtplab/sandbox/sandboxtest"
)

// A golden file holds commands and what they print:
//
//	# comment
//	$ dig MX other.test       a command, as a student types it
//	| ;; ANSWER SECTION:      one line of its output ("|" alone: an empty line)
//	! 12 dns.outcome.mx {…}   a note: the line it starts at, its key, its arguments
//	= exit 0                  the exit status of a command that ran
//	= usage 1                 a usage error and its exit status
//
// With -update, the lines after each command are rewritten from what it
// prints now; comments and commands stay.
const goldenDir = "../testdata/dns"

// goldenClient is the client of golden files: the built-in network, the
// test clock, ids counting up from firstID.
func goldenClient() dns.Client {
	n := network.Default()
	id := uint16(firstID)
	return dns.Client{
		Resolver: n.Resolver(),
		Now:      func() time.Time { return clock },
		NewID:    func() uint16 { id++; return id },
		Down:     n.Refuses,
	}
}

const firstID = 4241

// clock is the time of golden files, the one sandboxtest's worlds use.
var clock = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestGolden(t *testing.T) { sandboxtest.EachFile(t, filepath.Join(goldenDir, "*.txt"), golden) }

func golden(t *testing.T, path string) {
	c := goldenClient()
	var out []string  // the file as it should be
	var want []string // expected lines of the current command
	var cmd string
	flush := func() {
		if cmd == "" {
			return
		}
		got := render(t, c, cmd)
		if !sandboxtest.Updating() && !equal(got, want) {
			t.Errorf("%s: $ %s\n--- want\n%s\n--- got\n%s", filepath.Base(path), cmd,
				strings.Join(want, "\n"), strings.Join(got, "\n"))
		}
		out = append(out, got...)
		cmd, want = "", nil
	}
	for _, l := range readLines(t, path) {
		switch {
		case strings.HasPrefix(l, "$ "):
			flush()
			cmd = strings.TrimPrefix(l, "$ ")
			out = append(out, l)
		case strings.HasPrefix(l, "|") || strings.HasPrefix(l, "!") || strings.HasPrefix(l, "="):
			if cmd == "" {
				t.Fatalf("%s: output line before any command: %q", path, l)
			}
			want = append(want, l)
		default:
			flush()
			out = append(out, l)
		}
	}
	flush()
	if sandboxtest.Updating() {
		if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// render runs one command line and writes what it printed in the golden
// format.
func render(t *testing.T, c dns.Client, cmd string) []string {
	argv := strings.Fields(cmd)
	o, err := c.Run(argv)
	var lines []string
	var ue *dns.UsageError
	switch {
	case errors.As(err, &ue):
		for _, l := range ue.Lines {
			lines = append(lines, outputLine(l))
		}
		return append(lines, note(ue.Note), "= usage "+strconv.Itoa(ue.Status))
	case err != nil:
		t.Fatalf("$ %s: %v", cmd, err)
	}
	for _, l := range o.Lines {
		lines = append(lines, outputLine(l))
	}
	for _, n := range o.Notes {
		lines = append(lines, note(n))
	}
	return append(lines, "= exit "+strconv.Itoa(o.Status))
}

// outputLine writes one line of output; an empty one is "|" alone, so
// that no golden line ends in a space it does not print (host's
// "Aliases: " does).
func outputLine(l string) string {
	if l == "" {
		return "|"
	}
	return "| " + l
}

func note(n dns.Note) string {
	a, _ := json.Marshal(n.Args)
	if n.Args == nil {
		a = []byte("{}")
	}
	return fmt.Sprintf("! %d %s %s", n.Line, n.Key, a)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

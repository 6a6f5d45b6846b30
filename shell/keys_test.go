package shell

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"smtplab/sandbox/catalog"
)

// TestKeysExist checks every catalog key the shell prints under: a wire
// text of its own for each program line, an explanation in every locale
// for each note.
func TestKeysExist(t *testing.T) {
	use := regexp.MustCompile(`\b(out|fail|note)\("(shell\.[a-z0-9_.]+)"`)
	files, _ := filepath.Glob("*.go")
	found := 0
	wire := catalog.WireKeys()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(src), -1) {
			found++
			if m[1] != "note" {
				if !slices.Contains(wire, m[2]) {
					t.Errorf("%s: wire key %q is not in the catalog", f, m[2])
				}
				continue
			}
			for _, l := range catalog.Locales {
				if _, ok := catalog.Text(l, m[2], nil); !ok {
					t.Errorf("%s: %s: note %q has no text", f, l, m[2])
				}
			}
		}
	}
	if found < 50 {
		t.Fatalf("only %d keys found: the pattern no longer matches the code", found)
	}
}

// TestServicesOnce checks the one list of services: every port and every
// name (alias included) once.
func TestServicesOnce(t *testing.T) {
	ports, names := map[int]bool{}, map[string]bool{}
	for _, s := range Services {
		if ports[s.Port] {
			t.Errorf("port %d twice", s.Port)
		}
		ports[s.Port] = true
		for _, n := range append([]string{s.Name}, s.Aliases...) {
			if names[n] {
				t.Errorf("name %s twice", n)
			}
			names[n] = true
			if got, ok := ServiceNamed(strings.ToUpper(n)); !ok || got.Port != s.Port {
				t.Errorf("ServiceNamed(%s) = %v, %v", n, got, ok)
			}
		}
	}
}

// TestFields reads command lines as a shell would.
func TestFields(t *testing.T) {
	for line, want := range map[string][]string{
		`telnet  mail.example.test   25 `:       {"telnet", "mail.example.test", "25"},
		`openssl s_client -servername 'a b' ""`: {"openssl", "s_client", "-servername", "a b", ""},
		`echo "it's" \"x\"`:                     {"echo", "it's", `"x"`},
		"\t":                                    nil,
		`printf '\0alice\0alice'`:               {"printf", `\0alice\0alice`},
	} {
		if got := fields(line); !slices.Equal(got, want) {
			t.Errorf("fields(%q) = %q, want %q", line, got, want)
		}
	}
}

// TestSealed sizes TLS 1.3 application data records (RFC 8446 §5.2).
func TestSealed(t *testing.T) {
	r := Sealed(Client, len("EHLO client.example.test\r\n"))
	if r.Length != 26+17 || r.Count != 1 || r.Octets != 26+17+5 || r.Head != "1703030"+"02b" {
		t.Errorf("one line: %+v", r)
	}
	if len(r.Sample) != 2*recordSample {
		t.Errorf("sample %q", r.Sample)
	}
	big := Sealed(Server, 3*MaxRecordPlaintext+1)
	if big.Count != 4 || big.Length != MaxRecordPlaintext+RecordOverhead || big.Octets != 3*MaxRecordPlaintext+1+4*(RecordHeader+RecordOverhead) {
		t.Errorf("a long reply: %+v", big)
	}
	hs := Handshake("mail.example.test", Certificate{Size: 468, sigSize: 72})
	if len(hs) != 2 || hs[0].Octets != 323 || hs[0].ServerName != "mail.example.test" || hs[1].Octets != 827 {
		t.Errorf("handshake: %+v", hs)
	}
}

// TestMaxLine: a command line longer than MaxLine is cut, as a line
// editor would not take more.
func TestMaxLine(t *testing.T) {
	sh := &Shell{}
	r := sh.Run("telnet " + strings.Repeat("x", 2*MaxLine))
	if got := len(r.Lines[0].Raw); got != len(PromptText)+1+MaxLine {
		t.Errorf("the prompt line holds %d octets, want the prompt and %d", got, MaxLine)
	}
}

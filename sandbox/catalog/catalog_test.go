package catalog

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// areaFiles reads every data/<area>.<kind>.json file as its own map, and
// fails on a key written twice in one file (encoding/json would silently keep
// the last one).
func areaFiles(t *testing.T) map[string]map[string]map[string]string {
	t.Helper()
	names, err := fs.Glob(files, "data/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no catalog files: %v", err)
	}
	out := map[string]map[string]map[string]string{}
	for _, name := range names {
		area, kind, _ := strings.Cut(strings.TrimSuffix(path.Base(name), ".json"), ".")
		b, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := decodeUnique(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if out[area] == nil {
			out[area] = map[string]map[string]string{}
		}
		out[area][kind] = m
	}
	return out
}

// decodeUnique decodes a flat JSON object of strings, refusing duplicate keys.
func decodeUnique(b []byte) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	m := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, &keyError{key, "value is not a string"}
		}
		if _, dup := m[key]; dup {
			return nil, &keyError{key, "defined twice"}
		}
		m[key] = v
	}
	return m, nil
}

type keyError struct{ key, what string }

func (e *keyError) Error() string { return strconv.Quote(e.key) + ": " + e.what }

var placeholder = regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_]*\}`)

// placeholders returns the sorted, distinct {names} used in s.
func placeholders(s string) []string {
	p := placeholder.FindAllString(s, -1)
	slices.Sort(p)
	return slices.Compact(p)
}

// TestLocalesMatch checks that each area has the same keys in French and
// English, and that both texts of a key use the same placeholders.
func TestLocalesMatch(t *testing.T) {
	for area, kinds := range areaFiles(t) {
		fr, hasFR := kinds[string(FR)]
		en, hasEN := kinds[string(EN)]
		if !hasFR && !hasEN {
			continue // wire texts only
		}
		if !hasFR || !hasEN {
			t.Errorf("area %s: has only one of %s.fr.json and %s.en.json", area, area, area)
			continue
		}
		for k, vfr := range fr {
			ven, ok := en[k]
			if !ok {
				t.Errorf("%s: %q is in fr but not in en", area, k)
				continue
			}
			if pf, pe := placeholders(vfr), placeholders(ven); !slices.Equal(pf, pe) {
				t.Errorf("%s: %q uses placeholders %v in fr but %v in en", area, k, pf, pe)
			}
		}
		for k := range en {
			if _, ok := fr[k]; !ok {
				t.Errorf("%s: %q is in en but not in fr", area, k)
			}
		}
	}
}

// TestTextsClean checks every explanation for emptiness, leftovers and markup.
func TestTextsClean(t *testing.T) {
	for _, l := range Locales {
		for k, v := range texts[l] {
			switch {
			case strings.TrimSpace(v) == "":
				t.Errorf("%s %q: empty text", l, k)
			case strings.Contains(strings.ToUpper(v), "TODO"), strings.Contains(v, "FIXME"):
				t.Errorf("%s %q: unfinished text: %q", l, k, v)
			case strings.Contains(v, Missing):
				t.Errorf("%s %q: holds the missing-text marker", l, k)
			case strings.Contains(v, "`") || strings.Contains(v, "**") || strings.Contains(v, "</"):
				t.Errorf("%s %q: looks like Markdown or HTML: %q", l, k, v)
			case v != strings.TrimSpace(v):
				t.Errorf("%s %q: stray spaces: %q", l, k, v)
			}
		}
	}
}

// TestWireKeysHaveReasons checks that every SMTP wire text has a reason in
// both locales, its own or its parent's.
func TestWireKeysHaveReasons(t *testing.T) {
	n := 0
	for _, k := range WireKeys() {
		if !strings.HasPrefix(k, "smtp.") {
			continue
		}
		n++
		for _, l := range Locales {
			if _, ok := Text(l, "reason."+k, nil); !ok {
				t.Errorf("%s: wire key %q has no reason.%s", l, k, k)
			}
		}
	}
	if n == 0 {
		t.Fatal("no smtp wire keys found")
	}
}

// seedCodes are the SMTP reply codes the explanation of every code must cover.
var seedCodes = []int{211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452,
	500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555}

// TestFixedKeys checks the keys whose list does not come from the engine's code.
func TestFixedKeys(t *testing.T) {
	var keys []string
	for _, c := range seedCodes {
		keys = append(keys, "code.smtp."+strconv.Itoa(c))
	}
	for _, s := range []string{"GREETED", "READY", "HAVE_FROM", "HAVE_RCPT", "IN_DATA", "CLOSED"} {
		keys = append(keys, "state.smtp."+s)
	}
	for _, v := range []string{"HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN",
		"HELP", "NOOP", "QUIT", "TURN", "SEND", "SOML", "SAML", "STARTTLS", "AUTH", "BDAT", "ETRN"} {
		keys = append(keys, "command.smtp."+v)
	}
	for _, c := range []string{"2", "4", "5"} {
		keys = append(keys, "enhanced.class."+c)
	}
	for s := range 8 {
		keys = append(keys, "enhanced.subject."+strconv.Itoa(s))
	}
	for _, v := range []string{"delivered-listed", "delivered-hidden", "listed-not-delivered"} {
		keys = append(keys, "verdict."+v, "verdict."+v+".long")
	}
	for _, v := range []string{"all", "self", "none"} {
		keys = append(keys, "visible."+v)
	}
	for _, k := range []string{"ok", "mailbox_full", "store_full", "bounce",
		"dropped.null_sender", "dropped.foreign_sender"} {
		keys = append(keys, "delivery."+k)
	}
	// Reasons whose key the engine builds at run time, so the scan of its
	// code below cannot see them.
	for _, k := range []string{
		"helo.ok.odd_name", "ehlo.ok.odd_name", "timeout.data", "rcpt.relay.route",
		"quit.open_transaction", "vrfy.syntax", "vrfy.foreign", "vrfy.unknown",
		"expn.syntax", "expn.foreign", "expn.unknown",
	} {
		keys = append(keys, "reason.smtp."+k)
	}
	for _, v := range []string{"turn", "send", "soml", "saml"} {
		keys = append(keys, "reason.smtp.retired."+v)
	}
	for _, v := range []string{"bdat", "etrn", "atrn", "verb", "xclient", "xforward"} {
		keys = append(keys, "reason.smtp.unimplemented."+v)
	}
	for _, v := range []string{"helo", "ehlo", "mail", "rcpt", "data", "rset", "vrfy", "expn",
		"help", "noop", "quit", "turn", "send", "soml", "saml"} {
		keys = append(keys, "reason.smtp.help."+v)
	}
	for _, cmd := range []string{"mail", "rcpt"} {
		for _, e := range []string{"keyword", "empty", "unbalanced", "after_path", "path_too_long",
			"bad_route", "bad_mailbox", "local_too_long", "domain_too_long"} {
			keys = append(keys, "reason.smtp."+cmd+".syntax."+e)
		}
	}
	for _, l := range Locales {
		for _, k := range keys {
			if _, ok := texts[l][k]; !ok {
				t.Errorf("%s: no text for %q", l, k)
			}
		}
	}
}

// engineCall is one reply the SMTP engine can send: its reason key and the
// names of the placeholders it fills.
type engineCall struct {
	key  string
	args []string
	pos  string
}

// engineReplies reads the SMTP engine's source and returns every call of
// reply(code, enhanced, "key", name, value...) and of
// lines(code, enhanced, "key", sandbox.Args(name, value...), texts) whose key
// is a string literal.
func engineReplies(t *testing.T) []engineCall {
	t.Helper()
	fset := token.NewFileSet()
	srcs, _ := filepath.Glob("../smtp/*.go")
	var out []engineCall
	for _, src := range srcs {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, src, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 3 {
				return true
			}
			fn, ok := call.Fun.(*ast.Ident)
			if !ok || fn.Name != "reply" && fn.Name != "lines" {
				return true
			}
			key, ok := stringLit(call.Args[2])
			if !ok {
				return true
			}
			c := engineCall{key: key, pos: fset.Position(call.Pos()).String()}
			kv := call.Args[3:]
			if fn.Name == "lines" {
				kv = nil
				if a, ok := call.Args[3].(*ast.CallExpr); ok {
					kv = a.Args
				}
			}
			for i := 0; i < len(kv); i += 2 {
				if name, ok := stringLit(kv[i]); ok {
					c.args = append(c.args, "{"+name+"}")
				}
			}
			out = append(out, c)
			return true
		})
	}
	if len(out) < 20 {
		t.Fatalf("found only %d replies in the SMTP engine's source: has it moved?", len(out))
	}
	return out
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// TestEngineReasons checks every reply the SMTP engine sends under a literal
// key: it needs a reason of its own (a variant must not silently borrow its
// parent's explanation), and the reason may only use placeholders the reply
// fills.
func TestEngineReasons(t *testing.T) {
	for _, c := range engineReplies(t) {
		for _, l := range Locales {
			v, ok := texts[l]["reason.smtp."+c.key]
			if !ok {
				t.Errorf("%s: %s: reply key %q has no reason.smtp.%s text", c.pos, l, c.key, c.key)
				continue
			}
			for _, p := range placeholders(v) {
				if !slices.Contains(c.args, p) {
					t.Errorf("%s: %s: reason.smtp.%s uses %s, which the reply does not fill (it fills %v)", c.pos, l, c.key, p, c.args)
				}
			}
		}
	}
}

// TestEngineEnhancedCodes checks that every RFC 3463 code in the SMTP engine
// has its class, subject and detail explained.
func TestEngineEnhancedCodes(t *testing.T) {
	codes := scan(t, `"([245])\.(\d{1,3})\.(\d{1,3})"`, "../smtp/*.go")
	for _, m := range codes {
		for _, k := range []string{
			"enhanced.class." + m[1],
			"enhanced.subject." + m[2],
			"enhanced.detail." + m[2] + "." + m[3],
		} {
			for _, l := range Locales {
				if _, ok := texts[l][k]; !ok {
					t.Errorf("%s: code %s.%s.%s needs %q", l, m[1], m[2], m[3], k)
				}
			}
		}
	}
}

// TestAnalysisAndDeliveryKeys checks the keys the engine emits outside
// replies: analysis warnings, delivery reasons and command part labels.
func TestAnalysisAndDeliveryKeys(t *testing.T) {
	var keys []string
	for _, m := range scan(t, `(?:add\(|Key: )"([a-z0-9_]+)"`, "../analysis.go") {
		keys = append(keys, "warning."+m[1])
	}
	for _, m := range scan(t, `"(delivery\.[a-z_.]+)"`, "../smtp/deliver.go") {
		keys = append(keys, m[1])
	}
	for _, m := range scan(t, `"why", "([a-z_]+)"`, "../smtp/deliver.go") {
		keys = append(keys, "delivery.dropped."+m[1])
	}
	for _, m := range scan(t, `Kind: "([a-z]+)"`, "../smtp/*.go") {
		keys = append(keys, "part."+m[1])
	}
	for _, l := range Locales {
		for _, k := range keys {
			if _, ok := texts[l][k]; !ok {
				t.Errorf("%s: no text for %q", l, k)
			}
		}
	}
}

// scan returns the matches of pattern in the non-test Go files of glob, and
// fails when there are none: a pattern that stopped matching would otherwise
// let the check pass without checking anything.
func scan(t *testing.T, pattern, glob string) [][]string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	srcs, _ := filepath.Glob(glob)
	var out [][]string
	for _, src := range srcs {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, re.FindAllStringSubmatch(string(b), -1)...)
	}
	if len(out) == 0 {
		t.Fatalf("pattern %s matches nothing in %s", pattern, glob)
	}
	return out
}

// TestExplain assembles one full explanation, as the web page shows it.
func TestExplain(t *testing.T) {
	for _, l := range Locales {
		e := Explain(l, "smtp.550", "5.1.1", "smtp.rcpt.unknown", map[string]string{"addr": "zoe@example.test"})
		for name, v := range map[string]string{"meaning": e.Meaning, "class": e.Class, "subject": e.Subject, "detail": e.Detail, "reason": e.Reason} {
			if v == "" {
				t.Errorf("%s: %s is empty", l, name)
			}
		}
		if !strings.Contains(e.Reason, "<zoe@example.test>") || strings.Contains(e.Reason, "{") {
			t.Errorf("%s: reason not filled: %q", l, e.Reason)
		}
	}
}

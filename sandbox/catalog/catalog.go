// Package catalog holds every text smtplab's engines produce for people: the
// wire text of replies (English, as real servers send it) and, in French and
// English, what each reply code means, why a reply was given, and the
// warnings of the message analysis. The texts live in data/*.json so they can
// be read and corrected without touching code: data/<area>.wire.json holds
// wire texts and data/<area>.<locale>.json explanations, one area per
// protocol or subject; a key must not appear in two areas.
package catalog

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// Locale is a language the explanations are written in.
type Locale string

const (
	FR Locale = "fr"
	EN Locale = "en"
)

// Locales lists the supported locales, the default first.
var Locales = []Locale{FR, EN}

//go:embed data/*.json
var files embed.FS

var (
	wire  map[string]string
	texts = map[Locale]map[string]string{}
)

func init() {
	wire = map[string]string{}
	for _, l := range Locales {
		texts[l] = map[string]string{}
	}
	names, _ := fs.Glob(files, "data/*.json")
	for _, name := range names {
		parts := strings.Split(path.Base(name), ".")
		if len(parts) != 3 {
			panic("catalog: file name not <area>.<kind>.json: " + name)
		}
		dst := wire
		if parts[1] != "wire" {
			dst = texts[Locale(parts[1])]
		}
		if dst == nil {
			panic("catalog: unknown locale in " + name)
		}
		load(name, dst)
	}
}

func load(name string, dst map[string]string) {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("catalog %s: %v", name, err))
	}
	for k, v := range m {
		if _, dup := dst[k]; dup {
			panic(fmt.Sprintf("catalog %s: key %q defined twice", name, k))
		}
		dst[k] = v
	}
}

// Missing is the text used for a key the catalog lacks; tests look for it.
const Missing = "[missing text: "

// Wire returns the text sent on the wire for key, placeholders filled. A key
// without a text of its own uses its parent's: "smtp.rcpt.ok.route" falls
// back to "smtp.rcpt.ok", so variants that differ only in their explanation
// share one wire text.
func Wire(key string, args map[string]string) string {
	for k := key; ; {
		if t, ok := wire[k]; ok {
			return Fill(t, args)
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			return Missing + key + "]"
		}
		k = k[:i]
	}
}

// Text returns the explanation under key in locale l, placeholders filled.
// Like Wire, a key without a text of its own uses its parent's, but never
// climbs above the first two segments ("reason.smtp").
func Text(l Locale, key string, args map[string]string) (string, bool) {
	for k := key; strings.Count(k, ".") >= 2; k = k[:strings.LastIndexByte(k, '.')] {
		if t, ok := texts[l][k]; ok {
			return Fill(t, args), true
		}
	}
	if t, ok := texts[l][key]; ok {
		return Fill(t, args), true
	}
	return "", false
}

// Keys lists the explanation keys of locale l, sorted.
func Keys(l Locale) []string { return slices.Sorted(maps.Keys(texts[l])) }

// WireKeys lists the keys of the wire texts, sorted.
func WireKeys() []string { return slices.Sorted(maps.Keys(wire)) }

// Fill replaces each {name} in t by args[name]. Unknown names stay as they are.
// Every reply goes through it, so it scans once and allocates once.
func Fill(t string, args map[string]string) string {
	if len(args) == 0 || !strings.Contains(t, "{") {
		return t
	}
	var b strings.Builder
	b.Grow(len(t) + 32)
	for {
		open := strings.IndexByte(t, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(t[open:], '}')
		if end < 0 {
			break
		}
		name := t[open+1 : open+end]
		v, ok := args[name]
		if !ok {
			v = t[open : open+end+1]
		}
		b.WriteString(t[:open])
		b.WriteString(v)
		t = t[open+end+1:]
	}
	b.WriteString(t)
	return b.String()
}

// Explanation is what a student is told about one reply.
type Explanation struct {
	Meaning string `json:"meaning"`           // what the code means in general
	Class   string `json:"class,omitempty"`   // enhanced code, first digit
	Subject string `json:"subject,omitempty"` // enhanced code, second number
	Detail  string `json:"detail,omitempty"`  // enhanced code, subject and detail together
	Reason  string `json:"reason"`            // why this reply, here and now
}

// Explain assembles the explanation of a reply from its catalog keys:
// meaning ("smtp.550"), enhanced code ("5.1.1", may be empty) and reason
// ("smtp.rcpt.unknown") with its placeholders.
func Explain(l Locale, meaning, enhanced, reason string, args map[string]string) Explanation {
	var e Explanation
	e.Meaning, _ = Text(l, "code."+meaning, nil)
	e.Reason, _ = Text(l, "reason."+reason, args)
	if class, rest, ok := strings.Cut(enhanced, "."); ok {
		subject, _, _ := strings.Cut(rest, ".")
		e.Class, _ = Text(l, "enhanced.class."+class, nil)
		e.Subject, _ = Text(l, "enhanced.subject."+subject, nil)
		e.Detail, _ = Text(l, "enhanced.detail."+rest, nil)
	}
	return e
}

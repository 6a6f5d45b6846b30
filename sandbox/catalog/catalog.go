// Package catalog holds every text smtplab's engines produce for people: the
// wire text of replies (English, as real servers send it) and, in French and
// English, what each reply code means, why a reply was given, and the
// warnings of the message analysis. The texts live in data/*.json so they can
// be read and corrected without touching code.
package catalog

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
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
	wire = load("data/wire.json")
	for _, l := range Locales {
		texts[l] = load("data/" + string(l) + ".json")
	}
}

func load(name string) map[string]string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("catalog %s: %v", name, err))
	}
	return m
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
func Text(l Locale, key string, args map[string]string) (string, bool) {
	t, ok := texts[l][key]
	if !ok {
		return "", false
	}
	return Fill(t, args), true
}

// Keys lists the keys of locale l (or of the wire texts when l is "wire").
func Keys(l Locale) []string {
	m := texts[l]
	if l == "wire" {
		m = wire
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Fill replaces each {name} in t by args[name]. Unknown names stay as they are.
func Fill(t string, args map[string]string) string {
	if len(args) == 0 || !strings.Contains(t, "{") {
		return t
	}
	pairs := make([]string, 0, 2*len(args))
	for k, v := range args {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(t)
}

// Match picks the supported locale for a language tag such as "fr-CA".
func Match(tag string) (Locale, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	for _, l := range Locales {
		if tag == string(l) || strings.HasPrefix(tag, string(l)+"-") {
			return l, true
		}
	}
	return "", false
}

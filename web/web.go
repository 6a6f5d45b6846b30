// Package web holds what a browser receives: the templ components of every
// page, the interface texts in French and English, and the static assets
// (CSS, the terminal's JavaScript) embedded in the binary so that a classroom
// without Internet access gets everything from smtplab itself.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:generate go tool templ generate

//go:embed static
var staticFiles embed.FS

//go:embed i18n/*.json
var i18nFiles embed.FS

// Static is the tree served under /static/.
func Static() fs.FS {
	sub, _ := fs.Sub(staticFiles, "static")
	return sub
}

// AssetVersion changes whenever a static file changes; pages append it to
// asset URLs so browsers never run a stale script after an upgrade.
var AssetVersion = func() string {
	h := sha256.New()
	fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFiles.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// Locales the interface is written in, the default first.
var Locales = []string{"fr", "en"}

var texts = map[string]map[string]string{}

func init() {
	for _, l := range Locales {
		b, err := i18nFiles.ReadFile("i18n/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("web/i18n/%s.json: %v", l, err))
		}
		texts[l] = m
	}
}

// T returns the interface text key in locale l. A missing key shows as
// itself, so it is noticed rather than silently blank.
func T(l, key string) string {
	if t, ok := texts[l][key]; ok {
		return t
	}
	if onMissing != nil {
		onMissing(l, key)
	}
	return key
}

// onMissing, when set (by tests), hears every key T could not find.
var onMissing func(locale, key string)

// Keys lists the interface keys of locale l.
func Keys(l string) []string {
	keys := make([]string, 0, len(texts[l]))
	for k := range texts[l] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// scriptTexts are the texts the page's scripts need, keys without "js.".
func scriptTexts(l string) map[string]string {
	m := map[string]string{}
	for k, v := range texts[l] {
		if rest, ok := strings.CutPrefix(k, "js."); ok {
			m[rest] = v
		}
	}
	return m
}

// asset is the URL of a static file, versioned.
// asset is a static file's versioned address. The version is a path
// segment, not a query, so the modules a script imports by a relative path
// ('./i18n.js') get the same version, and every file can be cached for good.
func asset(name string) string { return "/static/" + AssetVersion + "/" + name }

func itoa(n int) string { return fmt.Sprint(n) }

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

package lessons

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed content/*.md
var builtin embed.FS

// Library is a set of lessons, each in one or more languages.
type Library struct {
	bySlug map[string]map[string]*Lesson // slug → locale → lesson
	order  []string
}

// Builtin loads the lessons shipped with smtplab. They are tested, so an
// error here is a bug.
func Builtin() (*Library, error) {
	lib, errs := Load(builtin, "content")
	return lib, errors.Join(errs...)
}

// LoadDir loads a teacher's lessons from a directory. Every broken file is
// reported; the others load.
func LoadDir(dir string) (*Library, []error) {
	info, err := os.Stat(dir)
	if err != nil {
		return &Library{bySlug: map[string]map[string]*Lesson{}}, []error{err}
	}
	if !info.IsDir() {
		return &Library{bySlug: map[string]map[string]*Lesson{}}, []error{&Error{File: dir, Msg: "not a directory"}}
	}
	lib, errs := Load(os.DirFS(dir), ".")
	for i, e := range errs {
		var le *Error
		if errors.As(e, &le) {
			le.File = path.Join(dir, le.File)
			errs[i] = le
		}
	}
	return lib, errs
}

// MaxLessonFile bounds a lesson file: the longest built-in lesson is
// under 10 KiB; a larger file is reported and skipped, not read into memory.
// MaxLessons bounds how many files a lessons folder may hold.
const (
	MaxLessonFile = 256 << 10
	MaxLessons    = 400
)

// Load reads every *.md lesson file in dir of fsys.
func Load(fsys fs.FS, dir string) (*Library, []error) {
	lib := &Library{bySlug: map[string]map[string]*Lesson{}}
	names, err := fs.Glob(fsys, path.Join(dir, "*.md"))
	if err != nil {
		return lib, []error{err}
	}
	var errs []error
	if len(names) > MaxLessons {
		errs = append(errs, &Error{File: dir, Msg: fmt.Sprintf("%d lesson files; at most %d are read (MaxLessons)", len(names), MaxLessons)})
		names = names[:MaxLessons]
	}
	var loaded []*Lesson
	for _, name := range names {
		display := strings.TrimPrefix(name, dir+"/")
		if info, err := fs.Stat(fsys, name); err == nil && info.Size() > MaxLessonFile {
			errs = append(errs, &Error{File: display, Msg: fmt.Sprintf("file is %d octets; a lesson may have at most %d (MaxLessonFile)", info.Size(), MaxLessonFile)})
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l, err := Parse(display, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		loaded = append(loaded, l)
	}
	for _, l := range loaded {
		lib.put(l)
	}
	errs = append(errs, lib.checkTranslations()...)
	return lib, errs
}

func (lib *Library) put(l *Lesson) {
	if lib.bySlug[l.Slug] == nil {
		lib.bySlug[l.Slug] = map[string]*Lesson{}
		lib.order = append(lib.order, l.Slug)
	}
	lib.bySlug[l.Slug][l.Locale] = l
	slices.SortStableFunc(lib.order, func(a, b string) int { return lib.number(a) - lib.number(b) })
}

func (lib *Library) number(slug string) int {
	for _, l := range lib.bySlug[slug] {
		return l.Number
	}
	return 0
}

// checkTranslations requires the languages of a lesson to have the same
// steps and goals; a lesson that does not is left out, with the reason.
func (lib *Library) checkTranslations() []error {
	var errs []error
	for _, slug := range slices.Clone(lib.order) {
		var ref *Lesson
		for _, loc := range []string{"fr", "en"} {
			l := lib.bySlug[slug][loc]
			if l == nil {
				continue
			}
			if ref == nil {
				ref = l
				continue
			}
			if msg := sameSteps(ref, l); msg != "" {
				errs = append(errs, &Error{File: l.File, Msg: msg + " (compared with " + ref.File + ")"})
				lib.remove(slug)
				continue
			}
			shareTexts(ref, l)
		}
	}
	return errs
}

func sameSteps(a, b *Lesson) string {
	if a.World != b.World {
		return "world is " + b.World + " here but " + a.World + " in the other language"
	}
	if strings.Join(a.Minor, ",") != strings.Join(b.Minor, ",") {
		return "minor is " + strings.Join(b.Minor, ",") + " here but " + strings.Join(a.Minor, ",") + " in the other language"
	}
	if len(a.Steps) != len(b.Steps) {
		return "not the same number of steps in both languages"
	}
	for i := range a.Steps {
		sa, sb := a.Steps[i], b.Steps[i]
		if sa.ID != sb.ID {
			return "step " + strconv.Itoa(i+1) + " is " + sb.ID + " here but " + sa.ID + " in the other language"
		}
		if goalText(sa.Goal) != goalText(sb.Goal) {
			return "step " + sa.ID + " has a different goal in the other language"
		}
		if nearMissText(sa.NearMisses) != nearMissText(sb.NearMisses) {
			return "step " + sa.ID + " has different near misses in the other language"
		}
		if len(sa.Hints) != len(sb.Hints) {
			return "step " + sa.ID + " has a different number of hints in the other language (" +
				strconv.Itoa(len(sb.Hints)) + " here, " + strconv.Itoa(len(sa.Hints)) + " there)"
		}
	}
	return ""
}

// goalText is what must be the same in every language of a goal: all of
// it but the values of its text keys, which each language words its own.
func goalText(g Goal) string {
	lines := make([]string, len(g))
	for i, c := range g {
		shape := c
		shape.Args = map[string]string{}
		for k, v := range c.Args {
			if slices.Contains(textKeys, k) {
				v = "…"
			}
			shape.Args[k] = v
		}
		lines[i] = shape.String()
	}
	return strings.Join(lines, "\n")
}

// shareTexts lets the goals of two languages of a lesson, checked the same
// by sameSteps, accept each other's texts: a student who typed the English
// subject ticks the French step too.
func shareTexts(a, b *Lesson) {
	for i := range a.Steps {
		ga, gb := a.Steps[i].Goal, b.Steps[i].Goal
		for j := range ga {
			for _, k := range textKeys {
				va, vb := ga[j].Args[k], gb[j].Args[k]
				if va == "" || vb == "" || strings.EqualFold(va, vb) {
					continue
				}
				ga[j].Alts = withAlt(ga[j].Alts, k, vb)
				gb[j].Alts = withAlt(gb[j].Alts, k, va)
			}
		}
	}
}

func withAlt(alts map[string][]string, k, v string) map[string][]string {
	if alts == nil {
		alts = map[string][]string{}
	}
	if !slices.Contains(alts[k], v) {
		alts[k] = append(alts[k], v)
	}
	return alts
}

func nearMissText(nm [][]string) string {
	parts := make([]string, len(nm))
	for i, lines := range nm {
		parts[i] = typedShape(lines)
	}
	return strings.Join(parts, "\n---\n")
}

// typedShape is what must be the same in every language of lines to type
// (a solution, a near miss): every command, and of a message's text every
// header field but the words of its Subject; the subject and the body are
// written in the lesson's language.
func typedShape(lines []string) string {
	var out []string
	data, header, body := false, false, false
	for _, l := range lines {
		switch {
		case !data:
			out = append(out, l)
			data, header, body = strings.EqualFold(strings.TrimSpace(l), "DATA"), true, false
		case l == ".":
			out = append(out, l)
			data = false
		case header && l == "":
			out = append(out, l)
			header = false
		case header && isField(l):
			if name, _, _ := strings.Cut(l, ":"); strings.EqualFold(strings.TrimSpace(name), "Subject") {
				l = "Subject: …"
			}
			out = append(out, l)
		default: // the body, or a header line that is not a field
			header = false
			if !body {
				out = append(out, "…")
				body = true
			}
		}
	}
	return strings.Join(out, "\n")
}

// isField reports whether a line starts a header field: a name of
// printable characters, then a colon.
func isField(l string) bool {
	name, _, ok := strings.Cut(l, ":")
	return ok && name != "" && !strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r > '~' })
}

func (lib *Library) remove(slug string) {
	delete(lib.bySlug, slug)
	lib.order = slices.DeleteFunc(lib.order, func(s string) bool { return s == slug })
}

// Merge adds other's lessons; one with the slug of a lesson already here
// replaces it whole, in every language.
func (lib *Library) Merge(other *Library) {
	for _, slug := range other.order {
		lib.remove(slug)
		for _, l := range other.bySlug[slug] {
			lib.put(l)
		}
	}
}

// Slugs lists the lessons in order.
func (lib *Library) Slugs() []string { return slices.Clone(lib.order) }

// Get returns a lesson in locale, or in the other language if it has only that.
func (lib *Library) Get(locale, slug string) (*Lesson, bool) {
	byLoc := lib.bySlug[slug]
	if l, ok := byLoc[locale]; ok {
		return l, true
	}
	for _, l := range byLoc {
		return l, true
	}
	return nil, false
}

// List returns every lesson, in order, in locale where it exists.
func (lib *Library) List(locale string) []*Lesson {
	out := make([]*Lesson, 0, len(lib.order))
	for _, slug := range lib.order {
		if l, ok := lib.Get(locale, slug); ok {
			out = append(out, l)
		}
	}
	return out
}

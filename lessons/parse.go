package lessons

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"smtplab/sandbox"
)

// markdown renders lesson text. Raw HTML is left out (goldmark's default):
// a lesson file can never inject markup or script into a page.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))

var (
	fileName = regexp.MustCompile(`^(\d{2})-([a-z0-9][a-z0-9-]*)\.([a-z]{2})\.md$`)
	stepHead = regexp.MustCompile(`^##\s+(.+?)\s*\{#([A-Za-z0-9-]+)\}\s*$`)
	// placeholder is {{name}} in a class lesson.
	placeholder = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
)

// parser reads one lesson file.
type parser struct {
	file  string
	lines []string
	l     *Lesson
	err   *Error
}

// Parse reads a lesson from the contents of the file named name
// (NN-slug.LOCALE.md).
func Parse(name string, src []byte) (*Lesson, error) {
	base := name[strings.LastIndexByte(name, '/')+1:]
	m := fileName.FindStringSubmatch(base)
	if m == nil {
		return nil, &Error{File: name, Msg: "file name must look like 04-bcc.fr.md (number, slug, language)"}
	}
	n, _ := strconv.Atoi(m[1])
	p := &parser{file: name, l: &Lesson{Slug: m[2], Number: n, Locale: m[3], World: WorldPractice, File: name}}
	if m[3] != "fr" && m[3] != "en" {
		return nil, &Error{File: name, Msg: "language must be fr or en, not " + m[3]}
	}
	p.lines = strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	p.parse()
	if p.err != nil {
		return nil, p.err
	}
	return p.l, nil
}

func (p *parser) fail(line int, msg string) {
	if p.err == nil {
		p.err = &Error{File: p.file, Line: line, Msg: msg}
	}
}

func (p *parser) parse() {
	body := p.frontMatter()
	if p.err != nil {
		return
	}
	var intro []numbered
	var cur *stepSource
	var steps []*stepSource
	fence, fenceLine := "", 0
	for i := body; i < len(p.lines); i++ {
		line := p.lines[i]
		if f := fenceOf(line); f != "" {
			switch {
			case fence == "":
				fence, fenceLine = f, i+1
			case strings.TrimSpace(line) == fence:
				fence = ""
			}
		}
		if fence == "" {
			if m := stepHead.FindStringSubmatch(line); m != nil {
				p.placeholders(i+1, m[1], "a step title")
				cur = &stepSource{title: m[1], id: m[2], line: i + 1}
				steps = append(steps, cur)
				continue
			}
			if strings.HasPrefix(line, "## ") {
				p.fail(i+1, "a step heading must end with its id, like: ## Send the message {#send}")
				return
			}
		}
		if cur == nil {
			p.placeholders(i+1, line, "")
			intro = append(intro, numbered{i + 1, line})
		} else {
			cur.body = append(cur.body, numbered{i + 1, line})
		}
	}
	if fence != "" {
		p.fail(fenceLine, "a fenced block is not closed")
		return
	}
	p.l.Intro = p.render(intro)
	if len(steps) == 0 {
		p.fail(body+1, "a lesson needs at least one step (## Title {#id})")
	}
	seen := map[string]bool{}
	for _, s := range steps {
		if seen[s.id] {
			p.fail(s.line, "step id "+s.id+" is used twice")
		}
		seen[s.id] = true
		p.l.Steps = append(p.l.Steps, p.step(s))
	}
}

// frontMatter reads the --- block and returns the index of the line after it.
func (p *parser) frontMatter() int {
	if len(p.lines) == 0 || strings.TrimSpace(p.lines[0]) != "---" {
		p.fail(1, "the file must start with front matter between --- lines (title: and summary:)")
		return 0
	}
	for i := 1; i < len(p.lines); i++ {
		line := strings.TrimSpace(p.lines[i])
		if line == "---" {
			if p.l.Title == "" || p.l.Summary == "" {
				p.fail(1, "front matter needs title: and summary:")
			}
			return i + 1
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p.placeholders(i+1, line, "the front matter")
		k, v, ok := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "title":
			p.l.Title = v
		case "summary":
			p.l.Summary = v
		case "world":
			if v != WorldPractice && v != WorldClass {
				p.fail(i+1, "world must be practice or class, not "+strconv.Quote(v))
			}
			p.l.World = v
		case "minor":
			for _, key := range strings.Split(v, ",") {
				key = strings.TrimSpace(key)
				if !slices.Contains(sandbox.WarningKeys, key) {
					p.fail(i+1, "minor: unknown warning "+strconv.Quote(key)+" (known: "+strings.Join(sandbox.WarningKeys, ", ")+")")
					continue
				}
				p.l.Minor = append(p.l.Minor, key)
			}
		default:
			if !ok {
				p.fail(i+1, "front matter lines look like key: value")
			} else {
				p.fail(i+1, "unknown front matter key "+strings.TrimSpace(k)+" (known: title, summary, world, minor)")
			}
			return i + 1
		}
	}
	p.fail(1, "front matter is not closed by a --- line")
	return len(p.lines)
}

type numbered struct {
	n    int
	text string
}

type stepSource struct {
	title, id string
	line      int
	body      []numbered
}

// step pulls the special fenced blocks out of a step and renders the rest.
func (p *parser) step(s *stepSource) Step {
	st := Step{ID: s.id, Title: s.title, Line: s.line}
	var text []numbered
	for i := 0; i < len(s.body); i++ {
		kind := fenceInfo(s.body[i].text)
		if !special[kind] {
			p.placeholders(s.body[i].n, s.body[i].text, "")
			text = append(text, s.body[i])
			continue
		}
		fence := fenceOf(s.body[i].text)
		var block []numbered
		j := i + 1
		for ; j < len(s.body) && strings.TrimSpace(s.body[j].text) != fence; j++ {
			block = append(block, s.body[j])
		}
		p.block(&st, kind, s.body[i].n, block)
		i = j
	}
	st.Text = p.render(text)
	if st.Goal == nil {
		p.fail(s.line, "step "+s.id+" has no goal block")
	}
	return st
}

var special = map[string]bool{"goal": true, "hint": true, "solution": true, "nearmiss": true, "replay": true, "quiz": true}

// where names the blocks that cannot hold placeholders, for messages.
var where = map[string]string{"goal": "a goal", "replay": "a replay", "quiz": "a quiz"}

func (p *parser) block(st *Step, kind string, line int, block []numbered) {
	for _, b := range block {
		p.placeholders(b.n, b.text, where[kind])
	}
	switch kind {
	case "goal":
		st.Goal = p.goal(block, line)
	case "hint":
		st.Hints = append(st.Hints, p.render(block))
		st.Hint = st.Hints[0]
	case "solution":
		for _, b := range block {
			st.Solution = append(st.Solution, b.text)
		}
	case "nearmiss":
		st.NearMisses = append(st.NearMisses, p.nearMisses(block, line)...)
	case "replay":
		st.Replay = p.replay(block, line)
	case "quiz":
		st.Quiz = p.quiz(block, line)
	}
}

// nearMisses reads a nearmiss block: attempts, each a list of lines typed
// from the shell prompt like a solution, separated by lines holding ---.
func (p *parser) nearMisses(block []numbered, line int) [][]string {
	var out [][]string
	var cur []string
	start := line
	end := func(n int) {
		if len(cur) == 0 {
			p.fail(n, "an empty near miss: each attempt between --- lines needs lines to type")
		}
		out = append(out, cur)
		cur = nil
	}
	for _, b := range block {
		if strings.TrimSpace(b.text) == "---" {
			end(start)
			start = b.n
			continue
		}
		cur = append(cur, b.text)
	}
	end(start)
	return out
}

func (p *parser) goal(block []numbered, line int) Goal {
	g := Goal{}
	for _, b := range block {
		text := strings.TrimSpace(b.text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		c, err := parseCondition(text)
		if err != "" {
			p.fail(b.n, err)
			continue
		}
		c.Line = b.n
		g = append(g, c)
	}
	if len(g) == 0 {
		p.fail(line, "empty goal block")
	}
	return g
}

func (p *parser) replay(block []numbered, line int) *Replay {
	r := &Replay{}
	for _, b := range block {
		text := strings.TrimRight(b.text, " ")
		switch {
		case strings.TrimSpace(text) == "":
		case strings.HasPrefix(text, "proto:"):
			r.Proto = strings.TrimSpace(strings.TrimPrefix(text, "proto:"))
		case strings.HasPrefix(text, "mail:"):
			p.replayMail(r, b)
		case strings.HasPrefix(text, "C:"):
			r.Lines = append(r.Lines, strings.TrimPrefix(strings.TrimPrefix(text, "C:"), " "))
		default:
			p.fail(b.n, "a replay line starts with proto:, mail: or C:")

		}
	}
	if r.Proto != "smtp" && r.Proto != "pop3" && r.Proto != "pop2" {
		p.fail(line, "a replay needs a first line proto: smtp, pop3 or pop2")
	}
	if len(r.Lines) == 0 {
		p.fail(line, "a replay needs C: lines")
	}
	return r
}

func (p *parser) quiz(block []numbered, line int) *Quiz {
	q := &Quiz{}
	for _, b := range block {
		text := strings.TrimRight(b.text, " ")
		if strings.TrimSpace(text) == "" {
			continue
		}
		var ql QuizLine
		switch {
		case strings.HasPrefix(text, "C:"):
			ql.Client = true
		case strings.HasPrefix(text, "S:"):
		default:
			p.fail(b.n, "a quiz line starts with C: or S:")
			continue
		}
		text = strings.TrimPrefix(text[2:], " ")
		if i := strings.Index(text, " !! "); i >= 0 {
			ql.Mistake = strings.TrimSpace(text[i+4:])
			text = text[:i]
		}
		ql.Text = text
		q.Lines = append(q.Lines, ql)
	}
	if q.Mistakes() == 0 {
		p.fail(line, "a quiz needs at least one line marked with !! and its explanation")
	}
	if len(q.Lines) > MaxQuizLines {
		p.fail(line, fmt.Sprintf("a quiz has %d lines; at most %d (MaxQuizLines)", len(q.Lines), MaxQuizLines))
	}
	return q
}

func joinText(block []numbered) string {
	lines := make([]string, len(block))
	for i, b := range block {
		lines[i] = b.text
	}
	return strings.Join(lines, "\n")
}

// fenceOf returns the fence (``` or ~~~, possibly longer) opening line, or "".
func fenceOf(line string) string {
	t := strings.TrimSpace(line)
	for _, c := range []string{"`", "~"} {
		n := 0
		for n < len(t) && t[n:n+1] == c {
			n++
		}
		if n >= 3 {
			return t[:n]
		}
	}
	return ""
}

func fenceInfo(line string) string {
	f := fenceOf(line)
	if f == "" {
		return ""
	}
	return strings.TrimSpace(strings.TrimSpace(line)[len(f):])
}

// render renders Markdown lines, and checks that every placeholder in them
// is still there in the HTML, where ForClass will find it: one written in
// a link's address or in raw HTML would be lost. To tell which one is lost,
// a copy where each placeholder is made unique is rendered too.
func (p *parser) render(lines []numbered) string {
	src := joinText(lines)
	out := render(src)
	if !placeholder.MatchString(src) {
		return out
	}
	marked := make([]numbered, len(lines))
	for i, b := range lines {
		k := 0
		marked[i] = numbered{b.n, placeholder.ReplaceAllStringFunc(b.text, func(string) string {
			k++
			return "{{" + strconv.Itoa(b.n) + "x" + strconv.Itoa(k) + "}}"
		})}
	}
	check := render(joinText(marked))
	for _, b := range lines {
		for k, m := range placeholder.FindAllString(b.text, -1) {
			if !strings.Contains(check, "{{"+strconv.Itoa(b.n)+"x"+strconv.Itoa(k+1)+"}}") {
				p.fail(b.n, "placeholder "+m+" is lost when the text is rendered: write it in plain text or in `code`, not in a link address or HTML")
			}
		}
	}
	return out
}

// placeholders checks the {{name}} placeholders of one source line. where
// names the part of the file the line is in, or is "" for the places that
// may hold them: the introduction, step texts, hints, solutions and near misses.
func (p *parser) placeholders(n int, line, where string) {
	for _, m := range placeholder.FindAllStringSubmatch(line, -1) {
		switch {
		case !slices.Contains(placeholderNames, m[1]):
			p.fail(n, "unknown placeholder "+m[0]+" (known: {{"+strings.Join(placeholderNames, "}}, {{")+"}})")
		case where != "":
			p.fail(n, "placeholder "+m[0]+" cannot be used in "+where+", only in the text, hints, solutions and near misses")
		case p.l.World != WorldClass:
			p.fail(n, "placeholder "+m[0]+" in a practice lesson: placeholders need world: class in the front matter")
		}
	}
}

func render(src string) string {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(src), &b); err != nil {
		return ""
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// replayMail reads "mail: alice 2 bob 1": messages to deliver first.
func (p *parser) replayMail(r *Replay, b numbered) {
	f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(b.text), "mail:"))
	if len(f) == 0 || len(f)%2 != 0 {
		p.fail(b.n, "mail: takes pairs of a user and a number, like mail: alice 2")
		return
	}
	if r.Mail == nil {
		r.Mail = map[string]int{}
	}
	for i := 0; i < len(f); i += 2 {
		n, err := strconv.Atoi(f[i+1])
		if err != nil || n < 1 || n > 20 {
			p.fail(b.n, "mail: wants a number of messages from 1 to 20, not "+f[i+1])
			return
		}
		r.Mail[f[i]] = n
	}
}

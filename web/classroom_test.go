package web

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
)

// sample is a class in the middle of a lesson, with a name that tries to
// be markup.
func sampleDashboard() DashboardView {
	at := time.Date(2025, 3, 14, 14, 5, 0, 0, time.Local)
	class := ClassItem{ID: "c1", Name: "2nde B", Code: "K7PQ3X", Domain: "2nde-b.test", Locale: "fr", State: "open", Students: 2, Created: at}
	return DashboardView{
		Class:   class,
		JoinURL: "http://192.0.2.7:8025/join",
		Lessons: []DashLesson{
			{Slug: "hello", Number: 1, Title: "Say hello", Steps: []DashStep{{ID: "ehlo", Title: "EHLO"}, {ID: "quit", Title: "QUIT"}}},
			{Slug: "empty", Number: 2, Title: "No steps"},
		},
		Students: []DashStudent{
			{ID: "s1", Name: "Léa", Address: "lea@2nde-b.test", Connected: true,
				Reached: map[string]time.Time{"hello/ehlo": at}, Current: "hello/quit", StuckFor: 7 * time.Minute, Errors: 3},
			{ID: "s2", Name: "<script>alert(1)</script>", Address: "x@2nde-b.test", Current: "hello/ehlo", StuckFor: time.Minute},
		},
		Mail: []ClassMail{{ID: "m1", Arrived: at, From: "lea@2nde-b.test", Envelope: []string{"tom@2nde-b.test", "sam@2nde-b.test"},
			To: []string{"tom@2nde-b.test"}, Bcc: []string{"sam@2nde-b.test"}, Subject: "Coucou"}, {ID: "m2", Arrived: at}},
		Mistakes: []MistakeItem{{Code: "503 5.5.1", Reason: "MAIL FROM first", Students: 9, Times: 14}, {Code: "-ERR", Students: 1, Times: 1}},
		Inbox:    []MailItem{{UID: "1", From: "lea@2nde-b.test", Subject: "Hi", Arrived: at, Size: 1}},
		CSRF:     "tok",
		Notice:   "teacher.notice.password",
		Secret:   "k7pq3xaa",
	}
}

// renderAll renders every classroom page in locale l.
func renderAll(t *testing.T, l string) map[string]string {
	t.Helper()
	p := Page{Locale: l, Path: "/x", Nav: "teacher", Title: "t",
		Shell: Shell{Host: "mail.example.test", Domain: "example.test", SMTPPort: 2525, POP3Port: 2110, POP2Port: 2109}}
	d := sampleDashboard()
	lessons := []LessonItem{{Slug: "hello", Number: 1, Title: "Say hello", Steps: 2}, {Slug: "pop", Number: 2, Title: "Read", Steps: 1}}
	student := p
	student.Nav = "class"
	pages := map[string]templ.Component{
		"locked":    TeacherLocked(p),
		"home":      TeacherHome(p, TeacherHomeView{Classes: []ClassItem{d.Class}, Lessons: lessons, CSRF: "tok", Error: "teacher.error.too_many"}),
		"homeEmpty": TeacherHome(p, TeacherHomeView{Lessons: lessons}),
		"dashboard": ClassDashboard(p, d),
		"dashEmpty": ClassDashboard(p, DashboardView{Class: d.Class}),
		"projector": ClassProjector(p, ProjectorView{Class: d.Class, JoinURL: d.JoinURL}),
		"watch":     StudentWatch(p, StudentWatchView{Class: d.Class, Student: d.Students[0], Inbox: d.Inbox}),
		"join":      JoinPage(student, JoinView{Code: "K7PQ", Name: "Léa", Error: "join.error.pin", CSRF: "tok"}),
		"class":     ClassHome(student, ClassHomeView{Class: d.Class, Name: "Léa", Address: "lea@2nde-b.test", PIN: "123456", Lessons: lessons, Done: map[string]int{"hello": 2}, CSRF: "tok"}),
		"classShow": ClassHome(student, ClassHomeView{Class: d.Class, Name: "Léa", Address: "lea@2nde-b.test", Password: "secretpw", Show: true, Host: "192.0.2.7"}),
		"start":     Home(p, lessons),
	}
	out := map[string]string{}
	for name, c := range pages {
		var b bytes.Buffer
		if err := c.Render(context.Background(), &b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b.String()
	}
	return out
}

func TestClassroomPagesRender(t *testing.T) {
	var missing []string
	onMissing = func(l, key string) { missing = append(missing, l+":"+key) }
	defer func() { onMissing = nil }()
	for _, l := range Locales {
		pages := renderAll(t, l)
		for name, html := range pages {
			if strings.Contains(html, " style=") || regexp.MustCompile(`<script(?: type="module")?>`).MatchString(html) {
				t.Errorf("%s/%s: inline style or script (the CSP forbids them)", l, name)
			}
			headings(t, l+"/"+name, html)
			labelled(t, l+"/"+name, html)
		}
		d := pages["dashboard"]
		for _, want := range []string{
			`data-class="c1"`, `dashboard.js`, `<tr data-student="s1" data-name="Léa">`,
			`data-cell="hello/ehlo" class="cell done"`, `✓`, `>14:05</time>`,
			`data-cell="hello/quit" class="cell current stuck"`, `data-connected="yes"`, `data-connected="no"`,
			`action="/teacher/classes/c1/students/s1/remove"`, `data-confirm=`, `href="/teacher/classes/c1/students/s1"`,
			`action="/teacher/classes/c1/close"`, `href="/teacher/classes/c1/progress.csv"`, `href="/teacher/classes/c1/transcripts.txt"`,
			`id="class-mail"`, `id="mistakes"`, `id="grid-body"`, `<code class="secret">k7pq3xaa</code>`,
			`<td class="addr bcc"><ul class="addr-list"><li>sam@2nde-b.test</li>`, `scope="colgroup"`, `scope="row"`,
			`&lt;script&gt;`,
		} {
			if !strings.Contains(d, want) {
				t.Errorf("%s dashboard lacks %s", l, want)
			}
		}
		if strings.Contains(d, "<script>alert") {
			t.Errorf("%s: a student's name went out unescaped", l)
		}
		if strings.Count(d, `class="stuck-for"`) != 1 {
			t.Errorf("%s: want one stuck student (7 min), not the one at 1 min", l)
		}
		plurals := map[string][]string{
			"fr": {"MAIL FROM first\u00a0: 9 élèves (14 fois)", "1 élève (1 fois)", "sans progrès depuis 7 min", "1 octet"},
			"en": {"MAIL FROM first: 9 students (14 times)", "1 student (1 time)", "stuck for 7 min", "1 byte"},
		}
		for _, want := range plurals[l] {
			if !strings.Contains(d, want) {
				t.Errorf("%s dashboard lacks %q", l, want)
			}
		}
		if p := pages["projector"]; strings.Contains(p, "<nav") || !strings.Contains(p, "K7PQ3X") || !strings.Contains(p, "http://192.0.2.7:8025/join") {
			t.Errorf("%s projector: want the code and the address without the navigation", l)
		}
		if w := pages["watch"]; !strings.Contains(w, `data-student="s1"`) || !strings.Contains(w, "watch.js") || !strings.Contains(w, `id="explain-pop"`) {
			t.Errorf("%s watch page: want data-student, watch.js and the explanation popover", l)
		}
		if j := pages["join"]; !strings.Contains(j, `role="alert"`) || !strings.Contains(j, `action="/join/back"`) || !strings.Contains(j, `autocapitalize="characters"`) {
			t.Errorf("%s join page: want the alert, the way back and a code field in capitals", l)
		}
		c := pages["class"]
		for _, want := range []string{"telnet mail.2nde-b.test 25", `action="/class/password"`, "123456", "127.0.0.1", "2525", "2110", `href="/lessons/hello"`, `href="/sandbox"`} {
			if !strings.Contains(c, want) {
				t.Errorf("%s class page lacks %s", l, want)
			}
		}
		if s := pages["classShow"]; !strings.Contains(s, "secretpw") || strings.Contains(s, `action="/class/password"`) || !strings.Contains(s, "192.0.2.7") {
			t.Errorf("%s class page with Show: want the password and the page's host", l)
		}
		if !strings.Contains(pages["locked"], "<code>-teacher-key</code>") || !strings.Contains(pages["locked"], "<code>SMTPLAB_TEACHER_KEY</code>") {
			t.Errorf("%s locked page: want the flag and the variable as code", l)
		}
		if !strings.Contains(pages["start"], `href="/join"`) {
			t.Errorf("%s home page: no link to /join", l)
		}
		h := pages["home"]
		for _, want := range []string{`action="/teacher/classes"`, `name="lessons" value="hello"`, `name="locale"`, `name="csrf" value="tok"`, `href="/teacher/classes/c1"`, `role="alert"`} {
			if !strings.Contains(h, want) {
				t.Errorf("%s teacher home lacks %s", l, want)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("texts missing from web/i18n: %v", missing)
	}
}

// headings: one h1, and no level skipped on the way down.
func headings(t *testing.T, name, html string) {
	t.Helper()
	levels := regexp.MustCompile(`<h([1-6])[ >]`).FindAllStringSubmatch(html, -1)
	prev, h1 := 0, 0
	for _, m := range levels {
		n := int(m[1][0] - '0')
		if n == 1 {
			h1++
		}
		if n > prev+1 {
			t.Errorf("%s: h%d after h%d", name, n, prev)
		}
		prev = n
	}
	if h1 != 1 {
		t.Errorf("%s: %d h1", name, h1)
	}
}

// labelled: every visible input and select has a label.
func labelled(t *testing.T, name, html string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`<(?:input|select)\b[^>]*>`).FindAllString(html, -1) {
		if strings.Contains(m, `type="hidden"`) {
			continue
		}
		id := regexp.MustCompile(`\bid="([^"]+)"`).FindStringSubmatch(m)
		if id == nil || !strings.Contains(html, `for="`+id[1]+`"`) {
			t.Errorf("%s: no label for %s", name, m)
		}
	}
}

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/engine"
)

// axe-core is found at $AXE_CORE_JS, or in a node_modules folder in the
// module or above it (`npm install axe-core`). .ci/run installs it and sets
// AXE_CORE_JS, so in CI the accessibility tests always run; locally they are
// skipped, with a message, when it is absent.
var axeOnce struct {
	sync.Once
	src  string
	path string
}

func axeSource(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		cands := []string{os.Getenv("AXE_CORE_JS")}
		for _, dir := range []string{".", "..", "../.."} {
			cands = append(cands, filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
		}
		for _, p := range cands {
			if p == "" {
				continue
			}
			if b, err := os.ReadFile(p); err == nil {
				axeOnce.src, axeOnce.path = string(b), p
				return
			}
		}
	})
	if axeOnce.src == "" {
		if os.Getenv("CI") != "" || os.Getenv("AXE_CORE_JS") != "" {
			t.Fatalf("axe-core not found (AXE_CORE_JS=%q): CI must install it (npm install axe-core)", os.Getenv("AXE_CORE_JS"))
		}
		t.Skip("axe-core not found (npm install axe-core, or set AXE_CORE_JS=…/axe.min.js): accessibility tests skipped")
	}
	return axeOnce.src
}

// axeSourceOK reports whether axe-core can be had, for a test that runs
// it in passing: where axe-core is required (CI), checkAxe fails without it.
func axeSourceOK() bool {
	if os.Getenv("CI") != "" || os.Getenv("AXE_CORE_JS") != "" {
		return true
	}
	_, err := os.Stat(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	return err == nil
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeTally counts violations per page state, logged at the end of a test.
type axeTally struct {
	mu    sync.Mutex
	seen  map[string]int
	order []string
}

func (a *axeTally) add(state string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.seen = map[string]int{}
	}
	if _, ok := a.seen[state]; !ok {
		a.order = append(a.order, state)
	}
	a.seen[state] += n
}

func (a *axeTally) log(t *testing.T) {
	var b strings.Builder
	for _, s := range a.order {
		fmt.Fprintf(&b, "  %-40s %d\n", s, a.seen[s])
	}
	t.Logf("axe violations (nodes) per page state:\n%s", b.String())
}

// checkAxe runs axe-core on the page as it is now and reports every
// violation (WCAG 2.x A and AA, and axe's best practices), with the WCAG 2.2
// target-size rule, which axe leaves off by default, turned on.
func checkAxe(t *testing.T, ctx context.Context, tally *axeTally, state string) {
	t.Helper()
	src := axeSource(t)
	if !js[bool](t, ctx, `typeof window.axe !== 'undefined'`) {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](src+";true")); err != nil {
			t.Fatalf("inject axe-core: %v", err)
		}
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ['violations'], rules: {'target-size': {enabled: true}}}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", state, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe result: %v", state, err)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].ID < vs[j].ID })
	nodes := 0
	for _, v := range vs {
		nodes += len(v.Nodes)
		var b strings.Builder
		for i, n := range v.Nodes {
			if i == 4 {
				fmt.Fprintf(&b, "\n    … and %d more", len(v.Nodes)-i)
				break
			}
			html := n.HTML
			if len(html) > 160 {
				html = html[:160] + "…"
			}
			fmt.Fprintf(&b, "\n    %v %s\n      %s", n.Target, html, strings.ReplaceAll(n.Summary, "\n", " / "))
		}
		t.Errorf("%s: axe %s (%s, %d nodes): %s%s", state, v.ID, v.Impact, len(v.Nodes), v.Help, b.String())
	}
	tally.add(state, nodes)
}

// setLang switches the browser's language with the site's own switch.
func setLang(t *testing.T, ctx context.Context, base, loc, next string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/lang/"+loc+"?next="+next), chromedp.WaitReady(chromedp.CSS(`html[lang="`+loc+`"]`)))
}

// TestA11yPages runs axe-core on every public page in both languages and
// in the states a visitor reaches: a lesson with its hint and solution
// open, a replay played, a quiz answered; the sandbox after a session with
// replies explained and a message opened.
func TestA11yPages(t *testing.T) {
	axeSource(t)
	ts, w := app(t)
	ctx := browser(t)
	var tally axeTally
	defer tally.log(t)
	// A server of the network relays a message to the shared world: /live
	// draws it in its Between-servers panel.
	relay := engine.New(w, sandbox.SMTP, sandbox.Peer{Remote: "198.51.100.25", Transport: sandbox.TransportRelay,
		Via: &sandbox.Via{Host: "mx.other.test", Queue: "5C01D2E3F4A5"}})
	relay.Start()
	sandbox.FeedAll(relay, []byte("EHLO mx.other.test\r\nMAIL FROM:<bob@other.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"+
		"Subject: Back\r\n\r\nGot it.\r\n.\r\nQUIT\r\n"))
	first := lessonByNumber(t, 1)
	quiz := lessonByNumber(t, 15)
	var replayLesson string
	for _, loc := range []string{"fr", "en"} {
		setLang(t, ctx, ts.URL, loc, "/")
		waitFor(t, ctx, "home", `!!document.querySelector('main')`)
		checkAxe(t, ctx, &tally, loc+" home")

		do(t, ctx, chromedp.Navigate(ts.URL+"/lessons"), chromedp.WaitReady(chromedp.CSS(".lesson-list")))
		checkAxe(t, ctx, &tally, loc+" lessons")

		open(t, ctx, ts.URL+"/lessons/"+first.Slug)
		checkAxe(t, ctx, &tally, loc+" lesson")
		js[bool](t, ctx, `document.querySelectorAll('details.hint, details.solution').forEach(d => d.open = true), true`)
		checkAxe(t, ctx, &tally, loc+" lesson hint+solution open")
		typeLines(t, ctx, first.Steps[0].Solution...)
		waitFor(t, ctx, "first step ticked", fmt.Sprintf(`document.getElementById('step-%s').classList.contains('done')`, first.Steps[0].ID))
		checkAxe(t, ctx, &tally, loc+" lesson step done")
		// The newest reply explained on focus; the reason under the terminal.
		js[bool](t, ctx, `[...document.querySelectorAll('#term-out .reply .badge')].pop().focus(), true`)
		waitFor(t, ctx, "the explanation", `!document.getElementById('explain-pop').hidden && !document.getElementById('last-reply').hidden`)
		checkAxe(t, ctx, &tally, loc+" lesson reply explained")
		js[bool](t, ctx, `document.activeElement.blur(), true`)
		if loc == "fr" {
			// The lesson to its end (the "next lesson" card), then a session
			// left open for the next page to mention.
			for _, s := range first.Steps[1:] {
				typeLines(t, ctx, s.Solution...)
				waitFor(t, ctx, "step ticked", fmt.Sprintf(`document.getElementById('step-%s').classList.contains('done')`, s.ID))
			}
			waitFor(t, ctx, "the done card", `!document.getElementById('now-done').hidden`)
			checkAxe(t, ctx, &tally, loc+" lesson complete")
			typeLines(t, ctx, "telnet mail.example.test 25")
			waitReply(t, ctx, "220 ")
		}

		if replayLesson == "" {
			for n := 1; n <= 20 && replayLesson == ""; n++ {
				l := lessonByNumberOK(n)
				if l == nil {
					continue
				}
				for _, s := range l.Steps {
					if s.Replay != nil {
						replayLesson = l.Slug
						break
					}
				}
			}
		}
		if replayLesson != "" {
			open(t, ctx, ts.URL+"/lessons/"+replayLesson)
			if loc == "fr" {
				waitFor(t, ctx, "the still-open notice", `!!document.querySelector('#term-out .still-open .still-close')`)
				checkAxe(t, ctx, &tally, loc+" lesson session still open")
			}
			js[bool](t, ctx, `document.querySelectorAll('.replay .replay-all').forEach(b => b.click()), true`)
			waitFor(t, ctx, "replay played", `[...document.querySelectorAll('.replay-out')].every(o => o.querySelectorAll('.reply').length > 0)`)
			js[bool](t, ctx, `(b => b && b.click())(document.querySelector('.replay-out .badge')), true`)
			time.Sleep(100 * time.Millisecond)
			checkAxe(t, ctx, &tally, loc+" lesson replay played")
			js[bool](t, ctx, `(c => { if (c) { c.click(); } })(document.querySelector('.replay .replay-predict')), true`)
			js[bool](t, ctx, `(b => b && b.click())(document.querySelector('.replay .replay-restart')), true`)
			time.Sleep(100 * time.Millisecond)
			checkAxe(t, ctx, &tally, loc+" lesson replay predicting")
		}

		open(t, ctx, ts.URL+"/lessons/"+quiz.Slug)
		checkAxe(t, ctx, &tally, loc+" quiz")
		js[bool](t, ctx, `document.querySelectorAll('.quiz-line').forEach((b, i) => { if (i % 3 === 0) b.click(); }), true`)
		checkAxe(t, ctx, &tally, loc+" quiz lines marked")
		js[bool](t, ctx, `document.querySelectorAll('.quiz .quiz-check').forEach(b => b.click()), true`)
		waitFor(t, ctx, "the quizzes answered", `[...document.querySelectorAll('.quiz')].every(q => q.querySelector('.quiz-score').textContent !== '')`)
		checkAxe(t, ctx, &tally, loc+" quiz answered")

		// The newest lessons, hints and solutions open: their tables,
		// dig answers and traces are what the older ones do not have.
		for n := 18; n <= 22; n++ {
			l := lessonByNumber(t, n)
			open(t, ctx, ts.URL+"/lessons/"+l.Slug)
			js[bool](t, ctx, `document.querySelectorAll('details.hint, details.solution').forEach(d => d.open = true), true`)
			checkAxe(t, ctx, &tally, fmt.Sprintf("%s lesson %d", loc, n))
		}

		open(t, ctx, ts.URL+"/sandbox")
		checkAxe(t, ctx, &tally, loc+" sandbox")
		typeLines(t, ctx, session[:7]...)
		waitReply(t, ctx, "354 ")
		typeLines(t, ctx, session[7:]...)
		waitReply(t, ctx, "250 2.0.0 Ok: queued as ")
		typeLines(t, ctx, "RCPT TO:<x@example.test>", "VRFY nobody")
		js[bool](t, ctx, `[...document.querySelectorAll('#term-out .reply .badge')].pop().click(), true`)
		waitFor(t, ctx, "mailboxes", `document.querySelectorAll('#mailboxes .msg').length >= 3`)
		// The Between-servers panel has drawn the session: its diagram, its
		// list and the copies going into the mailboxes.
		waitFor(t, ctx, "the Between-servers diagram", `document.querySelectorAll('#flow-list li').length > 10 && !!document.querySelector('#flow-scroll .fstep-deliver')`)
		checkAxe(t, ctx, &tally, loc+" sandbox after a session")
		js[bool](t, ctx, `document.querySelector('#mailboxes [data-user="bob"] .msg').click(), true`)
		waitFor(t, ctx, "message dialog", `document.getElementById('msg-dialog').open`)
		checkAxe(t, ctx, &tally, loc+" sandbox message open")
		js[bool](t, ctx, `document.getElementById('msg-dialog').close(), true`)

		open(t, ctx, ts.URL+"/live")
		waitFor(t, ctx, "the relay drawn on /live", `!!document.querySelector('#flow-scroll .fstep-deliver') && document.querySelectorAll('#flow-list li').length > 10`)
		checkAxe(t, ctx, &tally, loc+" live")
	}
}

func lessonByNumberOK(n int) *lessons.Lesson {
	lib, err := lessons.Builtin()
	if err != nil {
		return nil
	}
	for _, l := range lib.List("fr") {
		if l.Number == n {
			return l
		}
	}
	return nil
}

// TestA11yClassroom runs axe-core on the classroom pages in both
// languages: the teacher's home, dashboard, projector and watch page, the
// join page and the student's class home.
func TestA11yClassroom(t *testing.T) {
	axeSource(t)
	ts, _ := classApp(t)
	ctxs := classBrowsers(t, 2, 150*time.Second)
	teacher, student := ctxs[0], ctxs[1]
	var tally axeTally
	defer tally.log(t)

	do(t, teacher, chromedp.Navigate(ts.URL+"/teacher?key="+teacherKey), chromedp.WaitVisible(chromedp.CSS("#class-name")))
	checkAxe(t, teacher, &tally, "fr teacher home (no class)")
	do(t, teacher,
		chromedp.SendKeys(chromedp.CSS("#class-name"), "2nde B"),
		chromedp.SetValue(chromedp.CSS("#class-locale"), "fr"),
		chromedp.Click(chromedp.CSS("#pick-bcc")),
		chromedp.Click(chromedp.CSS(".create-class button[type=submit]")),
		chromedp.WaitReady(chromedp.CSS(`.dashboard[data-class]`)), chromedp.WaitReady(chromedp.CSS(`body[data-ws="open"]`)))
	classID := js[string](t, teacher, `document.querySelector('.dashboard').dataset.class`)
	code := strings.TrimSpace(js[string](t, teacher, `document.querySelector('.big-code').textContent`))

	do(t, student, chromedp.Navigate(ts.URL+"/join"), chromedp.WaitVisible(chromedp.CSS("#join-code")))
	checkAxe(t, student, &tally, "fr join")
	do(t, student,
		chromedp.SendKeys(chromedp.CSS("#join-code"), code),
		chromedp.SendKeys(chromedp.CSS("#join-name"), "Léa"),
		chromedp.Click(chromedp.CSS(".join-form button[type=submit]")),
		chromedp.WaitReady(chromedp.CSS(".class-home .addr-big")))
	// Léa sends a message and makes a mistake, so that every panel has rows.
	open(t, student, ts.URL+"/sandbox")
	telnet(t, student, "mail.2nde-b.test")
	for _, c := range [][2]string{
		{"HELO lea.example", "250"},
		{"RCPT TO:<tom@2nde-b.test>", "503"},
		{"MAIL FROM:<lea@2nde-b.test>", "250"},
		{"RCPT TO:<lea@2nde-b.test>", "250"},
		{"DATA", "354"},
	} {
		sendLine(t, student, c[0], c[1])
	}
	typeLines(t, student, "Subject: Fete", "", "Samedi.")
	sendLine(t, student, ".", "250")
	sendLine(t, student, "QUIT", "221")
	// Then a message relayed to mx.other.test: the watch page draws it
	// between servers.
	sendToBob(t, student)
	sendLine(t, student, "QUIT", "221")
	waitFor(t, teacher, "Léa on the dashboard", `document.querySelectorAll('#grid-body tr[data-student]').length === 1`)
	studentID := js[string](t, teacher, `document.querySelector('#grid-body tr[data-student]').dataset.student`)

	for _, loc := range []string{"fr", "en"} {
		setLang(t, teacher, ts.URL, loc, "/teacher")
		checkAxe(t, teacher, &tally, loc+" teacher home")
		open(t, teacher, ts.URL+"/teacher/classes/"+classID)
		time.Sleep(300 * time.Millisecond)
		checkAxe(t, teacher, &tally, loc+" dashboard")
		do(t, teacher, chromedp.Navigate(ts.URL+"/teacher/classes/"+classID+"/projector"), chromedp.WaitReady(chromedp.CSS(".projector")))
		checkAxe(t, teacher, &tally, loc+" projector")
		do(t, teacher, chromedp.Navigate(ts.URL+"/teacher/classes/"+classID+"/students/"+studentID), chromedp.WaitReady(chromedp.CSS(".watch")))
		waitFor(t, teacher, "the watch page's Between-servers diagram", `!!document.querySelector('#flow-scroll .fstep-deliver[data-from="mx.other.test"]') && !!document.querySelector('#flow-relay-list .flow-relay')`)
		checkAxe(t, teacher, &tally, loc+" watch")

		setLang(t, student, ts.URL, loc, "/class")
		checkAxe(t, student, &tally, loc+" class home")
		do(t, student, chromedp.Navigate(ts.URL+"/class?show=1"), chromedp.WaitReady(chromedp.CSS(".class-home")))
		checkAxe(t, student, &tally, loc+" class home, password shown")
		open(t, student, ts.URL+"/sandbox")
		waitFor(t, student, "class mailbox", `document.querySelectorAll('#mailboxes .msg').length >= 1`)
		checkAxe(t, student, &tally, loc+" class sandbox")
	}
	// A fresh visitor's join page in English.
	setLang(t, student, ts.URL, "en", "/join")
	checkAxe(t, student, &tally, "en join")
}

// TestA11yAnnouncements: the terminal's transcript is a log that is not
// read aloud; its live region says one thing per reply, with the code and
// the reply's lines, never the engine's state names; a lesson says when a
// step is done; protocol text on a French page is marked lang="en", and a
// quiz tells client and server lines apart by more than colour.
func TestA11yAnnouncements(t *testing.T) {
	ts, _ := app(t)
	ctx := browser(t)
	open(t, ctx, ts.URL+"/sandbox")
	if live := js[string](t, ctx, `document.getElementById('term-out').getAttribute('aria-live')`); live != "off" {
		t.Errorf("#term-out aria-live = %q, want off (the live region is #term-announce)", live)
	}
	// Every change of the live region is recorded.
	js[bool](t, ctx, `window.said = [];
		new MutationObserver(() => { const s = document.getElementById('term-announce').textContent; if (s) window.said.push(s); })
			.observe(document.getElementById('term-announce'), {childList: true, subtree: true, characterData: true}); true`)
	for _, c := range []struct{ line, code string }{
		{"telnet localhost 25", "220"},
		{"EHLO client.example.test", "250"},
		{"MAIL FROM:<bob@example.test>", "250"},
		{"RCPT TO:<nobody@nowhere.test>", "5"},
	} {
		js[bool](t, ctx, `window.said = [], true`)
		typeLines(t, ctx, c.line)
		waitFor(t, ctx, "an announcement for "+c.line, `window.said.length > 0`)
		time.Sleep(300 * time.Millisecond)
		said := js[[]string](t, ctx, `window.said`)
		if len(said) != 1 || !strings.Contains(said[0], c.code) {
			t.Errorf("after %q the live region said %q, want one announcement with %s", c.line, said, c.code)
		}
		for _, s := range said {
			if strings.Contains(s, "HAVE_") || strings.Contains(s, c.line) {
				t.Errorf("after %q the live region said %q (a state name or the typed line)", c.line, s)
			}
		}
		if c.line[:4] == "EHLO" && len(said) > 0 && !strings.Contains(said[0], " ; ") {
			t.Errorf("the EHLO reply is said as one run: %q", said[0])
		}
	}
	if label := js[string](t, ctx, `document.getElementById('term-input').getAttribute('aria-label')`); strings.Contains(label, "HAVE_") || strings.Contains(label, "_") {
		t.Errorf("the input's label names an engine state: %q", label)
	}
	if n := js[int](t, ctx, `document.querySelectorAll('#term-out .line .text:not([lang="en"])').length`); n != 0 {
		t.Errorf("%d protocol lines on the French page are not marked lang=en", n)
	}

	typeLines(t, ctx, "QUIT")
	waitFor(t, ctx, "the shell", `document.getElementById('term').dataset.mode === 'shell'`)

	// A lesson says that a step is done.
	l := lessonByNumber(t, 1)
	open(t, ctx, ts.URL+"/lessons/"+l.Slug)
	typeLines(t, ctx, l.Steps[0].Solution...)
	waitFor(t, ctx, "the step announced", `document.getElementById('lesson-announce').textContent.includes('Étape faite')`)
	if s := js[string](t, ctx, `document.getElementById('lesson-announce').textContent`); !strings.Contains(s, l.Steps[0].Title) {
		t.Errorf("the step announcement %q does not name the step %q", s, l.Steps[0].Title)
	}
	if n := js[int](t, ctx, `document.querySelectorAll('.prose pre:not([lang="en"]), pre.cmd:not([lang="en"])').length`); n != 0 {
		t.Errorf("%d quoted sessions on the French lesson page are not marked lang=en", n)
	}

	// The quiz marks each line C: or S:, in text, and names empty lines.
	q := lessonByNumber(t, 15)
	open(t, ctx, ts.URL+"/lessons/"+q.Slug)
	if n := js[int](t, ctx, `[...document.querySelectorAll('.quiz-line')].filter(b => !/^(C|S):/.test(b.querySelector('.who').textContent)).length`); n != 0 {
		t.Errorf("%d quiz lines without a C:/S: mark", n)
	}
	if n := js[int](t, ctx, `[...document.querySelectorAll('.quiz-line')].filter(b => b.innerText.trim() === '').length`); n != 0 {
		t.Errorf("%d quiz lines show no text", n)
	}
}

package server_test

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/network"
	"smtplab/server"
	"smtplab/web"
)

var screenshots = flag.Bool("screenshots", false, "write the README's screenshots to web/screenshots")

// app serves a full smtplab web side (engines, built-in lessons) for tests.
func app(t *testing.T) (*httptest.Server, *sandbox.World) {
	t.Helper()
	lib, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	w := sandbox.NewWorld(sandbox.Config{Name: "default"})
	s := server.New(server.Config{
		World: w, Lessons: lib,
		Ports:      server.Ports{SMTP: 2525, POP3: 1100, POP2: 1109},
		NewSession: engine.New,
	})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return ts, w
}

// chromium finds Debian's Chromium (or another Chrome); without one the
// browser tests are skipped, and say so. CI installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "chromium-headless-shell", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found (apt-get install chromium): browser tests skipped")
	return ""
}

// allocator starts a headless Chromium with a fresh profile and a French
// page language, its window w×h; the caller makes contexts in it.
func allocator(t *testing.T, w, h int) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(w, h),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.Flag("accept-lang", "fr-FR,fr"),
	)
	return chromedp.NewExecAllocator(context.Background(), opts...)
}

// browser starts a headless Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	actx, cancelAlloc := allocator(t, 1400, 1000)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// js evaluates an expression in the page.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		t.Fatalf("waiting for %s (%s): %v\nterminal:\n%s", what, expr, err, termText(ctx))
	}
}

func termText(ctx context.Context) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById('term-out')||document.body).innerText`))
	return s
}

// open loads a page and waits for its WebSocket.
func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(`body[data-ws="open"]`)))
}

// typeLines types each line in the terminal and waits until the server has
// seen it (its input line is shown) before the next.
func typeLines(t *testing.T, ctx context.Context, lines ...string) {
	t.Helper()
	for _, l := range lines {
		before := js[int](t, ctx, `document.querySelectorAll('#term-out .line').length`)
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#term-input"), l+kb.Enter))
		waitFor(t, ctx, "the terminal to show "+l, fmt.Sprintf(`document.querySelectorAll('#term-out .line').length > %d`, before))
	}
}

// waitReply waits for a server reply whose first line starts with prefix.
func waitReply(t *testing.T, ctx context.Context, prefix string) {
	t.Helper()
	waitFor(t, ctx, "reply "+prefix, fmt.Sprintf(
		`[...document.querySelectorAll('#term-out .reply .line.server .text')].some(e => e.textContent.startsWith(%q))`, prefix))
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	writeShot(t, name, png)
}

// shotOf is shot of one element of the page, such as a panel.
func shotOf(t *testing.T, ctx context.Context, sel, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		t.Fatal(err)
	}
	writeShot(t, name, png)
}

func writeShot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := t.TempDir()
	if *screenshots {
		dir = filepath.Join("..", "web", "screenshots")
		os.MkdirAll(dir, 0o755)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// session is the whole SMTP session of the sandbox test: To, Cc, a
// recipient in the envelope only (Bcc), and a Cc address with no RCPT.
var session = []string{
	"telnet localhost 25",
	"HELO client.example.test",
	"MAIL FROM:<bob@example.test>",
	"RCPT TO:<alice@example.test>",
	"RCPT TO:<carol@example.test>",
	"RCPT TO:<bob@example.test>",
	"DATA",
	"From: Bob <bob@example.test>",
	"To: Alice <alice@example.test>",
	"Cc: carol@example.test, eve@example.test",
	"Subject: Meeting",
	"",
	"Hello <script>alert('x')</script> world",
	".",
}

func TestBrowserSandbox(t *testing.T) {
	ts, _ := app(t)
	ctx := browser(t)
	open(t, ctx, ts.URL+"/sandbox")
	if lang := js[string](t, ctx, `document.documentElement.lang`); lang != "fr" {
		t.Fatalf("html lang = %q, want fr (from Accept-Language)", lang)
	}
	typeLines(t, ctx, session[:7]...)
	waitReply(t, ctx, "354 ")
	waitFor(t, ctx, "DATA mode", `document.getElementById('term').dataset.mode === 'data'`)
	typeLines(t, ctx, session[7:]...)
	waitReply(t, ctx, "250 2.0.0 Ok: queued as ")

	// The 354 and 250 badges explain themselves on focus, and a click pins it.
	for _, code := range []string{"354", "250"} {
		sel := fmt.Sprintf(`[...document.querySelectorAll('#term-out .reply')].filter(r => r.dataset.code === %q).pop().querySelector('.badge')`, code)
		js[bool](t, ctx, `(`+sel+`).focus(), true`)
		waitFor(t, ctx, code+" explanation", `!document.getElementById('explain-pop').hidden`)
		pop := js[string](t, ctx, `document.getElementById('explain-pop').innerText`)
		if !strings.Contains(pop, code) || !strings.Contains(pop, "Pourquoi maintenant") || len(pop) < 80 {
			t.Errorf("%s explanation:\n%s", code, pop)
		}
		js[bool](t, ctx, `(`+sel+`).click(), true`)
		waitFor(t, ctx, code+" pinned", `!!document.querySelector('#term-out .explain.pinned')`)
	}
	// The last 250 carries an enhanced code, split into its parts.
	enh := js[string](t, ctx, `[...document.querySelectorAll('#term-out .explain.pinned')].pop().innerText`)
	if !strings.Contains(enh, "2.0.0") {
		t.Errorf("pinned 250 explanation lacks its enhanced code:\n%s", enh)
	}

	// Verdicts: alice listed, bob hidden (Bcc), eve listed but not
	// delivered; the delivered ones once their copies are stored.
	verdict := func(addr string) string {
		return js[string](t, ctx, fmt.Sprintf(`(document.querySelector('#verdicts tr[data-address=%q]')||{}).className||''`, addr))
	}
	for addr, want := range map[string]string{
		"alice@example.test": "v-delivered-listed f-delivered",
		"carol@example.test": "v-delivered-listed f-delivered",
		"bob@example.test":   "v-delivered-hidden f-delivered",
		"eve@example.test":   "v-listed-not-delivered f-none",
	} {
		waitFor(t, ctx, "the verdict of "+addr, fmt.Sprintf(`(document.querySelector('#verdicts tr[data-address=%q]')||{}).className === %q`, addr, want))
		if got := verdict(addr); got != want {
			t.Errorf("verdict row of %s: %q, want %q", addr, got, want)
		}
	}
	// The right mailboxes hold it.
	waitFor(t, ctx, "mailboxes", `document.querySelectorAll('#mailboxes .msg').length === 3`)
	for _, user := range []string{"alice", "bob", "carol"} {
		if n := js[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('#mailboxes [data-user=%q] .msg').length`, user)); n != 1 {
			t.Errorf("%s's mailbox shows %d messages", user, n)
		}
	}
	// A <script> in a body stays text: in the terminal and in the message view.
	js[bool](t, ctx, `document.querySelector('#mailboxes [data-user="bob"] .msg').click(), true`)
	waitFor(t, ctx, "message dialog", `document.getElementById('msg-dialog').open`)
	raw := js[string](t, ctx, `document.getElementById('msg-raw').textContent`)
	if !strings.Contains(raw, "<script>alert('x')</script>") || !strings.Contains(raw, "Return-Path: <bob@example.test>") {
		t.Errorf("message view:\n%s", raw)
	}
	if n := js[int](t, ctx, `document.querySelectorAll('script:not([src]):not([type="application/json"])').length`); n != 0 {
		t.Errorf("%d inline scripts in the page", n)
	}
	js[bool](t, ctx, `document.getElementById('msg-dialog').close(), true`)
	shot(t, ctx, "sandbox-fr.png")

	// Switch to English and back; the transcript comes back in each language.
	do(t, ctx, chromedp.Click(chromedp.CSS("#lang-switch")), chromedp.WaitReady(chromedp.CSS(`html[lang="en"] body[data-ws="open"]`)))
	waitReply(t, ctx, "250 2.0.0 Ok: queued as ")
	js[bool](t, ctx, `[...document.querySelectorAll('#term-out .reply')].filter(r => r.dataset.code === '354').pop().querySelector('.badge').focus(), true`)
	waitFor(t, ctx, "English explanation", `document.getElementById('explain-pop').innerText.includes('Why now')`)
	js[bool](t, ctx, `document.activeElement.blur(), true`)
	shot(t, ctx, "sandbox-en.png")
	do(t, ctx, chromedp.Click(chromedp.CSS("#lang-switch")), chromedp.WaitReady(chromedp.CSS(`html[lang="fr"] body[data-ws="open"]`)))
	waitReply(t, ctx, "250 2.0.0 Ok: queued as ")

	// QUIT ends the session as telnet shows it.
	typeLines(t, ctx, "QUIT")
	waitFor(t, ctx, "connection closed", `document.getElementById('term-out').innerText.includes('Connection closed by foreign host.')`)

	// Bob fetches his copy with POP3: the journey reaches the reader.
	// The lines go at once, typed while telnet is still connecting: none is lost.
	for _, l := range []string{"telnet mail.example.test pop3", "USER bob", "PASS bob", "RETR 1"} {
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#term-input"), l+kb.Enter))
	}
	// The body comes back in RETR's reply, not only in the SMTP transcript above.
	waitFor(t, ctx, "the retrieved message", `(r => !!r && r.dataset.code === '+OK' && r.innerText.includes('Hello <script>'))([...document.querySelectorAll('#term-out .reply')].pop())`)
	waitFor(t, ctx, "the journey's last hop", `document.getElementById('hop-mua-in').classList.contains('lit')`)
	typeLines(t, ctx, "QUIT")
	waitFor(t, ctx, "POP3 closed", `document.querySelectorAll('#term-out .line.system').length > 0 && document.getElementById('term').dataset.mode === 'shell'`)

	// A phone-sized window: nothing wider than the screen.
	do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body[data-ws="open"]`)))
	if over := js[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
		t.Errorf("the sandbox page is wider than a phone screen: %d > %d",
			js[int](t, ctx, `document.documentElement.scrollWidth`), js[int](t, ctx, `window.innerWidth`))
	}
	shot(t, ctx, "sandbox-phone.png")
}

// lessonByNumber finds a built-in lesson by its number in the list.
func lessonByNumber(t *testing.T, n int) *lessons.Lesson {
	t.Helper()
	lib, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lib.List("fr") {
		if l.Number == n {
			return l
		}
	}
	t.Skipf("no built-in lesson %d yet", n)
	return nil
}

// completeLesson types each step's solution and waits for the step to tick.
func completeLesson(t *testing.T, ctx context.Context, l *lessons.Lesson) {
	t.Helper()
	for _, s := range l.Steps {
		if s.Quiz != nil {
			answerQuiz(t, ctx, s)
		}
		typeLines(t, ctx, s.Solution...)
		waitFor(t, ctx, "step "+s.ID+" ticked", fmt.Sprintf(`document.getElementById('step-%s').classList.contains('done')`, s.ID))
	}
	waitFor(t, ctx, "lesson complete", `!document.getElementById('lesson-done').hidden`)
}

// answerQuiz marks the faulty lines of s's quiz, which the test knows from
// the lesson file (the page does not), and checks the answer.
func answerQuiz(t *testing.T, ctx context.Context, s lessons.Step) {
	t.Helper()
	sel := fmt.Sprintf(`.quiz[data-step=%q]`, s.ID)
	for i, l := range s.Quiz.Lines {
		if l.Mistake != "" {
			js[bool](t, ctx, fmt.Sprintf(`document.querySelector('%s .quiz-line[data-index="%d"]').click(), true`, sel, i))
		}
	}
	js[bool](t, ctx, `document.querySelector('`+sel+` .quiz-check').click(), true`)
	waitFor(t, ctx, "the quiz answered", fmt.Sprintf(`document.querySelectorAll('%s .quiz-line.found').length === %d`, sel, s.Quiz.Mistakes()))
}

func stepsDone(t *testing.T, ctx context.Context) int {
	return js[int](t, ctx, `document.querySelectorAll('.step.done').length`)
}

// TestBrowserLessons completes lessons 1 and 4 by typing in the terminal,
// reloads, and finds the progress kept; then it does the quiz of lesson 15.
func TestBrowserLessons(t *testing.T) {
	ts, _ := app(t)
	ctx := browser(t)
	for _, n := range []int{1, 4} {
		l := lessonByNumber(t, n)
		open(t, ctx, ts.URL+"/lessons/"+l.Slug)
		if got := stepsDone(t, ctx); got != 0 {
			t.Fatalf("lesson %d starts with %d steps done", n, got)
		}
		// A first step's goal is not met by merely opening the page.
		if js[bool](t, ctx, `document.querySelector('.step').classList.contains('done')`) {
			t.Fatalf("lesson %d: first step ticked without doing anything", n)
		}
		completeLesson(t, ctx, l)
		do(t, ctx, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body[data-ws="open"]`)))
		if got := stepsDone(t, ctx); got != len(l.Steps) {
			t.Errorf("after a reload, lesson %d shows %d of %d steps done", n, got, len(l.Steps))
		}
	}
	// The list shows the progress (the list page has no WebSocket).
	do(t, ctx, chromedp.Navigate(ts.URL+"/lessons"), chromedp.WaitReady(chromedp.CSS(".lesson-list")))
	waitFor(t, ctx, "list progress", `document.querySelectorAll('.lesson-item.complete').length >= 2`)

	for _, n := range []int{1, 4} {
		slug := lessonByNumber(t, n).Slug
		if !js[bool](t, ctx, fmt.Sprintf(`document.querySelector('.lesson-item[data-lesson=%q]').classList.contains('complete')`, slug)) {
			t.Errorf("the lesson list does not show lesson %d as complete", n)
		}
	}

	quiz := lessonByNumber(t, 15)
	open(t, ctx, ts.URL+"/lessons/"+quiz.Slug)
	// The page does not know the answers: nothing marks the faulty lines
	// or holds their explanation before the student answers.
	if n := js[int](t, ctx, `document.querySelectorAll('[data-wrong], .quiz-why:not(:empty)').length`); n != 0 {
		t.Errorf("%d quiz elements give the answers away before any answer", n)
	}
	// Every line marked and checked: every mistake found, and no tick.
	first := quiz.Steps[0]
	for _, s := range quiz.Steps {
		if s.Quiz != nil {
			first = s
			break
		}
	}
	sel := fmt.Sprintf(`.quiz[data-step=%q]`, first.ID)
	js[bool](t, ctx, `document.querySelectorAll('`+sel+` .quiz-line').forEach(b => b.click()), true`)
	js[bool](t, ctx, `document.querySelector('`+sel+` .quiz-check').click(), true`)
	waitFor(t, ctx, "the quiz locked", `!document.querySelector('`+sel+` .quiz-again').hidden`)
	time.Sleep(300 * time.Millisecond)
	if js[bool](t, ctx, fmt.Sprintf(`document.getElementById('step-%s').classList.contains('done')`, first.ID)) {
		t.Fatalf("marking every line of the quiz ticked step %s", first.ID)
	}
	js[bool](t, ctx, `document.querySelector('`+sel+` .quiz-again').click(), true`)
	waitFor(t, ctx, "the quiz started again", `document.querySelector('`+sel+` .quiz-again').hidden && !document.querySelector('`+sel+` .quiz-line.found')`)
	completeLesson(t, ctx, quiz)
	// Every mistake was found and marked, and no right line was suspected.
	for _, s := range quiz.Steps {
		if s.Quiz == nil {
			continue
		}
		sel := fmt.Sprintf(`.quiz[data-step=%q]`, s.ID)
		if n := js[int](t, ctx, `document.querySelectorAll('`+sel+` .quiz-line.found').length`); n != s.Quiz.Mistakes() {
			t.Errorf("quiz %s: %d mistakes marked found, want %d", s.ID, n, s.Quiz.Mistakes())
		}
		score := js[string](t, ctx, `document.querySelector('`+sel+` .quiz-score').textContent`)
		if want := fmt.Sprintf("%d sur %d", s.Quiz.Mistakes(), s.Quiz.Mistakes()); !strings.Contains(score, want) {
			t.Errorf("quiz %s: score %q, want it to say %q", s.ID, score, want)
		}
	}
}

// TestBrowserEveryLesson opens each built-in lesson in both languages: the
// page's script runs (its socket opens), every replay plays to its end and
// shows the server's replies with their explanations, and every quiz lists
// its lines.
func TestBrowserEveryLesson(t *testing.T) {
	ts, _ := app(t)
	ctx := browser(t)
	lib, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range []string{"en", "fr"} {
		do(t, ctx, chromedp.Navigate(ts.URL+"/lang/"+loc+"?next=/lessons"), chromedp.WaitReady(chromedp.CSS(".lesson-list")))
		for _, l := range lib.List(loc) {
			if l.World == lessons.WorldClass {
				continue // for students of a class only: TestClassLessonPage
			}
			open(t, ctx, ts.URL+"/lessons/"+l.Slug)
			if n := js[int](t, ctx, `document.querySelectorAll('.step').length`); n != len(l.Steps) {
				t.Errorf("%s/%s: %d steps shown, want %d", loc, l.Slug, n, len(l.Steps))
			}
			for _, s := range l.Steps {
				if s.Replay != nil {
					sel := fmt.Sprintf(`.replay[data-step=%q]`, s.ID)
					js[bool](t, ctx, `document.querySelector('`+sel+` .replay-all').click(), true`)
					waitFor(t, ctx, l.Slug+" replay", `document.querySelector('`+sel+` .replay-out').innerText.includes(`+
						fmt.Sprintf("%q", map[string]string{"fr": "Fin de la session.", "en": "End of the session."}[loc])+`)`)
					if n := js[int](t, ctx, `document.querySelectorAll('`+sel+` .explain .x-reason').length`); n < 2 {
						t.Errorf("%s/%s: the replay shows %d explained replies", loc, l.Slug, n)
					}
				}
				if s.Quiz != nil {
					if n := js[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('.quiz[data-step=%q] .quiz-line').length`, s.ID)); n != len(s.Quiz.Lines) {
						t.Errorf("%s/%s: the quiz shows %d lines, want %d", loc, l.Slug, n, len(s.Quiz.Lines))
					}
				}
			}
		}
	}
}

// inViewport is a JavaScript test that the element sel is on screen whole.
func inViewport(sel string) string {
	return fmt.Sprintf(`(e => { if (!e || e.hidden) return false; const r = e.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth; })(document.querySelector(%q))`, sel)
}

// rectOf describes where sel is, for messages.
func rectOf(t *testing.T, ctx context.Context, sel string) string {
	return js[string](t, ctx, fmt.Sprintf(`(e => e ? JSON.stringify(e.getBoundingClientRect()) + ' in ' + window.innerWidth + '×' + window.innerHeight : 'absent')(document.querySelector(%q))`, sel))
}

// TestBrowserLessonStudent follows a student through lesson 1 on a
// 1366×768 laptop: the current step's card stays on screen beside the
// terminal and moves on when a step ticks, the newest reply's reason is
// shown under the terminal, its explanation fits in the window and stays
// open under the pointer, the lesson ends on an in-view "next lesson"
// card; and the next lesson, opened with a session still open, says so
// and closes it in one click.
func TestBrowserLessonStudent(t *testing.T) {
	ts, _ := app(t)
	actx, cancelAlloc := allocator(t, 1366, 768)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	do(t, ctx, chromedp.EmulateViewport(1366, 768))
	l := lessonByNumber(t, 1)
	next := lessonByNumber(t, 2)
	open(t, ctx, ts.URL+"/lessons/"+l.Slug)

	card := func(i int) {
		t.Helper()
		s := l.Steps[i]
		waitFor(t, ctx, "the card on step "+s.ID, fmt.Sprintf(`document.getElementById('now-card').dataset.step === %q`, s.ID))
		if got := js[string](t, ctx, `document.getElementById('now-step').textContent`); got != s.Title {
			t.Errorf("the card names step %q, want %q", got, s.Title)
		}
		if !js[bool](t, ctx, `document.getElementById('now-body').innerText.trim().length > 20`) {
			t.Errorf("step %s: the card shows no instruction", s.ID)
		}
		if s.Hint != "" && !js[bool](t, ctx, `!!document.querySelector('#now-body details.hint')`) {
			t.Errorf("step %s: the card has no hint", s.ID)
		}
		if !js[bool](t, ctx, inViewport("#now-card")) {
			t.Errorf("step %s: the current step's card is off screen: %s", s.ID, rectOf(t, ctx, "#now-card"))
		}
		if want := fmt.Sprintf("%d sur %d", i+1, len(l.Steps)); !strings.Contains(js[string](t, ctx, `document.getElementById('now-count').textContent`), want) {
			t.Errorf("step %s: the card's progress does not say %q", s.ID, want)
		}
	}
	card(0)
	for i, s := range l.Steps {
		typeLines(t, ctx, s.Solution...)
		waitFor(t, ctx, "step "+s.ID+" ticked", fmt.Sprintf(`document.getElementById('step-%s').classList.contains('done')`, s.ID))
		if i+1 < len(l.Steps) {
			card(i + 1)
			if !js[bool](t, ctx, `!document.getElementById('now-ticked').hidden`) {
				t.Errorf("step %s: the card does not say the step was done", s.ID)
			}
			waitFor(t, ctx, "the next step announced", fmt.Sprintf(`document.getElementById('lesson-announce').textContent.includes(%q)`, "Étape suivante\u00a0: "+l.Steps[i+1].Title))
		}
		if i == 0 {
			// The newest reply's reason, without hovering.
			waitFor(t, ctx, "the last-reply strip", `!document.getElementById('last-reply').hidden`)
			if s := js[string](t, ctx, `document.getElementById('last-reply').innerText`); !strings.Contains(s, "220") || !strings.Contains(s, "Pourquoi maintenant") || len(s) < 60 {
				t.Errorf("the last-reply strip: %q", s)
			}
		}
	}
	// The end: an in-view card with the way to the next lesson.
	waitFor(t, ctx, "the done card", `!document.getElementById('now-done').hidden`)
	if !js[bool](t, ctx, inViewport("#now-next")) {
		t.Errorf("the next-lesson link is off screen: %s", rectOf(t, ctx, "#now-next"))
	}
	if href := js[string](t, ctx, `document.getElementById('now-next').getAttribute('href')`); href != "/lessons/"+next.Slug {
		t.Errorf("the next-lesson link goes to %q", href)
	}
	if s := js[string](t, ctx, `document.getElementById('last-reply').innerText`); !strings.Contains(s, "221") {
		t.Errorf("after QUIT the last-reply strip shows %q", s)
	}

	// The newest reply's explanation, under the pointer: in the window,
	// reason first, and still open when the pointer moves onto it.
	newest := `[...document.querySelectorAll('#term-out .reply .badge')].pop()`
	bx := js[float64](t, ctx, `(r => r.left + r.width / 2)(`+newest+`.getBoundingClientRect())`)
	by := js[float64](t, ctx, `(r => r.top + r.height / 2)(`+newest+`.getBoundingClientRect())`)
	do(t, ctx, chromedp.MouseEvent(chromedp.MouseMoved, bx, by))
	waitFor(t, ctx, "the explanation on hover", `!document.getElementById('explain-pop').hidden`)
	if !js[bool](t, ctx, inViewport("#explain-pop")) {
		t.Errorf("the explanation popover runs off screen: %s (badge at %.0f,%.0f)", rectOf(t, ctx, "#explain-pop"), bx, by)
	}
	if first := js[string](t, ctx, `document.querySelector('#explain-pop .explain').firstElementChild.className`); first != "x-reason" {
		t.Errorf("the explanation begins with %q, want the reason", first)
	}
	px := js[float64](t, ctx, `(r => r.left + r.width / 2)(document.getElementById('explain-pop').getBoundingClientRect())`)
	py := js[float64](t, ctx, `(r => r.top + r.height / 2)(document.getElementById('explain-pop').getBoundingClientRect())`)
	do(t, ctx, chromedp.MouseEvent(chromedp.MouseMoved, (bx+px)/2, (by+py)/2), chromedp.MouseEvent(chromedp.MouseMoved, px, py))
	time.Sleep(600 * time.Millisecond)
	if js[bool](t, ctx, `document.getElementById('explain-pop').hidden`) {
		t.Errorf("the explanation closed when the pointer moved onto it")
	}
	do(t, ctx, chromedp.MouseEvent(chromedp.MouseMoved, 5, 5))
	waitFor(t, ctx, "the explanation gone", `document.getElementById('explain-pop').hidden`)

	// A session left open follows into the next lesson: the page says so.
	telnet(t, ctx, "mail.example.test")
	open(t, ctx, ts.URL+"/lessons/"+next.Slug)
	waitFor(t, ctx, "the still-open notice", `!!document.querySelector('#term-out .still-open .still-close')`)
	if s := js[string](t, ctx, `document.querySelector('#term-out .still-open').innerText`); !strings.Contains(s, "QUIT") || !strings.Contains(s, "Fermer la connexion") {
		t.Errorf("the still-open notice: %q", s)
	}
	if !js[bool](t, ctx, inViewport("#now-card")) {
		t.Errorf("the next lesson's card is off screen: %s", rectOf(t, ctx, "#now-card"))
	}
	js[bool](t, ctx, `document.querySelector('#term-out .still-open .still-close').click(), true`)
	waitFor(t, ctx, "the session closed", `document.getElementById('term').dataset.mode === 'shell' && !document.querySelector('#term-out .still-close')`)
	typeLines(t, ctx, next.Steps[0].Solution[0])
	waitReply(t, ctx, "220 ")

	// On a phone, the card, not an empty terminal, is what the page opens on.
	do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body[data-ws="open"]`)))
	waitFor(t, ctx, "the card on a phone", inViewport("#now-title"))
	if js[bool](t, ctx, `document.getElementById('steps-box').open`) {
		t.Errorf("on a phone the step list is not folded")
	}
	if over := js[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
		t.Errorf("the lesson page is wider than a phone screen")
	}
}

// viewShot saves what the window shows (not the whole page), for the
// README: the page as a student or a class sees it.
func viewShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if *screenshots {
		dir = filepath.Join("..", "web", "screenshots")
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// screen is a window a lesson is tried in.
type screen struct {
	name      string
	w, h      int
	projector bool
	loc       string
}

var screens = []screen{
	{"laptop", 1366, 768, false, "fr"},
	{"projector", 1920, 1080, true, "fr"},
	{"phone", 390, 844, false, "en"},
}

// sized starts a Chromium whose window is s, in s's language, with
// projector mode as s says.
func sized(t *testing.T, s screen, base string) context.Context {
	t.Helper()
	actx, cancelAlloc := allocator(t, s.w, s.h)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	do(t, ctx, chromedp.EmulateViewport(int64(s.w), int64(s.h)))
	p := "0"
	if s.projector {
		p = "1"
	}
	do(t, ctx, chromedp.Navigate(base+"/lang/"+s.loc+"?next=/lessons%3Fprojector%3D"+p), chromedp.WaitReady(chromedp.CSS(".lesson-list")))
	return ctx
}

// instructionInView is a JavaScript test that the current step's
// instruction, its first paragraph, and the progress are on screen.
const instructionInView = `(() => {
	const inside = (e) => { if (!e) return false; const r = e.getBoundingClientRect();
		return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth; };
	return inside(document.getElementById('now-count')) && inside(document.querySelector('#now-body .prose > :first-child'));
})()`

// termFollows is a JavaScript test that the terminal shows its newest line.
const termFollows = `(o => o.scrollHeight - o.scrollTop - o.clientHeight < 4)(document.getElementById('term-out'))`

// TestBrowserLessonScreens completes the Bcc lesson by typing, on a laptop,
// on a projector (projector mode) and on a phone: after each tick the next
// step's instruction and the progress are on screen, said once to a screen
// reader, and the terminal shows its newest line; on the projector the
// envelope panel the lesson points at is on screen too; the newest reply's
// explanation fits in the window; the lesson ends on an in-view "next
// lesson" card; axe-core finds nothing. The screenshots of the README come
// from here.
func TestBrowserLessonScreens(t *testing.T) {
	ts, _ := app(t)
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			ctx := sized(t, s, ts.URL)
			var l *lessons.Lesson
			lib, _ := lessons.Builtin()
			l, _ = lib.Get(s.loc, "bcc")
			if l == nil {
				t.Fatal("no lesson bcc")
			}
			open(t, ctx, ts.URL+"/lessons/"+l.Slug)
			if s.projector != js[bool](t, ctx, `document.documentElement.dataset.projector === 'on'`) {
				t.Fatalf("projector mode is not %v", s.projector)
			}
			if s.projector {
				if fs := js[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector('#now-body .prose')).fontSize)`); fs < 20 {
					t.Errorf("projector mode: the lesson text is %.0f px", fs)
				}
				if fs := js[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector('#panel-envelope h2')).fontSize)`); fs < 20 {
					t.Errorf("projector mode: the panel titles are %.0f px", fs)
				}
			}
			waitFor(t, ctx, "the first instruction on screen", instructionInView)
			js[bool](t, ctx, `window.said = [];
				new MutationObserver(() => { const s = document.getElementById('lesson-announce').textContent; if (s) window.said.push(s); })
					.observe(document.getElementById('lesson-announce'), {childList: true, subtree: true, characterData: true}); true`)
			for i, st := range l.Steps {
				if i == 1 {
					// Asked why the step has not ticked, the checker answers.
					js[bool](t, ctx, `document.getElementById('now-why').click(), true`)
					want := web.T(s.loc, "why.message.none")
					waitFor(t, ctx, "the reason", fmt.Sprintf(`document.getElementById('now-why-out').innerText.includes(%q)`, want))
					if !js[bool](t, ctx, inViewport("#now-why-out")) {
						t.Errorf("the reason is off screen: %s", rectOf(t, ctx, "#now-why-out"))
					}
				}
				js[bool](t, ctx, `window.said = [], true`)
				typeLines(t, ctx, st.Solution...)
				waitFor(t, ctx, "step "+st.ID+" ticked", fmt.Sprintf(`document.getElementById('step-%s').classList.contains('done')`, st.ID))
				waitFor(t, ctx, "one announcement", `window.said.length > 0`)
				time.Sleep(300 * time.Millisecond)
				if said := js[[]string](t, ctx, `window.said`); len(said) != 1 || !strings.Contains(said[0], st.Title) {
					t.Errorf("step %s: the live region said %q, want once the step's title", st.ID, said)
				}
				if !js[bool](t, ctx, termFollows) {
					t.Errorf("step %s: the terminal does not show its newest line", st.ID)
				}
				if i+1 < len(l.Steps) {
					next := l.Steps[i+1]
					waitFor(t, ctx, "the card on "+next.ID, fmt.Sprintf(`document.getElementById('now-card').dataset.step === %q`, next.ID))
					waitFor(t, ctx, "the instruction of "+next.ID+" on screen", instructionInView)
				}
				if i == 1 {
					viewShot(t, ctx, "lesson-bcc-"+s.name+".png")
					// Date and Message-ID are not this lesson's subject: set apart.
					if n, m := js[int](t, ctx, `document.querySelectorAll('#warnings li').length`), js[int](t, ctx, `document.querySelectorAll('#minor-list li').length`); n != 0 || m != 2 {
						t.Errorf("step %s: %d warnings shown, %d set apart; want 0 and 2 (Date, Message-ID)", st.ID, n, m)
					}
				}
				if s.projector && i > 0 {
					// The lesson says to watch the envelope panel.
					if !js[bool](t, ctx, inViewport("#env-last h3")) || !js[bool](t, ctx, inViewport("#verdicts")) {
						t.Errorf("step %s: the envelope panel is off screen: %s", st.ID, rectOf(t, ctx, "#verdicts"))
					}
				}
			}
			waitFor(t, ctx, "the done card", `!document.getElementById('now-done').hidden`)
			waitFor(t, ctx, "the next-lesson link on screen", inViewport("#now-next"))

			// The newest reply's explanation, on hover or focus, fits.
			newest := `[...document.querySelectorAll('#term-out .reply .badge')].pop()`
			js[bool](t, ctx, newest+`.focus(), true`)
			waitFor(t, ctx, "the explanation", `!document.getElementById('explain-pop').hidden`)
			if !js[bool](t, ctx, inViewport("#explain-pop")) {
				t.Errorf("the explanation runs off screen: %s", rectOf(t, ctx, "#explain-pop"))
			}
			if axeSourceOK() {
				checkAxe(t, ctx, &axeTally{}, s.name+" lesson done, reply explained")
			}
			js[bool](t, ctx, `document.activeElement.blur(), true`)
			if over := js[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
				t.Errorf("the page is wider than the window")
			}
		})
	}
}

// TestBrowserLive follows the live view on a projector: the page is
// scaled, a new session goes after the others without moving them, and a
// session that ended a while ago makes room.
func TestBrowserLive(t *testing.T) {
	ts, w := app(t)
	ctx := sized(t, screens[1], ts.URL)
	open(t, ctx, ts.URL+"/live")
	if fs := js[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector('.page-title')).fontSize)`); fs < 40 {
		t.Errorf("projector mode: the live page's title is %.0f px", fs)
	}
	start := func(n int) sandbox.Session {
		sess := engine.New(w, sandbox.SMTP, sandbox.Peer{Remote: fmt.Sprintf("192.0.2.%d:40000", n), Transport: "tcp"})
		sess.Start()
		sandbox.FeedAll(sess, []byte(fmt.Sprintf("HELO c%d.example.test\r\n", n)))
		return sess
	}
	cards := `[...document.querySelectorAll('#live-sessions .live-session')]`
	order := func() string {
		return js[string](t, ctx, cards+`.map(c => (c.innerText.match(/c(\d)\.example\.test/) || ['', '?'])[1]).join(',')`)
	}
	first := start(1)
	waitFor(t, ctx, "the first session", cards+`.length === 1 && `+cards+`[0].innerText.includes('250')`)
	if fs := js[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector('.live-out')).fontSize)`); fs < 20 {
		t.Errorf("projector mode: the live transcripts are %.0f px", fs)
	}
	top := js[float64](t, ctx, cards+`[0].getBoundingClientRect().top`)
	start(2)
	waitFor(t, ctx, "the second session", cards+`.length === 2`)
	if got := order(); got != "1,2" {
		t.Errorf("sessions shown in the order %s, want 1,2 (the new one after)", got)
	}
	if now := js[float64](t, ctx, cards+`[0].getBoundingClientRect().top`); now != top {
		t.Errorf("the first session moved from %.0f to %.0f when the second came", top, now)
	}
	sandbox.FeedAll(first, []byte("QUIT\r\n"))
	waitFor(t, ctx, "the first session closed", cards+`[0].classList.contains('closed')`)
	if axeSourceOK() {
		checkAxe(t, ctx, &axeTally{}, "fr live, projector")
	}
	// Ended long ago (as if the class had moved on), it goes when the next comes.
	js[bool](t, ctx, cards+`[0].dataset.closedAt = String(Date.now() - 3600 * 1000), true`)
	start(3)
	waitFor(t, ctx, "the old session gone", cards+`.length === 2 && `+cards+`.some(c => c.innerText.includes('c3.example.test'))`)
	if got := order(); got != "2,3" {
		t.Errorf("after the old session went: %s, want 2,3", got)
	}
	viewShot(t, ctx, "live-projector.png")

	// A server of the sandbox relaying a message: the card says who
	// hands it to whom, and which queue entry it carries.
	relay := engine.New(w, sandbox.SMTP, sandbox.Peer{Remote: "198.51.100.25", Transport: sandbox.TransportRelay,
		Via: &sandbox.Via{Host: "mx.other.test", Queue: "5C01D2E3F4A5"}})
	relay.Start()
	waitFor(t, ctx, "the relay session", cards+`.some(c => c.innerText.includes('relayé par mx.other.test vers mail.example.test, identifiant de file 5C01D2E3F4A5'))`)
	// The Between-servers panel draws it, from mx.other.test's lifeline to
	// mail.example.test's, and none of the clients' sessions: their
	// messages went to no other server.
	waitFor(t, ctx, "the relay in the diagram", `!!document.querySelector('#flow-scroll .fstep-connect[data-from="mx.other.test"][data-to="mail.example.test"]') &&
		!!document.querySelector('#flow-scroll .fstep-reply[data-from="mail.example.test"][data-to="mx.other.test"][data-code="220"]')`)
	if js[bool](t, ctx, `!!document.querySelector('#flow-scroll [data-lane^="client"]')`) {
		t.Errorf("the diagram draws a client's session: %q", js[string](t, ctx, `document.getElementById('flow-list').innerText`))
	}
}

// TestBrowserEnvelopeFates: the envelope panel says "delivered" only once
// the copies are stored: a list shows the mailboxes it reached, a full
// mailbox shows its bounce (and the report that went to the sender), an
// address whose mailbox already had the message says so; and the only
// recipient of a message without headers is not called hidden.
func TestBrowserEnvelopeFates(t *testing.T) {
	ts, _ := app(t)
	ctx := browser(t)
	open(t, ctx, ts.URL+"/sandbox")
	typeLines(t, ctx, "telnet mail.example.test 25", "HELO client.example.test", "MAIL FROM:<alice@example.test>",
		"RCPT TO:<team@example.test>", "RCPT TO:<full@example.test>", "RCPT TO:<bob@example.test>", "DATA")
	waitReply(t, ctx, "354 ")
	typeLines(t, ctx, "From: alice@example.test", "To: team@example.test", "Subject: Picnic", "", "Sunday at noon.", ".")
	waitReply(t, ctx, "250 2.0.0")
	row := func(addr string) string {
		return fmt.Sprintf(`document.querySelector('#verdicts tr[data-address=%q]')`, addr)
	}
	fate := func(addr, want string) {
		t.Helper()
		waitFor(t, ctx, addr+" "+want, fmt.Sprintf(`(r => !!r && r.dataset.fate === %q)(%s)`, want, row(addr)))
	}
	fate("team@example.test", "delivered")
	if s := js[string](t, ctx, row("team@example.test")+`.innerText`); !strings.Contains(s, "alice") || !strings.Contains(s, "bob") || !strings.Contains(s, "carol") {
		t.Errorf("the list's row does not name the mailboxes it reached: %q", s)
	}
	fate("full@example.test", "bounced")
	if s := js[string](t, ctx, row("full@example.test")+` .querySelector('strong').textContent`); strings.Contains(s, "Livré") {
		t.Errorf("a bounced recipient is labelled %q", s)
	}
	if s := js[string](t, ctx, `document.getElementById('env-notes').innerText`); !strings.Contains(s, "alice") {
		t.Errorf("the bounce report to the sender is not told: %q", s)
	}
	// bob already had the message through team: one copy per mailbox.
	fate("bob@example.test", "shared")

	typeLines(t, ctx, "MAIL FROM:<alice@example.test>", "RCPT TO:<carol@example.test>", "DATA")
	waitReply(t, ctx, "354 ")
	typeLines(t, ctx, "Just a line, no header.", ".")
	waitFor(t, ctx, "the second message", `document.querySelectorAll('#verdicts tr').length === 1`)
	fate("carol@example.test", "delivered")
	if s := js[string](t, ctx, row("carol@example.test")+`.innerText`); strings.Contains(s, "caché") || !strings.Contains(s, "seul destinataire") {
		t.Errorf("the only recipient of a message without headers: %q", s)
	}
	if axeSourceOK() {
		checkAxe(t, ctx, &axeTally{}, "fr sandbox, fates")
	}
}

// TestBrowserShellTLS types openssl s_client -starttls smtp, then EHLO and
// AUTH PLAIN: the terminal keeps the clear text, marked as what only the
// two ends read, with the credentials decoded; the eavesdropper's panel
// shows openssl's own exchange in clear, then only records; the journey's
// first leg is encrypted. axe-core finds nothing, in both languages.
func TestBrowserShellTLS(t *testing.T) {
	ts, _ := app(t)
	ctx := browser(t)
	var tally axeTally
	defer tally.log(t)
	open(t, ctx, ts.URL+"/sandbox")
	typeLines(t, ctx, "openssl s_client -connect mail.example.test:587 -starttls smtp -crlf", "EHLO client.example.test")
	waitReply(t, ctx, "250-mail.example.test Hello client.example.test")
	typeLines(t, ctx, "AUTH PLAIN AGFsaWNlAGFsaWNl")
	waitReply(t, ctx, "235 ")
	term := termText(ctx)
	for _, want := range []string{"CONNECTED(00000003)", "Verify return code: 18 (self-signed certificate)", "AUTH PLAIN AGFsaWNlAGFsaWNl", "alice", "•••••"} {
		if !strings.Contains(term, want) {
			t.Errorf("the terminal lacks %q:\n%s", want, term)
		}
	}
	if !js[bool](t, ctx, `[...document.querySelectorAll('#term-out .line.typed.sealed .text')].some(e => e.textContent.startsWith('AUTH PLAIN'))`) {
		t.Error("AUTH PLAIN is not marked as sent encrypted")
	}
	if !js[bool](t, ctx, `[...document.querySelectorAll('#term-out details.aside .line.typed')].some(e => e.textContent.includes('EHLO mail.example.com'))`) {
		t.Error("openssl's own EHLO is not set apart")
	}
	waitFor(t, ctx, "the records", `document.querySelectorAll('#tap-list .tap-row.sealed').length >= 6`)
	tap := js[string](t, ctx, `document.getElementById('tap-list').innerText`)
	for _, want := range []string{"STARTTLS", "220 2.0.0 Ready to start TLS", "17 03 03", "mail.example.test"} {
		if !strings.Contains(tap, want) {
			t.Errorf("the eavesdropper's panel lacks %q:\n%s", want, tap)
		}
	}
	for _, leak := range []string{"AGFsaWNl", "client.example.test", "235", "AUTH"} {
		if strings.Contains(tap, leak) {
			t.Errorf("the eavesdropper's panel shows %q, sent encrypted:\n%s", leak, tap)
		}
	}
	if !js[bool](t, ctx, `document.getElementById('leg-smtp').classList.contains('sealed')`) {
		t.Error("the journey's SMTP leg is not shown encrypted")
	}
	if axeSourceOK() {
		checkAxe(t, ctx, &tally, "sandbox after openssl, fr")
	}
	// After a switch to English, the transcript comes back, the programs'
	// lines as they were, the explanations in English.
	do(t, ctx, chromedp.Click(chromedp.CSS("#lang-switch")), chromedp.WaitReady(chromedp.CSS(`html[lang="en"] body[data-ws="open"]`)))
	waitReply(t, ctx, "235 ")
	waitFor(t, ctx, "the records again", `document.querySelectorAll('#tap-list .tap-row.sealed').length >= 6`)
	term = termText(ctx)
	for _, want := range []string{"student@smtplab:~$ openssl s_client", "CONNECTED(00000003)", "more lines of base64", "Base64 decoded"} {
		if !strings.Contains(term, want) {
			t.Errorf("the English transcript lacks %q:\n%s", want, term)
		}
	}
	if axeSourceOK() {
		checkAxe(t, ctx, &tally, "sandbox after openssl, en")
	}
}

// flowItem is how the Between-servers list of the French page writes a
// step from one party to another: a prefix of its item.
func flowItem(from, to, text string) string {
	return strings.NewReplacer("{from}", from, "{to}", to, "{text}", text).Replace(web.T("fr", "js.flow.item"))
}

// inOrder reports the first of wants that items do not hold, each the
// prefix of an item after the one before; "" when all are there.
func inOrder(items, wants []string) string {
	i := 0
	for _, w := range wants {
		for i < len(items) && !strings.HasPrefix(items[i], w) {
			i++
		}
		if i == len(items) {
			return w
		}
		i++
	}
	return ""
}

// TestBrowserBetweenServers: alice logs in on port 25 and writes to
// bob@other.test; mail.example.test relays the message to mx.other.test.
// The Between-servers panel lists, in its <ol>, the relay session's EHLO,
// MAIL FROM, RCPT TO and DATA and mx.other.test's replies in order; its
// diagram draws them as arrows to and from mx.other.test's lifeline, with
// the queue's steps on mail.example.test's; the relay session's lines
// are shown under a heading naming both servers; the terminal itself
// prints none of them; the journey shows the next server. Then Bob
// answers from mx.other.test, relayed back to alice: her copy's path, read
// from its Received lines, is two hops, oldest first.
func TestBrowserBetweenServers(t *testing.T) {
	ts, _ := app(t)
	ctx := browser(t)
	open(t, ctx, ts.URL+"/sandbox")
	typeLines(t, ctx, "telnet mail.example.test 25")
	waitReply(t, ctx, "220 ")
	typeLines(t, ctx, "EHLO client.example.test")
	waitReply(t, ctx, "250-mail.example.test")
	typeLines(t, ctx, "AUTH PLAIN AGFsaWNlAGFsaWNl")
	waitReply(t, ctx, "235 ")
	typeLines(t, ctx, "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@other.test>", "DATA")
	waitReply(t, ctx, "354 ")
	typeLines(t, ctx, "From: alice@example.test", "To: bob@other.test", "Subject: Across", "", "Hello Bob.", ".")
	waitReply(t, ctx, "250 2.0.0 Ok: queued as ")

	const items = `[...document.querySelectorAll('#flow-list li')].map(li => li.textContent)`
	out, back := flowItem("mail.example.test", "mx.other.test", ""), flowItem("mx.other.test", "mail.example.test", "")
	waitFor(t, ctx, "the relay session's QUIT in the list", fmt.Sprintf(`%s.some(s => s.startsWith(%q))`, items, out+"QUIT"))
	wants := []string{
		back + "220 mx.other.test", out + "EHLO mail.example.test", back + "250 mx.other.test Hello mail.example.test",
		out + "STARTTLS", back + "220 2.0.0", out + "EHLO mail.example.test", // encrypted from here on
		out + "MAIL FROM:<alice@example.test>", back + "250 2.1.0", out + "RCPT TO:<bob@other.test>", back + "250 2.1.5",
		out + "DATA", back + "354 ", out, back + "250 2.0.0 Ok: queued as ", out + "QUIT", back + "221 ",
	}
	list := js[[]string](t, ctx, items)
	shotOf(t, ctx, "#panel-flow", "between-servers-fr.png")
	if missing := inOrder(list, wants); missing != "" {
		t.Errorf("the list lacks %q, in its place:\n%s", missing, strings.Join(list, "\n"))
	}
	// The student's own session comes first, from the terminal.
	if mine := flowItem(web.T("fr", "js.flow.client"), "mail.example.test", "RCPT TO:<bob@other.test>"); inOrder(list, []string{mine, out + "EHLO"}) != "" {
		t.Errorf("the terminal's own RCPT TO is not listed before the relay:\n%s", strings.Join(list, "\n"))
	}
	if !js[bool](t, ctx, `document.querySelector('#flow-scroll .flow-top [data-lane="mx.other.test"]') !== null`) {
		t.Error("the diagram has no lifeline for mx.other.test")
	}
	// Long labels are cut to the room between two lifelines; the verbs say
	// which command each arrow is.
	toNext := js[[]string](t, ctx, `[...document.querySelectorAll('#flow-scroll .flow-body .fstep[data-from="mail.example.test"][data-to="mx.other.test"]')].map(g => g.dataset.verb || g.querySelector('.label').textContent)`)
	if inOrder(toNext, []string{"connexion", "EHLO", "MAIL", "RCPT", "DATA", "texte du message", "QUIT"}) != "" {
		t.Errorf("the arrows to mx.other.test: %q", toNext)
	}
	if n := js[int](t, ctx, `document.querySelectorAll('#flow-scroll .flow-body .fstep-reply[data-from="mx.other.test"][data-code="250"]').length`); n < 4 {
		t.Errorf("%d arrows of a 250 from mx.other.test, want EHLO's, MAIL's, RCPT's and the final dot's", n)
	}
	waitFor(t, ctx, "the queue's steps", `['q-queued', 'q-relayed'].every(c => document.querySelector('#flow-scroll .fstep-note.' + c + '[data-from="mail.example.test"]'))`)
	if !js[bool](t, ctx, `!!document.querySelector('#flow-scroll .fstep-deliver[data-from="mx.other.test"][data-to="mailbox"]')`) {
		t.Error("no arrow from mx.other.test into the mailbox")
	}
	if !js[bool](t, ctx, `document.querySelector('#flow-scroll svg').getAttribute('aria-hidden') === 'true'`) {
		t.Error("the drawing is not hidden from screen readers, which read the list")
	}

	// The relay session's lines, annotated, under both servers' names.
	relay := `document.querySelector('#flow-relay-list .flow-relay')`
	if title := js[string](t, ctx, relay+`.querySelector('h4').textContent`); !strings.Contains(title, "mail.example.test → mx.other.test") {
		t.Errorf("the relay session's heading: %q", title)
	}
	if !js[bool](t, ctx, relay+`.querySelector('.flow-out').textContent.includes('RCPT TO:<bob@other.test>')`) ||
		js[int](t, ctx, relay+`.querySelectorAll('.reply .badge').length`) < 6 {
		t.Errorf("the relay session's lines:\n%s", js[string](t, ctx, relay+`.innerText`))
	}

	// The terminal shows the student's own session only.
	term := termText(ctx)
	for _, leak := range []string{"EHLO mail.example.test", "mx.other.test Hello", "220 mx.other.test", "SIZE="} {
		if strings.Contains(term, leak) {
			t.Errorf("the terminal prints the relay session's %q:\n%s", leak, term)
		}
	}
	if n := js[int](t, ctx, `document.querySelectorAll('#term-out .reply').length`); n != 7 {
		t.Errorf("the terminal shows %d replies, want its own session's 7 (220, 250, 235, 250, 250, 354, 250)", n)
	}
	// The journey goes through the next server; the envelope panel sees bob served.
	relayed := strings.NewReplacer("{from}", "mail.example.test", "{to}", "mx.other.test").Replace(web.T("fr", "js.journey.now.relayed"))
	waitFor(t, ctx, "the journey's relay", fmt.Sprintf(`document.getElementById('journey').dataset.relay === 'on' && document.getElementById('hop-relay').classList.contains('lit') && document.getElementById('journey-now').textContent === %q`, relayed))
	waitFor(t, ctx, "bob delivered", `(r => !!r && r.dataset.fate === 'delivered')(document.querySelector('#verdicts tr[data-address="bob@other.test"]'))`)
	if axeSourceOK() {
		checkAxe(t, ctx, &axeTally{}, "fr sandbox, between servers")
	}
	// The drawing keeps its text size, and grows with the projector's.
	label := `document.querySelector('#flow-scroll .flow-body .label').getBoundingClientRect().height`
	small := js[float64](t, ctx, label)
	js[bool](t, ctx, `document.documentElement.dataset.projector = 'on', true`)
	large := js[float64](t, ctx, label)
	js[bool](t, ctx, `delete document.documentElement.dataset.projector, true`)
	if small < 13 || large < small*1.4 {
		t.Errorf("labels %.1f px high, %.1f px on a projector: not shrunk, and larger there", small, large)
	}

	// After a reload, the replay draws it all again.
	open(t, ctx, ts.URL+"/sandbox")
	waitFor(t, ctx, "the list replayed", fmt.Sprintf(`%s.some(s => s.startsWith(%q))`, items, out+"QUIT"))
	if again := js[[]string](t, ctx, items); len(again) != len(list) {
		t.Errorf("%d steps after a reload, %d before", len(again), len(list))
	}
	typeLines(t, ctx, "QUIT")

	// Bob answers from his own server; it relays to mail.example.test.
	waitFor(t, ctx, "the prompt", `document.getElementById('term').dataset.mode === 'shell'`)
	typeLines(t, ctx, "telnet mx.other.test 25")
	waitReply(t, ctx, "220 mx.other.test")
	typeLines(t, ctx, "EHLO client.example.test")
	waitReply(t, ctx, "250-mx.other.test")
	typeLines(t, ctx, "AUTH PLAIN AGJvYgBib2I=")
	waitReply(t, ctx, "235 ")
	typeLines(t, ctx, "MAIL FROM:<bob@other.test>", "RCPT TO:<alice@example.test>", "DATA")
	waitReply(t, ctx, "354 ")
	typeLines(t, ctx, "From: bob@other.test", "To: alice@example.test", "Subject: Re: Across", "", "Got it.", ".")
	waitReply(t, ctx, "250 2.0.0 Ok: queued as ")
	back = flowItem("mx.other.test", "mail.example.test", "")
	waitFor(t, ctx, "the relay back in the list", fmt.Sprintf(`%s.some(s => s.startsWith(%q))`, items, back+"RCPT TO:<alice@example.test>"))
	waitFor(t, ctx, "alice's copy", `!!document.querySelector('#mailboxes [data-user="alice"] .msg')`)
	js[bool](t, ctx, `document.querySelector('#mailboxes [data-user="alice"] .msg').click(), true`)
	waitFor(t, ctx, "the message's path", `document.getElementById('msg-dialog').open && !document.getElementById('msg-path').hidden`)
	hops := js[[]string](t, ctx, `[...document.querySelectorAll('#msg-path-list li')].map(li => li.textContent)`)
	if len(hops) != 2 || !strings.HasPrefix(hops[0], "client.example.test") || !strings.Contains(hops[0], "→ mx.other.test") ||
		!strings.Contains(hops[0], "ESMTPA") || !strings.HasPrefix(hops[1], "mx.other.test") ||
		!strings.Contains(hops[1], "→ mail.example.test") || !strings.Contains(hops[1], "(ESMTPS,") { // STARTTLS between the servers
		t.Errorf("the path, oldest hop first:\n%s", strings.Join(hops, "\n"))
	}
	if axeSourceOK() {
		checkAxe(t, ctx, &axeTally{}, "fr sandbox, a relayed message's path")
	}
	js[bool](t, ctx, `document.getElementById('msg-dialog').close(), true`)

	// Bounded: past MAX_STEPS, the oldest steps go, and the panel says so.
	noops := strings.TrimSuffix(strings.Repeat("NOOP\n", 110), "\n")
	js[bool](t, ctx, fmt.Sprintf(`(() => { const d = new DataTransfer(); d.setData('text', %q);
		document.getElementById('term-input').dispatchEvent(new ClipboardEvent('paste', {clipboardData: d, bubbles: true, cancelable: true})); return true; })()`, noops))
	waitFor(t, ctx, "the oldest steps dropped", `!document.getElementById('flow-dropped').hidden`)
	waitFor(t, ctx, "the last NOOP's reply drawn", `(l => l.length === 200 && l[199].textContent.includes(' 250 '))([...document.querySelectorAll('#flow-list li')])`)
	if n := js[int](t, ctx, `document.querySelectorAll('#flow-scroll .flow-body .fstep').length`); n != 200 {
		t.Errorf("%d steps drawn, want the newest 200", n)
	}
	first := js[int](t, ctx, `document.querySelector('#flow-list li').value`)
	dropped := js[string](t, ctx, `document.getElementById('flow-dropped').textContent`)
	if first < 2 || !strings.HasPrefix(dropped, fmt.Sprint(first-1)+" ") {
		t.Errorf("the list starts at step %d; the panel says %q", first, dropped)
	}

	// Cleared, it stays so after a reload.
	js[bool](t, ctx, `document.getElementById('flow-clear').click(), true`)
	if js[int](t, ctx, `document.querySelectorAll('#flow-list li').length`) != 0 || js[bool](t, ctx, `document.getElementById('flow-empty').hidden`) {
		t.Error("the diagram is not cleared")
	}
	open(t, ctx, ts.URL+"/sandbox")
	waitReply(t, ctx, "250 ")
	if n := js[int](t, ctx, `document.querySelectorAll('#flow-list li').length`); n != 0 {
		t.Errorf("after a reload, the cleared diagram shows %d steps again", n)
	}
}

// TestBrowserBetweenServersBounce: a message for a user other.test does
// not have is refused by mx.other.test at RCPT TO; mail.example.test gives
// up and stores a non-delivery report in alice's mailbox. The diagram
// draws the 550, the queue giving up, and the report coming back as an
// arrow of its own; the journey and the envelope panel say so.
func TestBrowserBetweenServersBounce(t *testing.T) {
	ts, _ := app(t)
	ctx := browser(t)
	open(t, ctx, ts.URL+"/sandbox")
	typeLines(t, ctx, "telnet mail.example.test 25", "EHLO client.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl")
	waitReply(t, ctx, "235 ")
	typeLines(t, ctx, "MAIL FROM:<alice@example.test>", "RCPT TO:<nobody@other.test>", "DATA")
	waitReply(t, ctx, "354 ")
	typeLines(t, ctx, "Subject: Lost", "", "Anyone?", ".")
	waitReply(t, ctx, "250 2.0.0 Ok: queued as ")

	waitFor(t, ctx, "the report's arrow", `!!document.querySelector('#flow-scroll .fstep-bounce[data-from="mail.example.test"][data-to="mailbox"]')`)
	list := js[[]string](t, ctx, `[...document.querySelectorAll('#flow-list li')].map(li => li.textContent)`)
	// The queue's step, with its explanation after it when there is one.
	failed := strings.ReplaceAll(web.T("fr", "js.flow.svg.failed"), "{rcpt}", "nobody@other.test")
	failedItem := strings.NewReplacer("{host}", "mail.example.test", "{what}", failed).Replace(web.T("fr", "js.flow.item.note"))
	wants := []string{
		flowItem("mail.example.test", "mx.other.test", "RCPT TO:<nobody@other.test>"),
		flowItem("mx.other.test", "mail.example.test", "550 5.1.1"),
		flowItem("mail.example.test", "mx.other.test", "QUIT"),
		failedItem,
		flowItem("mail.example.test", web.T("fr", "js.flow.mailbox"), strings.ReplaceAll(web.T("fr", "js.flow.svg.bounce"), "{mailbox}", "alice")),
	}
	if missing := inOrder(list, wants); missing != "" {
		t.Errorf("the list lacks %q, in its place:\n%s", missing, strings.Join(list, "\n"))
	}
	if !js[bool](t, ctx, `!!document.querySelector('#flow-scroll .fstep-note.q-failed[data-from="mail.example.test"]')`) {
		t.Error("the queue's giving up is not drawn on mail.example.test's lifeline")
	}
	bounce := strings.ReplaceAll(web.T("fr", "js.journey.now.bounce"), "{mailbox}", "alice")
	waitFor(t, ctx, "the journey's last word", fmt.Sprintf(`document.getElementById('journey-now').textContent === %q`, bounce))
	waitFor(t, ctx, "nobody bounced", `(r => !!r && r.dataset.fate === 'bounced')(document.querySelector('#verdicts tr[data-address="nobody@other.test"]'))`)
	if n := js[int](t, ctx, `document.querySelectorAll('#env-notes li').length`); n != 1 {
		t.Errorf("%d notes of a report sent back, want 1", n)
	}
}

// classWithStudent has the teacher create a class and one student join
// it; it returns the student's id, from the teacher's dashboard.
func classWithStudent(t *testing.T, teacher, student context.Context, base, name string) string {
	t.Helper()
	do(t, teacher, chromedp.Navigate(base+"/teacher?key="+teacherKey), chromedp.WaitVisible(chromedp.CSS("#class-name")))
	do(t, teacher,
		chromedp.SendKeys(chromedp.CSS("#class-name"), "2nde B"),
		chromedp.SetValue(chromedp.CSS("#class-locale"), "fr"),
		chromedp.Click(chromedp.CSS("#pick-bcc")),
		chromedp.Click(chromedp.CSS(".create-class button[type=submit]")),
		chromedp.WaitReady(chromedp.CSS(`.dashboard[data-class]`)), chromedp.WaitReady(chromedp.CSS(`body[data-ws="open"]`)))
	code := strings.TrimSpace(js[string](t, teacher, `document.querySelector('.big-code').textContent`))
	do(t, student, chromedp.Navigate(base+"/join"), chromedp.WaitVisible(chromedp.CSS("#join-code")))
	do(t, student,
		chromedp.SendKeys(chromedp.CSS("#join-code"), code),
		chromedp.SendKeys(chromedp.CSS("#join-name"), name),
		chromedp.Click(chromedp.CSS(".join-form button[type=submit]")),
		chromedp.WaitReady(chromedp.CSS(".class-home .addr-big")))
	waitFor(t, teacher, name+" on the dashboard", `document.querySelectorAll('#grid-body tr[data-student]').length === 1`)
	return js[string](t, teacher, `document.querySelector('#grid-body tr[data-student]').dataset.student`)
}

// relayToBob is a session, typed line by line, that logs in on
// mail.example.test as alice and writes to bob@other.test.
var relayToBob = [][2]string{
	{"EHLO client.example.test", "250"},
	{"AUTH PLAIN AGFsaWNlAGFsaWNl", "235"},
	{"MAIL FROM:<alice@example.test>", "250"},
	{"RCPT TO:<bob@other.test>", "250"},
	{"DATA", "354"},
}

// sendToBob types relayToBob and its message in a student's terminal.
func sendToBob(t *testing.T, ctx context.Context) {
	t.Helper()
	telnet(t, ctx, "mail.example.test")
	for _, c := range relayToBob {
		sendLine(t, ctx, c[0], c[1])
	}
	typeLines(t, ctx, "From: alice@example.test", "To: bob@other.test", "Subject: Across", "", "Hello Bob.")
	sendLine(t, ctx, ".", "250")
}

// TestBrowserWatchBetweenServers: a teacher watches Léa, who logs in on
// mail.example.test and writes to bob@other.test. The watch page's
// Between-servers panel lists, in its <ol>, her own commands from the
// student's terminal, then the relay session mail.example.test opens with
// mx.other.test, each command and reply in order, and the queue handing
// the message on; the relay session's lines are shown under the diagram;
// the watched terminal still prints her session only. A reload of the
// teacher's page draws it all again; axe-core finds nothing.
func TestBrowserWatchBetweenServers(t *testing.T) {
	ts, _ := classApp(t)
	ctxs := classBrowsers(t, 2, 150*time.Second)
	teacher, student := ctxs[0], ctxs[1]
	studentID := classWithStudent(t, teacher, student, ts.URL, "Léa")
	open(t, student, ts.URL+"/sandbox")
	watch := ts.URL + "/teacher/classes/" + js[string](t, teacher, `document.querySelector('.dashboard').dataset.class`) + "/students/" + studentID
	open(t, teacher, watch)
	if !js[bool](t, teacher, `!document.getElementById('flow-empty').hidden && document.getElementById('flow-diagram').hidden`) {
		t.Error("the watch page's Between-servers panel is not empty before the student does anything")
	}
	sendToBob(t, student)

	const items = `[...document.querySelectorAll('#panel-flow #flow-list li')].map(li => li.textContent)`
	out, back := flowItem("mail.example.test", "mx.other.test", ""), flowItem("mx.other.test", "mail.example.test", "")
	waitFor(t, teacher, "the relay session's QUIT on the watch page", fmt.Sprintf(`%s.some(s => s.startsWith(%q))`, items, out+"QUIT"))
	mine := web.T("fr", "js.flow.watch.client")
	wants := []string{
		flowItem(mine, "mail.example.test", "EHLO client.example.test"),
		flowItem(mine, "mail.example.test", "RCPT TO:<bob@other.test>"),
		flowItem("mail.example.test", mine, "354 "),
		back + "220 mx.other.test", out + "EHLO mail.example.test",
		out + "MAIL FROM:<alice@example.test>", back + "250 2.1.0", out + "RCPT TO:<bob@other.test>", back + "250 2.1.5",
		out + "DATA", back + "354 ", out, back + "250 2.0.0 Ok: queued as ", out + "QUIT", back + "221 ",
	}
	list := js[[]string](t, teacher, items)
	if missing := inOrder(list, wants); missing != "" {
		t.Errorf("the watch page's list lacks %q, in its place:\n%s", missing, strings.Join(list, "\n"))
	}
	for _, leak := range []string{"AGFsaWNl"} {
		if strings.Contains(strings.Join(list, "\n"), leak) {
			t.Errorf("the watch page's list shows the credentials %q", leak)
		}
	}
	if !js[bool](t, teacher, `!!document.querySelector('#flow-scroll .flow-top [data-lane="mx.other.test"]') && !!document.querySelector('#flow-scroll .flow-top .lane-client[data-lane="client"]')`) {
		t.Error("the watch page's diagram lacks the student's or mx.other.test's lifeline")
	}
	waitFor(t, teacher, "the queue handing the message on", `!!document.querySelector('#flow-scroll .fstep-note.q-relayed[data-from="mail.example.test"]')`)
	waitFor(t, teacher, "bob's copy stored", `!!document.querySelector('#flow-scroll .fstep-deliver[data-from="mx.other.test"][data-to="mailbox"]')`)
	relay := `document.querySelector('#flow-relay-list .flow-relay')`
	if title := js[string](t, teacher, relay+`.querySelector('h4').textContent`); !strings.Contains(title, "mail.example.test → mx.other.test") {
		t.Errorf("the relay session's heading on the watch page: %q", title)
	}
	watched := js[string](t, teacher, `document.getElementById('watch-out').innerText`)
	if !strings.Contains(watched, "RCPT TO:<bob@other.test>") || strings.Contains(watched, "220 mx.other.test") || strings.Contains(watched, "EHLO mail.example.test") {
		t.Errorf("the watched terminal shows the relay session, or not the student's own:\n%s", watched)
	}
	if axeSourceOK() {
		checkAxe(t, teacher, &axeTally{}, "fr watch, between servers")
	}

	open(t, teacher, watch)
	waitFor(t, teacher, "the list replayed", fmt.Sprintf(`%s.some(s => s.startsWith(%q))`, items, out+"QUIT"))
	waitFor(t, teacher, "the replay's last step", fmt.Sprintf(`%s.length === %d`, items, len(list)))
}

// liveNetApp is app with the shared world in a network, as the
// command wires it: its queue relays to mx.other.test, and /live follows
// that server's sessions.
func liveNetApp(t *testing.T) (*httptest.Server, *sandbox.World) {
	t.Helper()
	lib, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	n := network.Default()
	w := sandbox.NewWorld(sandbox.Config{Name: "default"})
	l := n.Start(w, n.Resolver(), network.Options{NewWorld: func(c sandbox.Config) *sandbox.World {
		c.Name = "net-" + c.Domain
		return sandbox.NewWorld(c)
	}})
	s := server.New(server.Config{
		World: w, Lessons: lib,
		Ports:      server.Ports{SMTP: 2525, POP3: 1100, POP2: 1109},
		NewSession: engine.New, Network: n, Resolver: n.Resolver(), WatchShared: l.Watch,
	})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close(); l.Close() })
	return ts, w
}

// TestBrowserLiveBetweenServers: on /live, projected, a real client logs
// in on the shared world and writes to bob@other.test, and mail.example.test
// relays it to mx.other.test. The Between-servers panel draws the client's
// session on a lifeline named by its address, then the relay session and
// the queue handing the message on; another client, whose message stays
// on mail.example.test, is not drawn (it has its card); the credentials
// are masked; the labels are projector-sized; axe-core finds nothing; a
// reload draws it again, the queue's news included.
func TestBrowserLiveBetweenServers(t *testing.T) {
	ts, w := liveNetApp(t)
	ctx := sized(t, screens[1], ts.URL)
	open(t, ctx, ts.URL+"/live")
	if !js[bool](t, ctx, `!document.getElementById('flow-empty').hidden && !document.getElementById('flow-relays')`) {
		t.Error("the live page's Between-servers panel: not empty at first, or with a place for relay lines")
	}
	feed := func(remote string, lines ...string) {
		sess := engine.New(w, sandbox.SMTP, sandbox.Peer{Remote: remote, Transport: "tcp"})
		sess.Start()
		sandbox.FeedAll(sess, []byte(strings.Join(lines, "\r\n")+"\r\n"))
	}
	feed("192.0.2.8:40001", "EHLO local.example.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<alice@example.test>", "DATA",
		"Subject: Here", "", "Stays here.", ".", "QUIT")
	cards := `document.querySelectorAll('#live-sessions .live-session')`
	waitFor(t, ctx, "the local client's card", cards+`.length === 1 && `+cards+`[0].classList.contains('closed')`)
	if n := js[int](t, ctx, `document.querySelectorAll('#flow-list li').length`); n != 0 {
		t.Errorf("a session whose message stayed on mail.example.test drew %d steps", n)
	}
	feed("192.0.2.7:40312", "EHLO pc.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl", "MAIL FROM:<alice@example.test>",
		"RCPT TO:<bob@other.test>", "DATA", "From: alice@example.test", "To: bob@other.test", "Subject: Across", "", "Seen on the projector.", ".", "QUIT")

	const items = `[...document.querySelectorAll('#flow-list li')].map(li => li.textContent)`
	out, back := flowItem("mail.example.test", "mx.other.test", ""), flowItem("mx.other.test", "mail.example.test", "")
	waitFor(t, ctx, "the relay session's QUIT in the list", fmt.Sprintf(`%s.some(s => s.startsWith(%q))`, items, out+"QUIT"))
	waitFor(t, ctx, "the queue handing the message on", `!!document.querySelector('#flow-scroll .fstep-note.q-relayed[data-from="mail.example.test"]')`)
	client := flowItem("192.0.2.7", "mail.example.test", "")
	wants := []string{
		client + "EHLO pc.example.test", client + "AUTH PLAIN ••••", client + "RCPT TO:<bob@other.test>",
		flowItem("mail.example.test", "192.0.2.7", "250 2.0.0 Ok: queued as "),
		back + "220 mx.other.test", out + "EHLO mail.example.test", out + "RCPT TO:<bob@other.test>", back + "250 2.1.5",
		out + "DATA", back + "354 ", back + "250 2.0.0 Ok: queued as ", out + "QUIT",
	}
	list := js[[]string](t, ctx, items)
	if missing := inOrder(list, wants); missing != "" {
		t.Errorf("the live page's list lacks %q, in its place:\n%s", missing, strings.Join(list, "\n"))
	}
	all := strings.Join(list, "\n")
	if strings.Contains(all, "AGFsaWNl") || strings.Contains(all, "192.0.2.8") || strings.Contains(all, "local.example.test") {
		t.Errorf("the live page's list shows the credentials or the local client's session:\n%s", all)
	}
	lanes := js[[]string](t, ctx, `[...document.querySelectorAll('#flow-scroll .flow-top [data-lane]')].map(g => g.dataset.lane)`)
	if strings.Join(lanes, " ") != "client:192.0.2.7 mail.example.test mx.other.test mailbox" {
		t.Errorf("the lifelines: %q, want the client's, both servers', the mailbox's", lanes)
	}
	if name := js[string](t, ctx, `document.querySelector('#flow-scroll .flow-top [data-lane="client:192.0.2.7"] .lane-name').textContent`); name != "192.0.2.7" {
		t.Errorf("the client's lifeline is named %q", name)
	}
	if !js[bool](t, ctx, `!!document.querySelector('#flow-scroll .fstep-deliver[data-from="mx.other.test"][data-to="mailbox"]')`) {
		t.Error("no arrow from mx.other.test into the mailbox")
	}
	// Projected, the drawing's text is as large as the page's.
	if h := js[float64](t, ctx, `document.querySelector('#flow-scroll .flow-body .label').getBoundingClientRect().height`); h < 19 {
		t.Errorf("projector mode: the diagram's labels are %.1f px high", h)
	}
	if fs := js[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector('#flow-title')).fontSize)`); fs < 24 {
		t.Errorf("projector mode: the panel's title is %.0f px", fs)
	}
	if axeSourceOK() {
		checkAxe(t, ctx, &axeTally{}, "fr live, between servers, projector")
	}
	shotOf(t, ctx, "#panel-flow", "live-between-servers-fr.png")

	// After a reload, the kept sessions and the queue's news draw it again.
	open(t, ctx, ts.URL+"/live")
	waitFor(t, ctx, "the replay", fmt.Sprintf(`%s.length === %d`, items, len(list)))
	again := js[[]string](t, ctx, items)
	relayed := strings.NewReplacer("{host}", "mail.example.test", "{what}", strings.ReplaceAll(web.T("fr", "js.flow.svg.relayed"), "{host}", "mx.other.test")).Replace(web.T("fr", "js.flow.item.note"))
	if missing := inOrder(again, append(wants, relayed)); missing != "" {
		t.Errorf("after a reload, the list lacks %q, in its place:\n%s", missing, strings.Join(again, "\n"))
	}
	if !js[bool](t, ctx, `!!document.querySelector('#flow-scroll .fstep-note.q-relayed[data-from="mail.example.test"]')`) {
		t.Error("after a reload, the queue's handing on is not drawn")
	}
}

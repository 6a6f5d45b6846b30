package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// classBrowsers starts one headless Chromium and gives n tabs, each in its
// own browser context: separate cookies and storage, as n people on n
// computers. The whole test is bounded by limit.
func classBrowsers(t *testing.T, n int, limit time.Duration) []context.Context {
	t.Helper()
	actx, cancelAlloc := allocator(t, 1366, 768)
	actx, cancelTimeout := context.WithTimeout(actx, limit)
	root, cancelRoot := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelRoot(); cancelTimeout(); cancelAlloc() })
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	var out []context.Context
	for range n {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("new browser context: %v", err)
		}
		out = append(out, ctx)
	}
	return out
}

// sendLine types one line in the terminal and waits for the server's next
// reply, which must carry code.
func sendLine(t *testing.T, ctx context.Context, line, code string) {
	t.Helper()
	before := js[int](t, ctx, `document.querySelectorAll('#term-out .reply').length`)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#term-input"), line+kb.Enter))
	waitFor(t, ctx, fmt.Sprintf("reply %s to %q", code, line), fmt.Sprintf(
		`(r => r.length > %d && r[r.length-1].dataset.code === %q)(document.querySelectorAll('#term-out .reply'))`, before, code))
}

// telnet opens a session from the shell and waits for the greeting.
func telnet(t *testing.T, ctx context.Context, host string) {
	t.Helper()
	waitFor(t, ctx, "the shell", `document.getElementById('term').dataset.mode === 'shell'`)
	sendLine(t, ctx, "telnet "+host+" 25", "220")
	waitFor(t, ctx, "an SMTP session", `document.getElementById('term').dataset.mode === 'session'`)
}

// classShot takes a full-page PNG; it is written to web/screenshots only
// when SMTPLAB_SCREENSHOTS=1, so that normal runs leave the tree alone.
func classShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("SMTPLAB_SCREENSHOTS") != "1" {
		return
	}
	dir := filepath.Join("..", "web", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserClassroom is a class in four browsers: the teacher creates it
// and keeps the dashboard open, three students join with its code, Léa
// writes to Tom with Zoé in Bcc on the class server, Tom's copy shows no
// trace of Zoé, and a lesson step Léa reaches ticks live on the dashboard
// and lands in the CSV export.
func TestBrowserClassroom(t *testing.T) {
	ts, _ := classApp(t)
	ctxs := classBrowsers(t, 4, 90*time.Second)
	teacher := ctxs[0]
	students := map[string]context.Context{"Léa": ctxs[1], "Tom": ctxs[2], "Zoé": ctxs[3]}

	// 1. The teacher creates « 2nde B » with the Bcc lesson.
	do(t, teacher, chromedp.Navigate(ts.URL+"/teacher?key="+teacherKey), chromedp.WaitVisible(chromedp.CSS("#class-name")))
	do(t, teacher,
		chromedp.SendKeys(chromedp.CSS("#class-name"), "2nde B"),
		chromedp.SetValue(chromedp.CSS("#class-locale"), "fr"),
		chromedp.Click(chromedp.CSS("#pick-bcc")),
	)
	if !js[bool](t, teacher, `document.getElementById('pick-bcc').checked`) {
		t.Fatal("the bcc lesson is not checked")
	}
	do(t, teacher, chromedp.Click(chromedp.CSS(".create-class button[type=submit]")),
		chromedp.WaitReady(chromedp.CSS(`.dashboard[data-class]`)), chromedp.WaitReady(chromedp.CSS(`body[data-ws="open"]`)))
	classID := js[string](t, teacher, `document.querySelector('.dashboard').dataset.class`)
	code := strings.TrimSpace(js[string](t, teacher, `document.querySelector('.big-code').textContent`))
	domain := strings.TrimSpace(js[string](t, teacher, `document.querySelector('.big-domain').textContent`))
	if title := js[string](t, teacher, `document.querySelector('.dash-title h1').textContent`); title != "2nde B" || code == "" || domain != "2nde-b.test" {
		t.Fatalf("dashboard: title %q, code %q, domain %q", title, code, domain)
	}
	t.Logf("class %s: code %s, domain %s", classID, code, domain)
	if js[int](t, teacher, `document.querySelectorAll('th[data-key="bcc/envelope"]').length`) != 1 {
		t.Fatal("the dashboard's grid has no bcc/envelope column")
	}

	// 2. Three students join with the code.
	for _, name := range []string{"Léa", "Tom", "Zoé"} {
		ctx := students[name]
		do(t, ctx, chromedp.Navigate(ts.URL+"/join"), chromedp.WaitVisible(chromedp.CSS("#join-code")))
		if name == "Léa" {
			classShot(t, ctx, "join-fr.png")
		}
		do(t, ctx,
			chromedp.SendKeys(chromedp.CSS("#join-code"), code),
			chromedp.SendKeys(chromedp.CSS("#join-name"), name),
			chromedp.Click(chromedp.CSS(".join-form button[type=submit]")),
			chromedp.WaitReady(chromedp.CSS(".class-home .addr-big")),
		)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		want := strings.NewReplacer("é", "e").Replace(strings.ToLower(name)) + "@2nde-b.test"
		if addr := strings.TrimSpace(js[string](t, ctx, `document.querySelector('.addr-big').textContent`)); !strings.Contains(loc, "/class") || addr != want {
			t.Errorf("%s joined: at %s, address %q, want %q", name, loc, addr, want)
		}
	}
	// The dashboard shows them, live.
	waitFor(t, teacher, "three rows on the dashboard", `document.querySelectorAll('#grid-body tr[data-student]').length === 3`)

	// 3. Léa writes to Tom, Zoé in Bcc, on the class server.
	lea := students["Léa"]
	open(t, lea, ts.URL+"/sandbox")
	telnet(t, lea, "mail."+domain)
	for _, c := range [][2]string{
		{"HELO lea.example", "250"},
		{"MAIL FROM:<lea@2nde-b.test>", "250"},
		{"RCPT TO:<tom@2nde-b.test>", "250"},
		{"RCPT TO:<zoe@2nde-b.test>", "250"},
		{"DATA", "354"},
	} {
		sendLine(t, lea, c[0], c[1])
	}
	waitFor(t, lea, "DATA mode", `document.getElementById('term').dataset.mode === 'data'`)
	typeLines(t, lea, "From: lea@2nde-b.test", "To: tom@2nde-b.test", "Bcc: zoe@2nde-b.test", "Subject: Fete", "", "Samedi.")
	sendLine(t, lea, ".", "250")
	sendLine(t, lea, "QUIT", "221")
	waitFor(t, lea, "connection closed", `document.getElementById('term').dataset.mode === 'shell'`)

	// 4. Tom and Zoé each find one copy in their class mailbox.
	shown := map[string]string{}
	for _, name := range []string{"Tom", "Zoé"} {
		ctx := students[name]
		box := strings.NewReplacer("é", "e").Replace(strings.ToLower(name)) + "@2nde-b.test"
		open(t, ctx, ts.URL+"/sandbox")
		sel := fmt.Sprintf(`#mailboxes [data-user=%q] .msg`, box)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('`+sel+`').length >= 1`, chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("%s's mailboxes: %v\n%s", name, err, js[string](t, ctx, `document.getElementById('mailboxes').innerText`))
		}
		if n := js[int](t, ctx, `document.querySelectorAll('`+sel+`').length`); n != 1 {
			t.Errorf("%s's class mailbox shows %d messages, want 1", name, n)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(sel)))
		waitFor(t, ctx, name+"'s message", `document.getElementById('msg-dialog').open && document.getElementById('msg-raw').textContent.includes('Samedi.')`)
		shown[name] = js[string](t, ctx, `document.getElementById('msg-dialog').innerText`) + "\n" +
			js[string](t, ctx, `document.getElementById('mailboxes').innerText`)
	}
	if strings.Contains(strings.ToLower(shown["Tom"]), "zoe") {
		t.Errorf("Tom's copy shows Zoé:\n%s", shown["Tom"])
	}
	if !strings.Contains(shown["Zoé"], "Subject: Fete") {
		t.Errorf("Zoé's copy:\n%s", shown["Zoé"])
	}

	// 5. Léa reaches the first step of the Bcc lesson: it ticks on the
	// dashboard, which stayed open.
	open(t, lea, ts.URL+"/lessons/bcc")
	telnet(t, lea, "mail.example.test")
	for _, l := range []string{"HELO client.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "RCPT TO:<carol@example.test>"} {
		sendLine(t, lea, l, "250")
	}
	waitFor(t, lea, "the step ticked on Léa's page", `document.getElementById('step-envelope').classList.contains('done')`)
	cell := `document.querySelector('#grid-body tr[data-name="Léa"] td[data-cell="bcc/envelope"]')`
	waitFor(t, teacher, "the dashboard tick", `(c => !!c && c.classList.contains('done') && !!c.querySelector('.tick'))(`+cell+`)`)
	if js[bool](t, teacher, `location.pathname !== '/teacher/classes/`+classID+`'`) {
		t.Errorf("the dashboard was reloaded: %s", js[string](t, teacher, `location.href`))
	}
	for _, other := range []string{"Tom", "Zoé"} {
		if js[bool](t, teacher, fmt.Sprintf(`document.querySelector('#grid-body tr[data-name=%q] td[data-cell="bcc/envelope"]').classList.contains('done')`, other)) {
			t.Errorf("%s's bcc/envelope cell ticked too", other)
		}
	}
	classShot(t, teacher, "dashboard-fr.png")

	// 6. The CSV export has Léa's step.
	csv, err := chromedp.Run(teacher, chromedp.Evaluate[string](
		`fetch('/teacher/classes/`+classID+`/progress.csv').then(r => r.ok ? r.text() : 'HTTP ' + r.status)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("progress.csv:\n%s", csv)
	if !strings.Contains(csv, "Léa,lea@2nde-b.test,bcc,envelope,") {
		t.Errorf("progress.csv:\n%s", csv)
	}
}

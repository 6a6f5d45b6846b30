package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"smtplab/classroom"
	"smtplab/lessons"
	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/server"
	"smtplab/storage"
)

const teacherKey = "k3y-for-tests"

// classApp is a server in classroom mode on an in-memory store.
func classApp(t *testing.T) (*httptest.Server, *classroom.Manager) {
	t.Helper()
	lib, err := lessons.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	st := storage.NewMemory()
	m, err := classroom.NewManager(classroom.Config{Repo: st.Classroom(), Mailboxes: st.Mailboxes})
	if err != nil {
		t.Fatal(err)
	}
	w := sandbox.NewWorld(sandbox.Config{Name: "default", Directory: m.World})
	s := server.New(server.Config{World: w, Lessons: lib, NewSession: engine.New, Classroom: m, TeacherKey: teacherKey})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return ts, m
}

// person is one person's browser: its own cookies.
type person struct {
	t  *testing.T
	ts *httptest.Server
	c  *http.Client
}

func newPerson(t *testing.T, ts *httptest.Server) *person {
	jar, _ := cookiejar.New(nil)
	return &person{t: t, ts: ts, c: &http.Client{Jar: jar}}
}

func (b *person) do(req *http.Request) (int, string) {
	b.t.Helper()
	req.Header.Set("Accept-Language", "fr")
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func (b *person) get(path string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, b.ts.URL+path, nil)
	return b.do(req)
}

func (b *person) post(path string, form url.Values) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, b.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the form token of the page at path.
func (b *person) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no csrf field on %s:\n%.500s", path, body)
	}
	return m[1]
}

// ws opens the page WebSocket with this browser's cookies.
func (b *person) ws() *wsClient {
	b.t.Helper()
	u, _ := url.Parse(b.ts.URL)
	var parts []string
	for _, c := range b.c.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	ws, _, err := dialWS(b.ts, http.Header{"Origin": {b.ts.URL}, "Cookie": {strings.Join(parts, "; ")}})
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { ws.Close() })
	return &wsClient{t: b.t, ws: ws}
}

func (b *person) join(code, name string) {
	b.t.Helper()
	status, body := b.post("/join", url.Values{"code": {code}, "name": {name}, "csrf": {b.csrf("/join")}})
	if status != http.StatusOK || !strings.Contains(body, "@") {
		b.t.Fatalf("join as %s: %d\n%.500s", name, status, body)
	}
}

func TestTeacherPagesNeedTheKey(t *testing.T) {
	ts, m := classApp(t)
	c, _ := m.Create("2nde B", "fr", nil)
	anon := newPerson(t, ts)
	for _, path := range []string{"/teacher", "/teacher?key=wrong", "/teacher/classes/" + c.ID,
		"/teacher/classes/" + c.ID + "/progress.csv", "/teacher/classes/" + c.ID + "/transcripts.txt",
		"/teacher/classes/" + c.ID + "/projector"} {
		if status, body := anon.get(path); status != http.StatusForbidden || !strings.Contains(body, "teacher?key=") {
			t.Errorf("GET %s without the key: %d", path, status)
		}
	}
	if status, _ := anon.post("/teacher/classes", url.Values{"name": {"x"}}); status != http.StatusForbidden {
		t.Errorf("POST without the key: %d", status)
	}
	// A student's cookie is no teacher key.
	lea := newPerson(t, ts)
	lea.join(c.Code, "Léa")
	if status, _ := lea.get("/teacher"); status != http.StatusForbidden {
		t.Errorf("a student reaches /teacher: %d", status)
	}
	ws := lea.ws()
	ws.send(map[string]any{"t": "hello", "page": "teacher", "class": c.ID})
	if m := ws.read(); !m.isError("teacher") {
		t.Errorf("a student's teacher hello got %s", m)
	}

	teacher := newPerson(t, ts)
	if status, body := teacher.get("/teacher?key=" + teacherKey); status != http.StatusOK || !strings.Contains(body, "2nde B") {
		t.Fatalf("with the key: %d", status)
	}
	// The form needs its token.
	if status, _ := teacher.post("/teacher/classes", url.Values{"name": {"No token"}}); status != http.StatusForbidden {
		t.Errorf("POST without csrf: %d", status)
	}
	if status, _ := teacher.post("/teacher/classes", url.Values{"name": {"CM2"}, "locale": {"fr"}, "csrf": {teacher.csrf("/teacher")}}); status != http.StatusOK {
		t.Errorf("create: %d", status)
	}
	if len(m.Classes()) != 2 {
		t.Errorf("classes: %d", len(m.Classes()))
	}
}

// TestClassMailAndPrivacy: Léa writes to Tom with Zoé in Bcc on the class
// server; each sees their own copy, Tom's shows no trace of Zoé, and nobody
// reaches a classmate's mailbox, even with a forged request.
func TestClassMailAndPrivacy(t *testing.T) {
	ts, m := classApp(t)
	c, _ := m.Create("2nde B", "fr", []string{"bcc"})
	people := map[string]*person{}
	for _, name := range []string{"Léa", "Tom", "Zoé"} {
		people[name] = newPerson(t, ts)
		people[name].join(c.Code, name)
	}
	lea := people["Léa"].ws()
	lea.hello(nil)
	lea.send(map[string]any{"t": "open", "proto": "smtp", "world": "class"})
	lea.untilReply(220)
	lea.send(input("HELO lea.example", "MAIL FROM:<lea@2nde-b.test>", "RCPT TO:<tom@2nde-b.test>", "RCPT TO:<zoe@2nde-b.test>",
		"DATA", "From: lea@2nde-b.test", "To: tom@2nde-b.test", "Bcc: zoe@2nde-b.test", "Subject: Fete", "", "Samedi.", ".", "QUIT"))
	lea.untilReply(221)

	copyOf := func(name, box string) map[string]any {
		ws := people[name].ws()
		_, boxes, _ := ws.hello(nil)
		if got := boxes.box(box); len(got) != 1 {
			t.Fatalf("%s's box %s: %v\n%s", name, box, got, boxes)
		}
		for _, other := range []string{"lea@2nde-b.test", "tom@2nde-b.test", "zoe@2nde-b.test"} {
			if other != box && strings.Contains(boxes.frame, `"user":"`+other+`"`) {
				t.Errorf("%s sees the box of %s", name, other)
			}
		}
		var snap struct {
			Boxes []struct {
				User     string
				Messages []struct{ UID string }
			}
		}
		json.Unmarshal([]byte(boxes.frame), &snap)
		uid := snap.Boxes[0].Messages[0].UID
		ws.send(map[string]string{"t": "raw", "mailbox": box, "uid": uid})
		raw, _ := ws.untilT("raw")
		// A forged request for a classmate's box is refused.
		for _, other := range []string{"lea@2nde-b.test", "tom@2nde-b.test", "zoe@2nde-b.test", "postmaster@2nde-b.test"} {
			if other == box {
				continue
			}
			ws.send(map[string]string{"t": "raw", "mailbox": other, "uid": uid})
			if got := ws.read(); !got.isError("no_message") {
				t.Errorf("%s read %s's mail: %.200s", name, other, got.frame)
			}
		}
		var msg map[string]any
		json.Unmarshal([]byte(raw.frame), &msg)
		return msg
	}
	tom := copyOf("Tom", "tom@2nde-b.test")
	if strings.Contains(strings.ToLower(tom["raw"].(string)), "zoe") || tom["bcc"] != nil {
		t.Errorf("Tom's copy shows Zoé:\n%v", tom["raw"])
	}
	zoe := copyOf("Zoé", "zoe@2nde-b.test")
	if !strings.Contains(zoe["raw"].(string), "Subject: Fete") {
		t.Errorf("Zoé's copy:\n%v", zoe["raw"])
	}
}

// TestProgressReachesTheDashboard: a step a student reaches ticks live on
// the teacher's dashboard and lands in the CSV export.
func TestProgressReachesTheDashboard(t *testing.T) {
	ts, m := classApp(t)
	c, _ := m.Create("2nde B", "fr", []string{"bcc"})
	teacher := newPerson(t, ts)
	teacher.get("/teacher?key=" + teacherKey)
	dash := teacher.ws()
	dash.send(map[string]any{"t": "hello", "page": "teacher", "class": c.ID})
	dash.untilT("welcome")

	lea := newPerson(t, ts)
	lea.join(c.Code, "Léa")
	ws := lea.ws()
	ws.hello(map[string]any{"page": "lesson", "lesson": "bcc", "done": []string{"envelope", "hidden", "bcc-header"}})
	ws.send(openMsg("smtp"))
	ws.untilReply(220)
	ws.send(input("HELO client.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "RCPT TO:<carol@example.test>"))
	progress, _ := ws.untilT("progress")
	if !strings.Contains(progress.frame, `"envelope"`) || strings.Contains(progress.frame, `"hidden"`) {
		t.Errorf("progress trusts the browser's done list or missed the step: %s", progress.frame)
	}
	tick, _ := dash.untilT("tick")
	if !strings.Contains(tick.frame, `"bcc/envelope"`) {
		t.Errorf("tick %s", tick.frame)
	}
	status, csv := teacher.get("/teacher/classes/" + c.ID + "/progress.csv")
	if status != http.StatusOK || !strings.Contains(csv, "Léa,lea@2nde-b.test,bcc,envelope,") {
		t.Errorf("CSV %d:\n%s", status, csv)
	}
	_, txt := teacher.get("/teacher/classes/" + c.ID + "/transcripts.txt")
	if !strings.Contains(txt, "RCPT TO:<carol@example.test>") {
		t.Errorf("transcripts:\n%s", txt)
	}
}

// TestJoinCodeGuessingIsLimited: after JoinAttempts wrong codes from one
// address, even the right code waits.
func TestJoinCodeGuessingIsLimited(t *testing.T) {
	ts, m := classApp(t)
	c, _ := m.Create("2nde B", "fr", nil)
	b := newPerson(t, ts)
	token := b.csrf("/join")
	for i := 0; i < server.JoinAttempts; i++ {
		if status, _ := b.post("/join", url.Values{"code": {"WRONG" + string(rune('A'+i))}, "name": {"Eve"}, "csrf": {token}}); status != http.StatusBadRequest {
			t.Fatalf("wrong code %d: %d", i, status)
		}
	}
	if status, _ := b.post("/join", url.Values{"code": {c.Code}, "name": {"Eve"}, "csrf": {token}}); status != http.StatusTooManyRequests {
		t.Errorf("after %d wrong codes: %d, want 429", server.JoinAttempts, status)
	}
}

func TestCSVCellsAreNotFormulas(t *testing.T) {
	ts, m := classApp(t)
	c, _ := m.Create("2nde B", "fr", []string{"bcc"})
	st, _, _ := m.Join(c.Code, "=HYPERLINK(1)")
	m.Repo().AddStep(classroom.Step{StudentID: st.ID, Lesson: "bcc", Step: "envelope"})
	teacher := newPerson(t, ts)
	teacher.get("/teacher?key=" + teacherKey)
	_, csv := teacher.get("/teacher/classes/" + c.ID + "/progress.csv")
	if !strings.Contains(csv, "'=HYPERLINK(1)") {
		t.Errorf("formula not neutralised:\n%s", csv)
	}
}

// TestClassLessonPage: a class lesson is for students: a visitor is sent to
// the join page; a student sees it filled with their class server and
// classmates, and its goals tick on their own session in the class world.
func TestClassLessonPage(t *testing.T) {
	ts, m := classApp(t)
	c, _ := m.Create("2nde B", "en", []string{"class-bcc"})
	anon := newPerson(t, ts)
	if status, body := anon.get("/lessons/class-bcc"); status != http.StatusOK || !strings.Contains(body, `name="code"`) {
		t.Errorf("a visitor on a class lesson: %d, not the join form", status)
	}
	if _, body := anon.get("/lessons"); strings.Contains(body, "/lessons/class-bcc") {
		t.Error("a visitor's lesson list offers a class lesson")
	}
	people := map[string]*person{}
	for _, name := range []string{"Léa", "Tom", "Zoé"} {
		people[name] = newPerson(t, ts)
		people[name].join(c.Code, name)
	}
	_, page := people["Léa"].get("/lessons/class-bcc")
	if strings.Contains(page, "{{") || !strings.Contains(page, "mail.2nde-b.test") || !strings.Contains(page, "tom@2nde-b.test") {
		t.Fatalf("the lesson is not filled for Léa:\n%.3000s", page)
	}
	if lang := langOf(t, page); lang != "en" {
		t.Errorf("Léa's page is in %q, the class's language is en", lang)
	}
	tom := people["Tom"].ws()
	tom.hello(map[string]any{"page": "lesson", "lesson": "class-bcc"})
	ws := people["Léa"].ws()
	ws.hello(map[string]any{"page": "lesson", "lesson": "class-bcc"})
	ws.send(map[string]any{"t": "open", "proto": "smtp", "world": "class"})
	ws.untilReply(220)
	ws.send(input("EHLO lea.example"))
	var progress srvMsg
	for progress.T != "progress" || !strings.Contains(progress.frame, `"connect"`) {
		progress, _ = ws.untilT("progress")
	}
	// Léa's session in the shared class world ticks nothing for Tom.
	for _, m := range tom.sync() {
		if m.T == "progress" && strings.Contains(m.frame, `"connect"`) {
			t.Errorf("Léa's EHLO ticked Tom's step: %s", m.frame)
		}
	}
}

// TestTeacherWatchesAStudent: the watch page gets the student's terminal
// as the student sees it, live, even for a terminal opened after the page;
// only with the teacher's key.
func TestTeacherWatchesAStudent(t *testing.T) {
	ts, m := classApp(t)
	c, _ := m.Create("2nde B", "fr", nil)
	lea := newPerson(t, ts)
	lea.join(c.Code, "Léa")
	st := m.Classes()[0].Students()[0]

	teacher := newPerson(t, ts)
	teacher.get("/teacher?key=" + teacherKey)
	if status, body := teacher.get("/teacher/classes/" + c.ID + "/students/" + st.ID); status != http.StatusOK || !strings.Contains(body, "lea@2nde-b.test") {
		t.Fatalf("watch page: %d", status)
	}
	watch := teacher.ws()
	watch.send(map[string]any{"t": "hello", "page": "watch", "class": c.ID, "student": st.ID})
	watch.untilT("replayed")

	ws := lea.ws()
	ws.hello(nil)
	ws.send(map[string]any{"t": "open", "proto": "smtp", "world": "class"})
	ws.send(input("HELO lea.example", "DATA"))
	ws.untilReply(503)
	got, _ := watch.untilReply(503)
	if got.X == nil || got.X.Reply == nil || got.X.Reply.Reason == "" {
		t.Errorf("the teacher's copy is not explained: %s", got.frame)
	}
	// The common mistake reaches the dashboard's records.
	_, body := teacher.get("/teacher/classes/" + c.ID)
	if !strings.Contains(body, "503 5.5.1") {
		t.Errorf("the dashboard does not list the 503 among the mistakes")
	}
}

// TestMailProgramReachesTheStudentsPanel: a mail program on the TCP ports
// that delivers to a student, then reads and deletes it over POP3, changes
// the student's panel at once.
func TestMailProgramReachesTheStudentsPanel(t *testing.T) {
	lib, _ := lessons.Builtin()
	st := storage.NewMemory()
	m, _ := classroom.NewManager(classroom.Config{Repo: st.Classroom(), Mailboxes: st.Mailboxes})
	shared := sandbox.NewWorld(sandbox.Config{Name: "default", Directory: m.World})
	s := server.New(server.Config{World: shared, Lessons: lib, NewSession: engine.New, Classroom: m, TeacherKey: teacherKey})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	c, _ := m.Create("2nde B", "fr", nil)
	lea := newPerson(t, ts)
	lea.join(c.Code, "Léa")
	student := m.Classes()[0].Students()[0]
	ws := lea.ws()
	ws.hello(nil)

	peer := sandbox.Peer{Remote: "192.0.2.9:40000", Transport: "tcp"}
	smtpSess := engine.New(shared, sandbox.SMTP, peer)
	smtpSess.Start()
	sandbox.FeedAll(smtpSess, []byte("HELO pc.example\r\nMAIL FROM:<bob@example.test>\r\nRCPT TO:<lea@2nde-b.test>\r\nDATA\r\nSubject: from a program\r\n\r\nhi\r\n.\r\nQUIT\r\n"))
	ws.until("Léa's box with the message", func(m srvMsg) bool { return m.T == "mailboxes" && len(m.box("lea@2nde-b.test")) == 1 })
	pop := engine.New(shared, sandbox.POP3, peer)
	pop.Start()
	out := sandbox.FeedAll(pop, []byte("USER lea@2nde-b.test\r\nPASS "+student.Password+"\r\nDELE 1\r\nQUIT\r\n"))
	if !strings.Contains(string(out.Bytes()), "+OK") {
		t.Fatalf("POP3 as the student: %s", out.Bytes())
	}
	ws.until("Léa's box emptied", func(m srvMsg) bool { return m.T == "mailboxes" && len(m.box("lea@2nde-b.test")) == 0 })
}

package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"smtplab/internal/pagews"
)

// process is smtplab running as a process of its own.
type process struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	addrs  map[string]string // where each service listens, from the log
	exited chan error
}

// startProcess runs smtplab on a data folder with every service on a free
// loopback port.
func startProcess(t *testing.T, data string) *process {
	t.Helper()
	return startBinary(t, nil, "-data", data, "-teacher-key", "restart-key",
		"-http", "127.0.0.1:0", "-smtp", "127.0.0.1:0", "-pop3", "127.0.0.1:0", "-pop2", "127.0.0.1:0")
}

// startBinary runs the test binary as smtplab with args, under wrapper if
// given (prlimit …), without the caller's SMTPLAB_* variables, and waits
// until its log says every service is up. It is killed when the test ends.
func startBinary(t *testing.T, wrapper []string, args ...string) *process {
	t.Helper()
	p := &process{stderr: &syncBuffer{}, addrs: map[string]string{}, exited: make(chan error, 1)}
	argv := append(append(append([]string(nil), wrapper...), os.Args[0]), args...)
	p.cmd = exec.Command(argv[0], argv[1:]...)
	// With -race, no second of sleep at exit.
	p.cmd.Env = []string{runMainEnv + "=1", "GORACE=atexit_sleep_ms=0"}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("smtplab's stderr:\n%s", p.stderr.String())
		}
	})
	listening := regexp.MustCompile(`msg=listening service=(\w+) addr=(\S+)`)
	// "data kept" is logged once every service is bound.
	waitFor(t, "smtplab to listen", func() bool {
		for _, m := range listening.FindAllStringSubmatch(p.stderr.String(), -1) {
			p.addrs[m[1]] = m[2]
		}
		return strings.Contains(p.stderr.String(), "msg=\"data kept")
	})
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("smtplab exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("smtplab did not stop after SIGTERM")
	}
}

type webClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newWebClient(t *testing.T, addr string) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{t: t, base: "http://" + addr, c: &http.Client{Jar: jar}}
}

func (w *webClient) get(path string) string {
	w.t.Helper()
	res, err := w.c.Get(w.base + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		w.t.Fatalf("GET %s: %d\n%.300s", path, res.StatusCode, b)
	}
	return string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (w *webClient) post(page, path string, form url.Values) string {
	w.t.Helper()
	m := csrfInput.FindStringSubmatch(w.get(page))
	if m == nil {
		w.t.Fatalf("no form token on %s", page)
	}
	form.Set("csrf", m[1])
	res, err := w.c.PostForm(w.base+path, form)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		w.t.Fatalf("POST %s: %d\n%.300s", path, res.StatusCode, b)
	}
	return string(b)
}

// TestRestartKeepsTheClass: a class, its students and their mail, and the
// shared world's mail acknowledged during a SIGTERM, are all back after a
// restart on the same data folder; a real POP3 client then reads them.
func TestRestartKeepsTheClass(t *testing.T) {
	data := t.TempDir()
	p := startProcess(t, data)

	teacher := newWebClient(t, p.addrs["http"])
	teacher.get("/teacher?key=restart-key")
	teacher.post("/teacher", "/teacher/classes", url.Values{"name": {"2nde B"}, "locale": {"fr"}})
	code := ""
	for _, m := range regexp.MustCompile(`\b[ACEFHKMNPRTWXY3479]{6}\b`).FindAllString(teacher.get("/teacher"), -1) {
		code = m
	}
	if code == "" {
		t.Fatal("no join code on the teacher's page")
	}
	lea := newWebClient(t, p.addrs["http"])
	lea.post("/join", "/join", url.Values{"code": {code}, "name": {"Léa"}})
	tom := newWebClient(t, p.addrs["http"])
	page := tom.post("/join", "/join", url.Values{"code": {code}, "name": {"Tom"}})
	pw := regexp.MustCompile(`\b[acefhkmnprtwxy3479]{8}\b`).FindString(page)
	if pw == "" {
		t.Fatalf("no password on Tom's page:\n%.2000s", page)
	}

	// Léa reaches the first step of lesson 4 in her browser terminal.
	lea.lessonStep(t, "bcc", []string{"HELO client.example.test", "MAIL FROM:<alice@example.test>",
		"RCPT TO:<bob@example.test>", "RCPT TO:<carol@example.test>"}, "envelope")

	// Léa writes to Tom over the real SMTP port.
	sendMail(t, p.addrs["smtp"], "lea@2nde-b.test", []string{"tom@2nde-b.test"}, "Subject: Avant\r\n\r\nAvant le redemarrage.\r\n")

	// Sessions deliver to alice while SIGTERM comes: each 250 must survive.
	var mu sync.Mutex
	acked := 0
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialQuiet(p.addrs["smtp"])
			if err != nil {
				return
			}
			defer c.Close()
			if c.say("") != "220" || c.say("HELO c.test") != "250" || c.say("MAIL FROM:<bob@example.test>") != "250" ||
				c.say("RCPT TO:<alice@example.test>") != "250" || c.say("DATA") != "354" {
				return
			}
			if c.say("Subject: during\r\n\r\nx\r\n.") == "250" {
				mu.Lock()
				acked++
				mu.Unlock()
			}
		}()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= 10 && i < 49 {
			p.cmd.Process.Signal(syscall.SIGTERM)
			i = 49 // no more sessions: the rest is the shutdown's
		}
	}
	wg.Wait()
	p.stop(t)

	p2 := startProcess(t, data)
	teacher2 := newWebClient(t, p2.addrs["http"])
	home := teacher2.get("/teacher?key=restart-key")
	if !strings.Contains(home, "2nde B") || !strings.Contains(home, code) {
		t.Fatalf("the class is gone after the restart:\n%.1000s", home)
	}
	tom.base = "http://" + p2.addrs["http"] // cookies belong to the host, not the port
	if back := tom.get("/class"); !strings.Contains(back, "tom@2nde-b.test") {
		t.Errorf("Tom's cookie no longer finds him")
	}
	classID := regexp.MustCompile(`/teacher/classes/([0-9a-f]{32})`).FindStringSubmatch(home)
	if classID == nil {
		t.Fatal("no link to the class's dashboard")
	}
	if csv := teacher2.get("/teacher/classes/" + classID[1] + "/progress.csv"); !strings.Contains(csv, "Léa,lea@2nde-b.test,bcc,envelope,") {
		t.Errorf("Léa's progress is gone after the restart:\n%s", csv)
	}
	if txt := teacher2.get("/teacher/classes/" + classID[1] + "/transcripts.txt"); !strings.Contains(txt, "RCPT TO:<carol@example.test>") {
		t.Errorf("Léa's transcript is gone after the restart:\n%s", txt)
	}
	pop := dialPOP3(t, p2.addrs["pop3"])
	pop.login("tom@2nde-b.test", pw)
	if n, _ := pop.stat(); n != 1 || !strings.Contains(pop.retr(1), "Avant le redemarrage.") {
		t.Errorf("Tom's mailbox after the restart: %d messages", n)
	}
	pop.quit()
	alice := dialPOP3(t, p2.addrs["pop3"])
	alice.login("alice", "alice")
	if acked == 0 {
		t.Error("no session got its 250 before the shutdown: the test proved nothing")
	}
	if n, _ := alice.stat(); n < acked {
		t.Errorf("%d messages acknowledged during SIGTERM, %d back after the restart", acked, n)
	}
	t.Logf("%d sessions got their 250 before the shutdown; all are back", acked)
}

// quietConn is an SMTP client for goroutines: it reports failures as
// answers instead of failing the test.
type quietConn struct {
	nc net.Conn
	rd *bufio.Reader
}

func dialQuiet(addr string) (*quietConn, error) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &quietConn{nc: nc, rd: bufio.NewReader(nc)}, nil
}

// say sends line (none if empty) and returns the reply's code, "" on error.
func (c *quietConn) say(line string) string {
	if line != "" {
		if _, err := c.nc.Write([]byte(line + "\r\n")); err != nil {
			return ""
		}
	}
	for {
		l, err := c.rd.ReadString('\n')
		if err != nil || len(l) < 4 {
			return ""
		}
		if l[3] != '-' {
			return l[:3]
		}
	}
}

func (c *quietConn) Close() error { return c.nc.Close() }

// lessonStep opens the page WebSocket with the client's cookies, follows a
// lesson, types lines in an SMTP session of the practice server and waits
// until the server says step is done.
func (w *webClient) lessonStep(t *testing.T, lesson string, lines []string, step string) {
	t.Helper()
	u, _ := url.Parse(w.base)
	var cookies []string
	for _, c := range w.c.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+u.Host+"/ws", http.Header{"Origin": {w.base}, "Cookie": {strings.Join(cookies, "; ")}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	pages := &pagews.Reader{WS: ws}
	ws.SetReadDeadline(time.Now().Add(ioTimeout))
	send := func(v any) {
		if err := ws.WriteJSON(v); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"t": "hello", "page": "lesson", "lesson": lesson})
	send(map[string]any{"t": "open", "proto": "smtp"})
	send(map[string]any{"t": "input", "lines": lines})
	for {
		var m struct {
			T    string
			Done []string
		}
		if err := pages.Next(&m); err != nil {
			t.Fatalf("waiting for step %s: %v", step, err)
		}
		if m.T == "progress" && slices.Contains(m.Done, step) {
			return
		}
	}
}

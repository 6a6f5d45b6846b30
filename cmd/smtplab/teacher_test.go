package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"smtplab/internal/pagews"
)

// A teacher's lesson, written from lessons/README.md alone.
const teacherLesson = `---
title: Say hello to the postmaster
summary: Every domain must accept mail for postmaster.
---

RFC 5321 says every mail domain accepts mail for postmaster.

## Write to the postmaster {#postmaster}

Connect, and send a short message to ` + "`postmaster@example.test`" + `.

` + "```goal" + `
reply verb=RCPT code=250
message rcpts=1 subject=hello_postmaster
` + "```" + `

` + "```solution" + `
telnet mail.example.test 25
HELO school.example.test
MAIL FROM:<bob@example.test>
RCPT TO:<postmaster@example.test>
DATA
Subject: Hello postmaster

Just checking.
.
` + "```" + `
`

// TestTeacherLessons starts smtplab with -lessons on a folder holding a good
// lesson and a broken one: the broken one is reported with its file and
// line, the good one is listed, served, and its goal ticks over the socket.
func TestTeacherLessons(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("50-postmaster.en.md", teacherLesson)
	write("50-postmaster.fr.md", strings.Replace(teacherLesson, "Say hello to the postmaster", "Saluer le postmaster", 1))
	write("51-broken.en.md", "---\ntitle: Broken\nsummary: x\n---\n\n## Step {#s}\n\n```goal\nteleport to=moon\n```\n")

	a := startApp(t, "-http", "127.0.0.1:0", "-lessons", dir)
	logs := a.logs.String()
	if !strings.Contains(logs, "51-broken.en.md:9: unknown goal condition") {
		t.Errorf("the broken lesson is not reported with its file and line:\n%s", logs)
	}
	base := "http://" + a.httpAddr
	list := get(t, base+"/lessons", "en")
	if !strings.Contains(list, `href="/lessons/postmaster"`) || !strings.Contains(list, "Say hello to the postmaster") {
		t.Fatalf("the teacher's lesson is not listed")
	}
	if strings.Contains(list, "/lessons/broken") {
		t.Error("the broken lesson is listed")
	}
	if page := get(t, base+"/lessons/postmaster", "fr"); !strings.Contains(page, "Saluer le postmaster") {
		t.Error("the French version is not served")
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+a.httpAddr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	pages := &pagews.Reader{WS: ws}
	ws.WriteJSON(map[string]any{"t": "hello", "page": "lesson", "lesson": "postmaster"})
	ws.WriteJSON(map[string]any{"t": "open", "proto": "smtp"})
	ws.WriteJSON(map[string]any{"t": "input", "lines": strings.Split(
		"HELO school.example.test\nMAIL FROM:<bob@example.test>\nRCPT TO:<postmaster@example.test>\nDATA\nSubject: Hello postmaster\n\nJust checking.\n.", "\n")})
	deadline := time.Now().Add(10 * time.Second)
	for {
		ws.SetReadDeadline(deadline)
		var m struct {
			T    string   `json:"t"`
			Done []string `json:"done"`
		}
		if err := pages.Next(&m); err != nil {
			t.Fatalf("no progress for the step: %v", err)
		}
		if m.T == "progress" && len(m.Done) == 1 && m.Done[0] == "postmaster" {
			return
		}
	}
}

func get(t *testing.T, url, lang string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Language", lang)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}

package main

import (
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"smtplab/internal/pagews"
	"smtplab/sandbox"
)

// TestLiveShowsRelay: a client logs in on the teaching port and sends to
// bob@other.test; /live shows, beside the client's own session, the
// relay session mail.example.test then opens with mx.other.test, under
// that server's name, each of its replies explained.
func TestLiveShowsRelay(t *testing.T) {
	a := startApp(t, "-http", "127.0.0.1:0")
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+a.httpAddr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	pages := &pagews.Reader{WS: ws}
	ws.WriteJSON(map[string]any{"t": "hello", "page": "live"})

	c, err := smtp.Dial(a.addr(t, "smtp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("pc.example.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(smtp.PlainAuth("", "alice", "alice", "127.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("alice@example.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("bob@other.test"); err != nil {
		t.Fatal(err)
	}
	wc, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	wc.Write([]byte("Subject: across\r\n\r\nSeen on the projector.\r\n"))
	if err := wc.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()

	relay := ""
	var verbs []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		ws.SetReadDeadline(deadline)
		var m struct {
			T  string        `json:"t"`
			Ev sandbox.Event `json:"ev"`
			X  *struct {
				Reply *struct{ Meaning string } `json:"reply"`
			} `json:"x"`
		}
		if err := pages.Next(&m); err != nil {
			t.Fatalf("no relay session on /live (so far: %q, %v): %v", relay, verbs, err)
		}
		ev := m.Ev
		if m.T != "event" {
			continue
		}
		if o := ev.Open; o != nil && o.Transport == sandbox.TransportRelay {
			relay = ev.Session
			if !strings.HasPrefix(relay, "mx.other.test/") || o.Via == nil || o.Via.Host != "mail.example.test" {
				t.Errorf("relay session %q opened with %+v", relay, o)
			}
		}
		if relay == "" || ev.Session != relay {
			continue
		}
		switch {
		case ev.Command != nil:
			verbs = append(verbs, ev.Command.Verb)
		case ev.Reply != nil && (m.X == nil || m.X.Reply == nil || m.X.Reply.Meaning == ""):
			t.Errorf("reply %v of the relay session not explained", ev.Reply.Lines)
		}
		if ev.Kind == sandbox.EventClose {
			break
		}
	}
	if got := strings.Join(verbs, " "); got != "EHLO STARTTLS EHLO MAIL RCPT DATA QUIT" {
		t.Errorf("the relay session's commands on /live: %s", got)
	}
}

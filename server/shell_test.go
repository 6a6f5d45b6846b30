package server_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/shell"
)

// shellFrame is a shell or tap message as the page receives it.
type shellFrame struct {
	T     string `json:"t"`
	Lines []struct {
		Text string `json:"text"`
		Kind string `json:"kind"`
	} `json:"lines"`
	Aside   *bool          `json:"aside"`
	End     string         `json:"end"`
	Proto   string         `json:"proto"`
	Records []shell.Record `json:"records"`
}

func frameOf(t *testing.T, m srvMsg) shellFrame {
	t.Helper()
	var f shellFrame
	if err := json.Unmarshal([]byte(m.frame), &f); err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	return f
}

// command types line at the terminal's prompt and returns everything the
// server sent until the command was over, and how it ended.
func command(t *testing.T, c *wsClient, line string) (end shellFrame, before []srvMsg) {
	t.Helper()
	c.send(map[string]string{"t": "shell", "line": line})
	m, before := c.until("the end of "+line, func(m srvMsg) bool { return m.T == "shell" && strings.Contains(m.frame, `"end"`) })
	return frameOf(t, m), before
}

// printed is the text of the shell's lines among ms.
func printed(t *testing.T, ms []srvMsg) string {
	t.Helper()
	var b strings.Builder
	for _, m := range ms {
		if m.T == "shell" {
			for _, l := range frameOf(t, m).Lines {
				b.WriteString(l.Text + "\n")
			}
		}
	}
	return b.String()
}

func firstEvent(ms []srvMsg, kind sandbox.EventKind) *sandbox.Event {
	for _, m := range ms {
		if m.kind() == kind {
			return m.Ev
		}
	}
	return nil
}

// ehlo sends EHLO and returns its reply's lines.
func ehlo(t *testing.T, c *wsClient) []string {
	t.Helper()
	c.send(input("EHLO client.example.test"))
	m, _ := c.untilReply(250)
	return m.Ev.Reply.Lines
}

func offers(lines []string, keyword string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l[4:], keyword) })
}

func TestShellImplicitTLS(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	end, before := command(t, c, "openssl s_client -connect mail.example.test:465 -crlf -ign_eof")
	if end.End != "session" || end.Proto != "smtp" {
		t.Fatalf("the command ended with %+v:\n%s", end, dump(before))
	}
	out := printed(t, before)
	for _, want := range []string{"CONNECTED(00000003)", "verify error:num=18:self-signed certificate", "subject=O = smtplab, CN = mail.example.test",
		"New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256", "Verify return code: 18 (self-signed certificate)"} {
		if !strings.Contains(out, want) {
			t.Errorf("openssl's report lacks %q:\n%s", want, out)
		}
	}
	open := firstEvent(before, sandbox.EventOpen)
	if open == nil || open.Open.TLS == nil || open.Open.TLS.Version != "TLS 1.3" || open.Open.TLS.Cipher != "TLS_AES_128_GCM_SHA256" ||
		open.Open.TLS.ServerName != "mail.example.test" || open.Open.Service != sandbox.Submission {
		t.Fatalf("open event: %+v", open)
	}
	lines := ehlo(t, c)
	if !offers(lines, "AUTH") || offers(lines, "STARTTLS") {
		t.Errorf("EHLO under implicit TLS: %q", lines)
	}
}

func TestShellStartTLS(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	end, before := command(t, c, "openssl s_client -connect mail.example.test:587 -starttls smtp -crlf")
	if end.End != "session" {
		t.Fatalf("the command ended with %+v:\n%s", end, dump(before))
	}
	tls := firstEvent(before, sandbox.EventTLS)
	if tls == nil || tls.TLS.ServerName != "mail.example.test" {
		t.Fatalf("no tls event before the end of the command:\n%s", dump(before))
	}
	// openssl's own EHLO and STARTTLS are marked as its own exchange.
	var aside []string
	in := false
	for _, m := range before {
		if m.T == "shell" && frameOf(t, m).Aside != nil {
			in = *frameOf(t, m).Aside
		}
		if in && m.kind() == sandbox.EventInput {
			aside = append(aside, m.Ev.Input.Text)
		}
	}
	if !slices.Equal(aside, []string{"EHLO mail.example.com", "STARTTLS"}) {
		t.Errorf("openssl's own lines: %q", aside)
	}
	lines := ehlo(t, c)
	if !offers(lines, "AUTH") || offers(lines, "STARTTLS") {
		t.Errorf("EHLO once secured: %q", lines)
	}
	c.send(input("AUTH PLAIN AGFsaWNlAGFsaWNl"))
	c.untilReply(235)
}

// TestShellSTARTTLSByHand: telnet has the sandbox run its handshake, and
// says so.
func TestShellSTARTTLSByHand(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "fr")
	c.hello(nil)
	if end, before := command(t, c, "telnet mail.example.test 25"); end.End != "session" || !strings.Contains(printed(t, before), "Connected to mail.example.test.") {
		t.Fatalf("telnet: %+v\n%s", end, dump(before))
	}
	if !offers(ehlo(t, c), "STARTTLS") {
		t.Fatal("the teaching port offers no STARTTLS to the terminal")
	}
	c.send(input("STARTTLS"))
	_, before := c.untilReply(220)
	if firstEvent(before, sandbox.EventReply) != nil {
		t.Errorf("a reply before 220: %s", dump(before))
	}
	m, _ := c.until("the tls event", func(m srvMsg) bool { return m.kind() == sandbox.EventTLS })
	if m.Ev.TLS.Version != "TLS 1.3" {
		t.Errorf("tls event: %+v", m.Ev.TLS)
	}
	note, _ := c.untilT("shell")
	if text := printed(t, []srvMsg{note}); !strings.Contains(text, "telnet") || !strings.Contains(text, "openssl s_client -connect mail.example.test:25 -starttls smtp") {
		t.Errorf("the note after the handshake: %q", text)
	}
	if offers(ehlo(t, c), "STARTTLS") {
		t.Error("STARTTLS still offered once secured")
	}
	c.send(input("QUIT"))
	closed, _ := c.until("telnet's last line", func(m srvMsg) bool { return m.T == "shell" })
	if got := printed(t, []srvMsg{closed}); got != "Connection closed by foreign host.\n" {
		t.Errorf("after QUIT: %q", got)
	}
}

// TestShellEavesdropper: once encrypted, what passes is records whose
// sizes are the lines' plus TLS 1.3's overhead, and nothing of the text.
func TestShellEavesdropper(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "en")
	c.hello(nil)
	_, before := command(t, c, "openssl s_client -connect mail.example.test:587 -starttls smtp -crlf")
	taps := tapsOf(t, before)
	if len(taps) != 2 || taps[0].Type != "handshake" || taps[0].ServerName != "mail.example.test" || taps[1].From != shell.Server {
		t.Fatalf("what the path sees of the handshake: %+v", taps)
	}
	ehlo(t, c)
	c.untilT("tap")
	secret := "AUTH PLAIN AGFsaWNlAGFsaWNl"
	c.send(input(secret))
	_, after := c.untilReply(235)
	m, _ := c.untilT("tap")
	after = append(after, m)
	recs := tapsOf(t, after)
	if len(recs) != 2 || recs[0].From != shell.Client || recs[1].From != shell.Server {
		t.Fatalf("records of one exchange: %+v", recs)
	}
	if want := len(secret) + 2 + shell.RecordOverhead; recs[0].Length != want || recs[0].Head != "17030300"+hex.EncodeToString([]byte{byte(want)}) {
		t.Errorf("the client's record: %+v, want length %d", recs[0], want)
	}
	decoded, _ := base64.StdEncoding.DecodeString("AGFsaWNlAGFsaWNl")
	for _, m := range after {
		if m.T != "tap" {
			continue
		}
		for _, leak := range []string{"AUTH", "PLAIN", "AGFsaWNl", "alice", hex.EncodeToString([]byte(secret)), hex.EncodeToString(decoded)} {
			if strings.Contains(m.frame, leak) {
				t.Errorf("the eavesdropper's data holds %q: %s", leak, m)
			}
		}
	}
}

func tapsOf(t *testing.T, ms []srvMsg) []shell.Record {
	var recs []shell.Record
	for _, m := range ms {
		if m.T == "tap" {
			recs = append(recs, frameOf(t, m).Records...)
		}
	}
	return recs
}

// TestShellReplay: after a reload, the shell's lines come back with the
// events, in the page's language, and the taps with them.
func TestShellReplay(t *testing.T) {
	ts, _ := app(t)
	visitor := newVisitor(ts)
	c := connect(t, ts, visitor, "en")
	welcome, _, _ := c.hello(nil)
	command(t, c, "ls")
	command(t, c, "openssl s_client -connect mail.example.test:465 -crlf -ign_eof")
	ehlo(t, c)
	c.ws.Close()

	c2 := connect(t, ts, visitor, "fr")
	_, _, replay := c2.hello(map[string]any{"terminal": welcome.Terminal})
	text := printed(t, replay)
	for _, want := range []string{"student@smtplab:~$ openssl s_client -connect mail.example.test:465", "CONNECTED(00000003)", "autres lignes de base64", "ls: command not found"} {
		if !strings.Contains(text, want) {
			t.Errorf("the replay lacks %q:\n%s", want, text)
		}
	}
	if len(tapsOf(t, replay)) < 3 {
		t.Errorf("the replay lacks the taps:\n%s", dump(replay))
	}
	if firstEvent(replay, sandbox.EventOpen) == nil {
		t.Errorf("the replay lacks the session")
	}
}

// TestShellErrors: a wrong command is explained in the page's language,
// and the prompt comes back.
func TestShellErrors(t *testing.T) {
	ts, _ := app(t)
	c := connect(t, ts, newVisitor(ts), "fr")
	c.hello(nil)
	for line, want := range map[string]string{
		"telnet nowhere.test 25":      "Aucun serveur",
		"telnet mail.example.test 26": "Rien n’écoute sur le port 26",
		"foo":                         "foo: command not found",
	} {
		end, before := command(t, c, line)
		if end.End != "prompt" || !strings.Contains(printed(t, before), want) {
			t.Errorf("%s: %+v\n%s", line, end, printed(t, before))
		}
	}
}

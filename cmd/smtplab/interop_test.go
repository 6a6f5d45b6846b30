package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// These tests drive smtplab with clients nobody here wrote. Each skips only
// when its program is missing; CI installs them all (.ci/run).

const pythonSend = `
import json, smtplib, sys
port, sender, msg, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
refused = s.sendmail(sender, rcpts, msg)
code, _ = s.quit()
print(json.dumps({"refused": refused, "quit": code}))
`

const pythonRead = `
import json, poplib, sys
port, out = int(sys.argv[1]), {}
for user in sys.argv[2:]:
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.user(user)
    p.pass_(user)
    count, size = p.stat()
    resp, lines, octets = p.retr(1)
    p.dele(1)
    bye = p.quit()
    out[user] = {"stat": [count, size], "retr": resp.decode(),
                 "text": "".join(l.decode() + "\r\n" for l in lines), "quit": bye.decode()}
print(json.dumps(out))
`

func TestPythonSmtplibAndPoplib(t *testing.T) {
	python := needCommand(t, "python3")
	a := startApp(t)

	// sendmail(from, [to, cc, bcc], msg): the envelope names all three.
	r := runCommand(t, nil, python, "-c", pythonSend, a.port(t, "smtp"), "bob@example.test", roundTripMessage,
		"alice@example.test", "bob@example.test", "carol@example.test")
	if r.code != 0 {
		t.Fatalf("smtplib exited %d:\n%s", r.code, r.output())
	}
	var sent struct {
		Refused map[string]any `json:"refused"`
		Quit    int            `json:"quit"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sent); err != nil {
		t.Fatalf("smtplib output %q: %v", r.output(), err)
	}
	if len(sent.Refused) != 0 || sent.Quit != 221 {
		t.Fatalf("smtplib: refused %v, QUIT answered %d (want none refused, 221)", sent.Refused, sent.Quit)
	}
	a.wantCount(t, map[string]int{"alice": 1, "bob": 1, "carol": 1})
	stored := map[string]string{}
	for _, u := range []string{"alice", "bob", "carol"} {
		stored[u] = a.mailbox(u)[0]
		if !strings.HasSuffix(stored[u], withoutBccLine) || hasField(stored[u], "Bcc") {
			t.Errorf("%s's copy as stored after smtplib:\n%s", u, stored[u])
		}
	}

	r = runCommand(t, nil, python, "-c", pythonRead, a.port(t, "pop3"), "alice", "bob", "carol")
	if r.code != 0 {
		t.Fatalf("poplib exited %d:\n%s", r.code, r.output())
	}
	var read map[string]struct {
		Stat []int  `json:"stat"`
		Retr string `json:"retr"`
		Text string `json:"text"`
		Quit string `json:"quit"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &read); err != nil {
		t.Fatalf("poplib output %q: %v", r.output(), err)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		got, ok := read[u]
		if !ok {
			t.Errorf("poplib read nothing for %s: %s", u, r.stdout)
			continue
		}
		if len(got.Stat) != 2 || got.Stat[0] != 1 || got.Stat[1] != len(stored[u]) {
			t.Errorf("%s: poplib stat() = %v, want [1 %d]", u, got.Stat, len(stored[u]))
		}
		if got.Retr != "+OK "+strconv.Itoa(len(stored[u]))+" octets" {
			t.Errorf("%s: RETR status %q", u, got.Retr)
		}
		if got.Text != stored[u] {
			t.Errorf("%s: poplib retrieved\n%q\nwant\n%q", u, got.Text, stored[u])
		}
		if !strings.HasPrefix(got.Quit, "+OK") {
			t.Errorf("%s: QUIT answered %q", u, got.Quit)
		}
	}
	// dele(1) and quit() removed each copy.
	a.wantCount(t, map[string]int{"alice": 0, "bob": 0, "carol": 0})
}

const pythonExtras = `
import json, poplib, smtplib, sys
smtp_port, pop3_port = int(sys.argv[1]), int(sys.argv[2])
out = {}
s = smtplib.SMTP("127.0.0.1", smtp_port, timeout=10)
s.ehlo()
out["features"] = sorted(s.esmtp_features)
out["size"] = s.esmtp_features.get("size")
out["vrfy"] = list(s.verify("alice@example.test"))
out["expn"] = list(s.expn("team@example.test"))
out["refused"] = {k: [v[0], v[1]] for k, v in
    s.sendmail("bob@example.test", ["alice@example.test", "joe@elsewhere.test"], "Subject: partial\r\n\r\nHi.\r\n").items()}
s.quit()
p = poplib.POP3("127.0.0.1", pop3_port, timeout=10)
out["capa"] = sorted(p.capa())
p.apop("alice", "alice")
out["uidl"] = p.uidl()[1]
out["top"] = p.top(1, 0)[1]
out["quit"] = p.quit()
print(json.dumps(out, default=lambda b: b.decode()))
`

// TestPythonExtras checks what Python's clients parse out of the server's
// replies: EHLO keywords, VRFY and multi-line EXPN, a partly refused
// envelope, CAPA, an APOP login from the greeting's timestamp, UIDL, TOP.
func TestPythonExtras(t *testing.T) {
	python := needCommand(t, "python3")
	a := startApp(t)
	r := runCommand(t, nil, python, "-c", pythonExtras, a.port(t, "smtp"), a.port(t, "pop3"))
	if r.code != 0 {
		t.Fatalf("python exited %d:\n%s", r.code, r.output())
	}
	var got struct {
		Features []string         `json:"features"`
		Size     string           `json:"size"`
		Vrfy     []any            `json:"vrfy"`
		Expn     []any            `json:"expn"`
		Refused  map[string][]any `json:"refused"`
		Capa     []string         `json:"capa"`
		UIDL     []string         `json:"uidl"`
		Top      []string         `json:"top"`
		Quit     string           `json:"quit"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("python output %q: %v", r.output(), err)
	}
	for _, f := range []string{"size", "pipelining", "8bitmime", "enhancedstatuscodes"} {
		if !slices.Contains(got.Features, f) {
			t.Errorf("smtplib did not see %s in EHLO: %v", f, got.Features)
		}
	}
	if got.Size != "10485760" {
		t.Errorf("SIZE %q, want 10485760", got.Size)
	}
	if fmt.Sprint(got.Vrfy) != "[250 2.1.5 Alice Martin <alice@example.test>]" {
		t.Errorf("VRFY alice: %v", got.Vrfy)
	}
	if len(got.Expn) != 2 || got.Expn[0] != 250.0 || strings.Count(got.Expn[1].(string), "\n") != 2 ||
		!strings.Contains(got.Expn[1].(string), "carol@example.test") {
		t.Errorf("EXPN team: %v, want 250 and three members", got.Expn)
	}
	if rf := got.Refused["joe@elsewhere.test"]; len(got.Refused) != 1 || len(rf) != 2 || rf[0] != 554.0 ||
		!strings.HasPrefix(rf[1].(string), "5.7.1 ") {
		t.Errorf("refused recipients %v, want only joe@elsewhere.test with 554 5.7.1", got.Refused)
	}
	msgs := a.world.Store.Messages("alice")
	if len(msgs) != 1 || msgs[0].Subject != "partial" {
		t.Fatalf("alice's mailbox after a partly refused envelope: %d messages", len(msgs))
	}
	for _, c := range []string{"USER", "TOP", "UIDL", "RESP-CODES", "PIPELINING"} {
		if !slices.Contains(got.Capa, c) {
			t.Errorf("poplib did not see %s in CAPA: %v", c, got.Capa)
		}
	}
	if len(got.UIDL) != 1 || got.UIDL[0] != "1 "+msgs[0].UID {
		t.Errorf("UIDL %q, want [\"1 %s\"]", got.UIDL, msgs[0].UID)
	}
	if top := strings.Join(got.Top, "\r\n") + "\r\n"; top != header(string(msgs[0].Raw))+"\r\n" {
		t.Errorf("TOP 1 0 gave\n%q\nwant the header and the empty line\n%q", top, header(string(msgs[0].Raw))+"\r\n")
	}
	if !strings.HasPrefix(got.Quit, "+OK") {
		t.Errorf("QUIT: %q", got.Quit)
	}
}

func TestCurl(t *testing.T) {
	curl := needCommand(t, "curl")
	a := startApp(t)
	smtpURL := "smtp://127.0.0.1:" + a.port(t, "smtp")
	pop3URL := "pop3://127.0.0.1:" + a.port(t, "pop3")
	dir := t.TempDir()
	msg := "From: Carol Petit <carol@example.test>\r\nTo: alice@example.test, bob@example.test\r\n" +
		"Subject: sent with curl\r\n\r\nHello from curl.\r\n.\r\n..two dots\r\n"
	file := filepath.Join(dir, "msg.txt")
	if err := os.WriteFile(file, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("send", func(t *testing.T) {
		r := runCommand(t, nil, curl, "-sS", "--url", smtpURL, "--mail-from", "carol@example.test",
			"--mail-rcpt", "alice@example.test", "--mail-rcpt", "bob@example.test", "--upload-file", file)
		if r.code != 0 {
			t.Fatalf("curl smtp exited %d:\n%s", r.code, r.output())
		}
		a.wantCount(t, map[string]int{"alice": 1, "bob": 1, "carol": 0})
		for _, u := range []string{"alice", "bob"} {
			if got := a.mailbox(u); len(got) == 1 && !strings.HasSuffix(got[0], msg) {
				t.Errorf("%s's copy:\n%q\nwant suffix\n%q", u, got[0], msg)
			}
		}
	})

	// curl sends the file as it is; with LF line ends that is bare LF,
	// which the server refuses after the final dot. --crlf converts.
	t.Run("LF file refused unless --crlf", func(t *testing.T) {
		lf := filepath.Join(dir, "lf.txt")
		if err := os.WriteFile(lf, []byte(strings.ReplaceAll(msg, "\r\n", "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"-sS", "-v", "--url", smtpURL, "--mail-from", "carol@example.test", "--mail-rcpt", "carol@example.test", "--upload-file", lf}
		r := runCommand(t, nil, curl, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "< 554 5.6.0 ") {
			t.Errorf("curl with an LF file: exit %d, want a failure with 554 5.6.0:\n%s", r.code, r.output())
		}
		a.wantCount(t, map[string]int{"carol": 0})
		r = runCommand(t, nil, curl, append([]string{"--crlf"}, args...)...)
		if r.code != 0 {
			t.Fatalf("curl --crlf exited %d:\n%s", r.code, r.output())
		}
		if got := a.mailbox("carol"); len(got) != 1 || !strings.HasSuffix(got[0], msg) {
			t.Errorf("carol's mailbox after curl --crlf: %q", got)
		}
	})

	t.Run("list", func(t *testing.T) {
		want := "1 " + strconv.Itoa(len(a.mailbox("alice")[0])) + "\r\n"
		r := runCommand(t, nil, curl, "-sS", "--url", pop3URL, "--user", "alice:alice")
		if r.code != 0 || r.stdout != want {
			t.Fatalf("curl pop3 list: exit %d, output %q, want %q\n%s", r.code, r.stdout, want, r.stderr)
		}
		// curl leaves without QUIT: the server unlocks on the hang-up.
		a.waitSessions(t, "pop3", 0)
	})

	t.Run("retrieve", func(t *testing.T) {
		want := a.mailbox("alice")[0]
		r := runCommand(t, nil, curl, "-sS", "--url", pop3URL+"/1", "--user", "alice:alice")
		if r.code != 0 || r.stdout != want {
			t.Fatalf("curl pop3 RETR: exit %d\n got %q\nwant %q\n%s", r.code, r.stdout, want, r.stderr)
		}
		a.waitSessions(t, "pop3", 0)
		a.wantCount(t, map[string]int{"alice": 1})
		if !a.unlocked("alice") {
			t.Error("alice's maildrop is still locked after curl left")
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		r := runCommand(t, nil, curl, "-sS", "--url", pop3URL+"/1", "--user", "alice:bob")
		if r.code == 0 || r.stdout != "" {
			t.Fatalf("curl with a wrong password: exit %d, output %q", r.code, r.stdout)
		}
	})
}

func TestSwaks(t *testing.T) {
	swaks := needCommand(t, "swaks")
	a := startApp(t)
	port := a.port(t, "smtp")

	t.Run("delivered", func(t *testing.T) {
		r := runCommand(t, nil, swaks, "--server", "127.0.0.1", "--port", port,
			"--from", "alice@example.test", "--to", "bob@example.test",
			"--header", "Subject: sent with swaks", "--body", "Hello from swaks.")
		if r.code != 0 {
			t.Fatalf("swaks exited %d:\n%s", r.code, r.output())
		}
		queued := regexp.MustCompile(`<-  250 2\.0\.0 Ok: queued as ([0-9A-F]+)`).FindStringSubmatch(r.output())
		if queued == nil || !strings.Contains(r.output(), "<-  221 ") {
			t.Fatalf("swaks transcript lacks the 250 queued-as or the 221:\n%s", r.output())
		}
		msgs := a.world.Store.Messages("bob")
		if len(msgs) != 1 {
			t.Fatalf("bob has %d messages after swaks, want 1", len(msgs))
		}
		m := msgs[0]
		if m.ID != queued[1] || m.Subject != "sent with swaks" || !strings.Contains(string(m.Raw), "\r\n\r\nHello from swaks.\r\n") {
			t.Errorf("bob's message (id %s, swaks saw %s, subject %q):\n%s", m.ID, queued[1], m.Subject, m.Raw)
		}
		if !strings.HasPrefix(string(m.Raw), "Return-Path: <alice@example.test>\r\nReceived: ") {
			t.Errorf("trace fields missing:\n%s", m.Raw)
		}
	})

	// With --pipeline swaks sends MAIL, both RCPTs and DATA in one write,
	// as RFC 2920 allows once EHLO said PIPELINING.
	t.Run("pipelined", func(t *testing.T) {
		r := runCommand(t, nil, swaks, "--pipeline", "--server", "127.0.0.1", "--port", port,
			"--from", "bob@example.test", "--to", "alice@example.test,carol@example.test",
			"--header", "Subject: pipelined", "--body", "Sent in one go.")
		if r.code != 0 {
			t.Fatalf("swaks --pipeline exited %d:\n%s", r.code, r.output())
		}
		if !regexp.MustCompile(`(?s) -> MAIL FROM:<bob@example.test>\n -> RCPT TO:<alice@example.test>\n -> RCPT TO:<carol@example.test>\n -> DATA\n<-  250 `).MatchString(r.output()) {
			t.Errorf("swaks did not pipeline (or the transcript changed form):\n%s", r.output())
		}
		for _, u := range []string{"alice", "carol"} {
			if msgs := a.world.Store.Messages(u); len(msgs) != 1 || msgs[0].Subject != "pipelined" {
				t.Errorf("%s has %d messages after swaks --pipeline, want the pipelined one", u, len(msgs))
			}
		}
	})

	t.Run("foreign recipient refused", func(t *testing.T) {
		before, _ := a.world.Store.Usage()
		r := runCommand(t, nil, swaks, "--server", "127.0.0.1", "--port", port,
			"--from", "alice@example.test", "--to", "joe@elsewhere.test")
		if r.code == 0 {
			t.Errorf("swaks exited 0 for a relay attempt:\n%s", r.output())
		}
		if !regexp.MustCompile(`(?m)^<\*\* 554 5\.7\.1 .*joe@elsewhere\.test`).MatchString(r.output()) {
			t.Errorf("swaks output lacks 554 5.7.1 for the foreign recipient:\n%s", r.output())
		}
		if after, _ := a.world.Store.Usage(); after != before {
			t.Errorf("store went from %d to %d messages after a refused relay", before, after)
		}
	})
}

// ncArgs are the options that make nc end its session when its input ends:
// -N shuts the socket down (netcat-openbsd); builds without it have -q,
// which waits a little after the end of input.
func ncArgs(nc string) []string {
	help, _ := exec.Command(nc, "-h").CombinedOutput()
	if strings.Contains(string(help), "-N") {
		return []string{"-w", "5", "-N"}
	}
	return []string{"-w", "5", "-q", "2"}
}

// TestNetcatSession pipes the README's hand-typed session into nc -C, as a
// student would type it into telnet.
func TestNetcatSession(t *testing.T) {
	nc := needCommand(t, "nc")
	a := startApp(t)
	args := append([]string{"-C"}, ncArgs(nc)...)
	session := "HELO client.example.test\n" +
		"MAIL FROM:<bob@example.test>\n" +
		"RCPT TO:<alice@example.test>\n" +
		"DATA\n" +
		"Subject: Hello\n" +
		"\n" +
		"A first message.\n" +
		".\n" +
		"QUIT\n"
	r := runCommand(t, strings.NewReader(session), nc, append(args, "127.0.0.1", a.port(t, "smtp"))...)
	if r.code != 0 {
		t.Fatalf("nc exited %d:\n%s", r.code, r.output())
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\r\n"), "\r\n")
	codes := make([]string, len(lines))
	for i, l := range lines {
		codes[i], _, _ = strings.Cut(l, " ")
	}
	if want := "220 250 250 250 354 250 221"; strings.Join(codes, " ") != want {
		t.Fatalf("reply codes %q, want %q; transcript:\n%s", strings.Join(codes, " "), want, r.stdout)
	}
	queued := regexp.MustCompile(`^250 2\.0\.0 Ok: queued as ([0-9A-F]+)$`).FindStringSubmatch(lines[5])
	if queued == nil {
		t.Fatalf("after the dot: %q, want 250 2.0.0 Ok: queued as ID", lines[5])
	}
	msgs := a.world.Store.Messages("alice")
	if len(msgs) != 1 || msgs[0].ID != queued[1] {
		t.Fatalf("alice has %d messages; want the one queued as %s", len(msgs), queued[1])
	}
	if raw := string(msgs[0].Raw); !strings.HasSuffix(raw, "\r\nSubject: Hello\r\n\r\nA first message.\r\n") ||
		!strings.Contains(raw, "Received: from client.example.test ([127.0.0.1])") {
		t.Errorf("alice's message:\n%s", raw)
	}
}

// TestNetcatWithoutCRLF is the classic trap: nc without -C sends bare LF.
// Every command is refused with a reply that says what to do instead, and
// nothing is delivered.
func TestNetcatWithoutCRLF(t *testing.T) {
	nc := needCommand(t, "nc")
	a := startApp(t)
	session := "HELO client.example.test\nMAIL FROM:<bob@example.test>\nRCPT TO:<alice@example.test>\nQUIT\n"
	r := runCommand(t, strings.NewReader(session), nc, append(ncArgs(nc), "127.0.0.1", a.port(t, "smtp"))...)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\r\n"), "\r\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "220 ") {
		t.Fatalf("want the greeting and four refusals, got:\n%s", r.output())
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "500 5.5.2 ") || !strings.Contains(l, "nc -C") {
			t.Errorf("bare-LF command answered %q, want 500 5.5.2 mentioning nc -C", l)
		}
	}
	a.wantCount(t, map[string]int{"alice": 0})
}

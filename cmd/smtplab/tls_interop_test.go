package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// These tests point real mail programs at the TLS services, each trusting
// the certificate smtplab made (the file in the data folder), never with
// verification turned off. Each skips only when its program is missing; CI
// installs them all (.ci/run).

// tlsApp is smtplab with every TLS service on, and the certificate file a
// client is given to trust.
type tlsApp struct {
	*testApp
	caFile string
	rec    *sandboxtest.Recorder
}

func startTLSApp(t *testing.T, args ...string) *tlsApp {
	t.Helper()
	a := startApp(t, append(append([]string{"-data", t.TempDir()}, tlsArgs...), args...)...)
	if a.cert == nil || a.cert.File == "" {
		t.Fatal("no certificate file in the data folder")
	}
	return &tlsApp{testApp: a, caFile: a.cert.File, rec: sandboxtest.Record(a.world)}
}

// mark is where the events of the next client start.
func (a *tlsApp) mark() int { return len(a.rec.Events()) }

// wantEncrypted fails unless a session opened after mark and every one
// that did went under TLS: a client that quietly stayed in clear fails.
func (a *tlsApp) wantEncrypted(t *testing.T, mark int) {
	t.Helper()
	opened, secured := map[string]bool{}, map[string]bool{}
	for _, ev := range a.rec.Events()[mark:] {
		switch ev.Kind {
		case sandbox.EventOpen:
			opened[ev.Session] = true
			secured[ev.Session] = secured[ev.Session] || ev.Open.TLS != nil
		case sandbox.EventTLS:
			secured[ev.Session] = true
		}
	}
	if len(opened) == 0 {
		t.Error("no session was opened")
	}
	for id := range opened {
		if !secured[id] {
			t.Errorf("session %s stayed in clear", id)
		}
	}
}

// tlsMessage is what the clients send; bob receives it.
const tlsMessage = "From: Alice Martin <alice@example.test>\r\nTo: Bob Durand <bob@example.test>\r\n" +
	"Subject: sent under TLS\r\n\r\nOnly the two ends could read this.\r\n"

// writeFile writes a file the test's programs read.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantDelivered fails unless bob got exactly n copies of tlsMessage.
func (a *tlsApp) wantDelivered(t *testing.T, n int, by string) {
	t.Helper()
	got := a.mailbox("bob")
	if len(got) != n {
		t.Fatalf("after %s bob has %d messages, want %d", by, len(got), n)
	}
	if n > 0 && !strings.Contains(got[n-1], tlsMessage) {
		t.Errorf("bob's copy after %s:\n%s", by, got[n-1])
	}
}

func TestOpenSSLClient(t *testing.T) {
	openssl := needCommand(t, "openssl")
	a := startTLSApp(t)
	// -ign_eof: s_client reads RCPT and QUIT as commands of its own otherwise,
	// and stops at the end of its input before the replies came.
	client := func(t *testing.T, input string, args ...string) string {
		t.Helper()
		args = append([]string{"s_client", "-CAfile", a.caFile, "-verify_return_error", "-verify_ip", "127.0.0.1", "-crlf", "-ign_eof"}, args...)
		r := runCommand(t, strings.NewReader(input), openssl, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Verify return code: 0 (ok)") {
			t.Fatalf("openssl %s: exit %d\n%s", strings.Join(args, " "), r.code, r.output())
		}
		if !strings.Contains(r.stdout, "subject=O = smtplab, CN = mail.example.test") {
			t.Errorf("s_client does not show the sandbox's certificate:\n%s", r.stdout)
		}
		return r.stdout
	}
	send := "EHLO client.example.test\nAUTH PLAIN " + plain("alice", "alice") + "\nMAIL FROM:<alice@example.test>\n" +
		"RCPT TO:<bob@example.test>\nDATA\n" + strings.ReplaceAll(tlsMessage, "\r\n", "\n") + ".\nQUIT\n"

	t.Run("starttls smtp on submission", func(t *testing.T) {
		defer a.wantEncrypted(t, a.mark())
		out := client(t, send, "-starttls", "smtp", "-connect", a.addr(t, "submission"))
		for _, want := range []string{"235 2.7.0", "354 ", "250 2.0.0", "221 "} {
			if !strings.Contains(out, want) {
				t.Errorf("s_client's session lacks %q:\n%s", want, out)
			}
		}
		a.wantDelivered(t, 1, "s_client -starttls smtp")
	})
	t.Run("submissions", func(t *testing.T) {
		defer a.wantEncrypted(t, a.mark())
		out := client(t, send, "-connect", a.addr(t, "submissions"))
		if !strings.Contains(out, "220 ") || !strings.Contains(out, "235 2.7.0") {
			t.Errorf("s_client on the implicit-TLS port:\n%s", out)
		}
		a.wantDelivered(t, 2, "s_client on submissions")
	})
	read := "USER bob\nPASS bob\nSTAT\nQUIT\n"
	for _, tc := range []struct{ name, service, starttls string }{
		{"starttls pop3", "pop3", "pop3"},
		{"pop3s", "pop3s", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer a.wantEncrypted(t, a.mark())
			args := []string{"-connect", a.addr(t, tc.service)}
			if tc.starttls != "" {
				args = append(args, "-starttls", tc.starttls)
			}
			out := client(t, read, args...)
			if !strings.Contains(out, "+OK 2 ") {
				t.Errorf("STAT under TLS does not show bob's 2 messages:\n%s", out)
			}
			a.waitSessions(t, tc.service, 0)
		})
	}
}

// plain is the initial response of AUTH PLAIN (RFC 4616).
func plain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

func TestSwaksTLS(t *testing.T) {
	swaks := needCommand(t, "swaks")
	a := startTLSApp(t)
	for i, tc := range []struct {
		name, service, mode string
	}{
		{"starttls", "submission", "--tls"},
		{"tls on connect", "submissions", "--tls-on-connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer a.wantEncrypted(t, a.mark())
			r := runCommand(t, nil, swaks, "--server", "127.0.0.1", "--port", a.port(t, tc.service), tc.mode,
				"--tls-verify", "--tls-ca-path", a.caFile, "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "alice",
				"--from", "alice@example.test", "--to", "bob@example.test", "--data", tlsMessage)
			if r.code != 0 || !strings.Contains(r.output(), "<~  235 2.7.0") {
				t.Fatalf("swaks %s exited %d:\n%s", tc.mode, r.code, r.output())
			}
			a.wantDelivered(t, i+1, "swaks "+tc.mode)
		})
	}
}

func TestMsmtp(t *testing.T) {
	msmtp := needCommand(t, "msmtp")
	a := startTLSApp(t)
	for i, tc := range []struct {
		name, service, starttls string
	}{
		{"starttls", "submission", "on"},
		{"implicit", "submissions", "off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer a.wantEncrypted(t, a.mark())
			r := runCommand(t, strings.NewReader(tlsMessage), msmtp, "--host=127.0.0.1", "--port="+a.port(t, tc.service),
				"--tls=on", "--tls-starttls="+tc.starttls, "--tls-trust-file="+a.caFile,
				"--auth=plain", "--user=alice", "--passwordeval=echo alice",
				"--from=alice@example.test", "--debug", "bob@example.test")
			if r.code != 0 {
				t.Fatalf("msmtp exited %d:\n%s", r.code, r.output())
			}
			a.wantDelivered(t, i+1, "msmtp")
		})
	}
}

func TestCurlTLS(t *testing.T) {
	curl := needCommand(t, "curl")
	a := startTLSApp(t)
	file := writeFile(t, "msg.txt", tlsMessage)
	send := func(t *testing.T, url string) {
		t.Helper()
		defer a.wantEncrypted(t, a.mark())
		r := runCommand(t, nil, curl, "-sS", "--ssl-reqd", "--cacert", a.caFile, "--url", url,
			"--user", "alice:alice", "--mail-from", "alice@example.test", "--mail-rcpt", "bob@example.test", "--upload-file", file)
		if r.code != 0 {
			t.Fatalf("curl %s exited %d:\n%s", url, r.code, r.output())
		}
	}
	t.Run("smtp starttls", func(t *testing.T) {
		send(t, "smtp://127.0.0.1:"+a.port(t, "submission"))
		a.wantDelivered(t, 1, "curl smtp:// --ssl-reqd")
	})
	t.Run("smtps", func(t *testing.T) {
		send(t, "smtps://127.0.0.1:"+a.port(t, "submissions"))
		a.wantDelivered(t, 2, "curl smtps://")
	})
	for _, tc := range []struct{ name, url string }{
		{"pop3 stls", "pop3://127.0.0.1:" + a.port(t, "pop3") + "/1"},
		{"pop3s", "pop3s://127.0.0.1:" + a.port(t, "pop3s") + "/2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer a.wantEncrypted(t, a.mark())
			r := runCommand(t, nil, curl, "-sS", "--ssl-reqd", "--cacert", a.caFile, "--url", tc.url, "--user", "bob:bob")
			if r.code != 0 || !strings.HasSuffix(r.stdout, tlsMessage) {
				t.Fatalf("curl %s: exit %d, output %q\n%s", tc.url, r.code, r.stdout, r.stderr)
			}
		})
	}
}

const pythonTLS = `
import json, poplib, smtplib, ssl, sys
cafile, submission, submissions, pop3, pop3s, msg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
ctx = ssl.create_default_context(cafile=cafile)
out = {}
s = smtplib.SMTP("127.0.0.1", submission, timeout=10)
s.ehlo()
out["before"] = sorted(s.esmtp_features)
out["starttls"] = s.starttls(context=ctx)[0]
s.ehlo()
out["after"] = sorted(s.esmtp_features)
out["login"] = s.login("alice", "alice")[0]
out["refused"] = s.sendmail("alice@example.test", ["bob@example.test"], msg)
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", submissions, timeout=10, context=ctx)
out["ssl_login"] = s.login("alice", "alice")[0]
s.sendmail("alice@example.test", ["bob@example.test"], msg)
s.quit()
p = poplib.POP3("127.0.0.1", pop3, timeout=10)
out["capa"] = sorted(p.capa())
out["stls"] = p.stls(context=ctx).decode()
p.user("bob")
p.pass_("bob")
out["stat"] = list(p.stat())
p.quit()
p = poplib.POP3_SSL("127.0.0.1", pop3s, timeout=10, context=ctx)
p.user("bob")
p.pass_("bob")
out["retr"] = "".join(l.decode() + "\r\n" for l in p.retr(2)[1])
p.quit()
print(json.dumps(out))
`

func TestPythonTLS(t *testing.T) {
	python := needCommand(t, "python3")
	a := startTLSApp(t)
	defer a.wantEncrypted(t, a.mark())
	r := runCommand(t, nil, python, "-c", pythonTLS, a.caFile, a.port(t, "submission"), a.port(t, "submissions"),
		a.port(t, "pop3"), a.port(t, "pop3s"), tlsMessage)
	if r.code != 0 {
		t.Fatalf("python exited %d:\n%s", r.code, r.output())
	}
	var got struct {
		Before, After []string
		StartTLS      int `json:"starttls"`
		Login         int `json:"login"`
		SSLLogin      int `json:"ssl_login"`
		Refused       map[string]any
		Capa          []string
		STLS          string `json:"stls"`
		Stat          []int
		Retr          string
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("python output %q: %v", r.output(), err)
	}
	// Submission offers AUTH only once encrypted, and STARTTLS only before.
	if !contains(got.Before, "starttls") || contains(got.Before, "auth") || contains(got.After, "starttls") || !contains(got.After, "auth") {
		t.Errorf("EHLO keywords before TLS %v, after %v", got.Before, got.After)
	}
	if got.StartTLS != 220 || got.Login != 235 || got.SSLLogin != 235 || len(got.Refused) != 0 {
		t.Errorf("starttls %d, login %d, SMTP_SSL login %d, refused %v", got.StartTLS, got.Login, got.SSLLogin, got.Refused)
	}
	if !contains(got.Capa, "STLS") || !strings.HasPrefix(got.STLS, "+OK") {
		t.Errorf("CAPA %v, STLS %q", got.Capa, got.STLS)
	}
	if len(got.Stat) != 2 || got.Stat[0] != 2 || got.Retr != a.mailbox("bob")[1] {
		t.Errorf("stat %v; retr(2) %q, want %q", got.Stat, got.Retr, a.mailbox("bob")[1])
	}
	a.wantDelivered(t, 2, "smtplib")
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

func TestFetchmailTLS(t *testing.T) {
	fetchmail := needCommand(t, "fetchmail")
	a := startTLSApp(t)
	a.deliver(t, "bob", tlsMessage)
	a.deliver(t, "bob", tlsMessage)
	for _, tc := range []struct {
		name, service, options string
	}{
		// ssl: TLS from the first byte; sslproto with no ssl: STLS, required.
		{"ssl", "pop3s", "ssl"},
		{"stls", "pop3", "sslproto tls1.2+"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer a.wantEncrypted(t, a.mark())
			dir := t.TempDir()
			out := filepath.Join(dir, "delivered")
			rc := "set no syslog\nset pidfile \"" + filepath.Join(dir, "pid") + "\"\n" +
				"poll 127.0.0.1 port " + a.port(t, tc.service) + " protocol pop3 timeout 10\n" +
				"  user bob password bob " + tc.options + " sslcertck sslcertfile \"" + a.caFile + "\"\n" +
				"  sslcommonname mail.example.test keep mda \"cat >> " + out + "\"\n"
			rcfile := writeFile(t, "fetchmailrc", rc)
			r := runCommand(t, nil, fetchmail, "-f", rcfile, "--nodetach", "-v")
			if r.code != 0 {
				t.Fatalf("fetchmail exited %d:\n%s", r.code, r.output())
			}
			b, _ := os.ReadFile(out)
			if n := strings.Count(string(b), "Only the two ends could read this."); n != 2 {
				t.Errorf("fetchmail delivered %d messages, want 2:\n%s", n, r.output())
			}
			a.waitSessions(t, tc.service, 0)
		})
	}
}

// TestGoNetSMTPStartTLS: Go's own client, StartTLS then PlainAuth, as a Go
// program would send through the sandbox.
func TestGoNetSMTPStartTLS(t *testing.T) {
	a := startTLSApp(t)
	defer a.wantEncrypted(t, a.mark())
	roots := x509.NewCertPool()
	roots.AddCert(a.testApp.cert.Leaf)
	c, err := smtp.Dial(a.addr(t, "submission"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("alice@example.test"); err == nil {
		t.Fatal("MAIL before AUTH on the submission port was accepted")
	}
	if err := c.StartTLS(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if st, ok := c.TLSConnectionState(); !ok || st.Version < tls.VersionTLS12 {
		t.Fatalf("not under TLS 1.2 or later after StartTLS (%v)", ok)
	}
	if err := c.Auth(smtp.PlainAuth("", "alice", "alice", "127.0.0.1")); err != nil {
		t.Fatalf("AUTH PLAIN: %v", err)
	}
	if err := c.Mail("alice@example.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("bob@example.test"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(tlsMessage))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	a.wantDelivered(t, 1, "net/smtp")
}

package shell_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/dns"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/network"
	"smtplab/sandbox/sandboxtest"
	"smtplab/shell"
)

// A golden transcript is what the terminal shows for lines typed in it:
//
//	# comment
//	> telnet mail.example.test 25   a line typed (at the prompt, or in the open connection)
//	! hangup                        Ctrl+]
//	! timeout                       the open session times out
//	! relay                         the practice server's relay has tried
//	                                every message of its queue once
//
// and after each, the lines it produced: what the terminal printed
// (prompt:, out:, err:, note: in English), the session's events (C: a
// line received, S: a line answered, = open, = tls, = close) and what the
// shell decided (= dial, = clear, = aside when a program's own exchange
// starts and ends). -update rewrites them.
func TestGolden(t *testing.T) { sandboxtest.EachFile(t, "testdata/*.txt", runGolden) }

// testCertificate is the sandbox's certificate of the transcripts, made
// once with package certs for mail.example.test.
func testCertificate(t *testing.T) shell.Certificate {
	t.Helper()
	b, err := os.ReadFile("testdata/cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return shell.Describe(c)
}

// testShell reaches two servers: the practice world as mail.example.test
// (and localhost), which runs every service, and mail.other.test, which
// only runs SMTP on port 25; mx.down.test has an address, and no server.
// Its DNS is the built-in network's, its mailq lists the practice world's
// queue, which a relay through that network carries on.
func testShell(t *testing.T) (*shell.Shell, []*sandbox.World) {
	practice := sandboxtest.NewWorld(sandbox.Limits{})
	other := sandbox.NewWorld(sandbox.Config{Name: "other", Domain: "other.test", Clock: practice.Now})
	resolve := func(name string) (shell.Host, bool) {
		switch name {
		case "mail.example.test", "example.test":
			return shell.Host{Address: "192.0.2.25", Server: practice, Services: shell.AllServices()}, true
		case "localhost", "127.0.0.1":
			return shell.Host{Address: "127.0.0.1", Server: practice, Services: shell.AllServices()}, true
		case "mail.other.test":
			return shell.Host{Address: "192.0.2.80", Server: other, Services: []string{"smtp"}}, true
		case "mx.down.test":
			return shell.Host{Address: "203.0.113.50", Server: nil}, true
		}
		return shell.Host{}, false
	}
	n := network.Default()
	resolver := n.Resolver()
	live := n.Start(practice, resolver, network.Options{NewWorld: func(c sandbox.Config) *sandbox.World {
		c.Clock = practice.Now
		return sandbox.NewWorld(c)
	}})
	t.Cleanup(live.Close)
	id := uint16(firstID)
	sh := &shell.Shell{
		Resolver:    shell.ResolverFunc(resolve),
		Ports:       map[int]string{2525: "smtp", 2587: "submission", 2465: "submissions", 1100: "pop3", 1995: "pop3s", 1109: "pop2"},
		Certificate: testCertificate(t),
		Host:        "mail.example.test",
		// The transcripts show OpenSSL 3 as it is, command letters included.
		CommandLetters: true,
		DNS: &dns.Client{Resolver: resolver, Now: practice.Now, Down: n.Refuses,
			NewID: func() uint16 { id++; return id }},
		Queue: practice.Store.Queue,
		Now:   practice.Now,
	}
	return sh, []*sandbox.World{practice, other}
}

// firstID is one less than the first DNS message id of a transcript.
const firstID = 4241

// relayed waits until the relay of w has tried every message of its
// queue: it runs as soon as a message is queued, in its own goroutine.
func relayed(t *testing.T, w *sandbox.World) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if !slices.ContainsFunc(w.Store.Queue(), func(q sandbox.Queued) bool { return q.Attempts == 0 }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relay has not tried the queue: %+v", w.Store.Queue())
		}
	}
}

// transcript records what a terminal shows, as golden lines.
type transcript struct{ lines []string }

func (tr *transcript) add(prefix, text string) {
	for _, l := range strings.Split(text, "\n") {
		tr.lines = append(tr.lines, strings.TrimRight(prefix+l, " "))
	}
}

func (tr *transcript) event(ev sandbox.Event) {
	switch ev.Kind {
	case sandbox.EventInput:
		eol := ""
		if ev.Input.BareLF {
			eol = " [LF]"
		}
		tr.add("C: ", ev.Input.Text+eol)
	case sandbox.EventReply:
		for _, l := range ev.Reply.Lines {
			tr.add("S: ", l)
		}
	case sandbox.EventOpen:
		tls := "clear"
		if ev.Open.TLS != nil {
			tls = describeTLS(*ev.Open.TLS)
		}
		service := ev.Open.Service
		if service == sandbox.Teaching {
			service = "teaching"
		}
		tr.add("= open ", fmt.Sprintf("%s %s %s on %s", ev.Proto, service, tls, ev.Open.Host))
	case sandbox.EventTLS:
		tr.add("= tls ", describeTLS(*ev.TLS))
	case sandbox.EventClose:
		tr.add("= close ", ev.Close.Reason)
	}
}

func describeTLS(t sandbox.TLS) string {
	return fmt.Sprintf("%s %s sni=%s", t.Version, t.Cipher, t.ServerName)
}

func runGolden(t *testing.T, file string) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sh, worlds := testShell(t)
	tr := &transcript{}
	for _, w := range worlds {
		w.Subscribe(tr.event)
	}
	term := &shell.Terminal{
		Shell: sh,
		NewSession: func(server any, p sandbox.Proto, peer sandbox.Peer) sandbox.Session {
			return engine.New(server.(*sandbox.World), p, peer)
		},
		Peer:    sandboxtest.Peer,
		Printed: func(l shell.Line) { tr.add(string(l.Kind)+": ", l.Text(catalog.EN)) },
		OnDial:  dialed(tr),
		OnAside: func(on bool) {
			if on {
				tr.add("= aside", "")
			} else {
				tr.add("= aside end", "")
			}
		},
	}
	var rewritten bytes.Buffer
	var want []string
	flush := func(at int) {
		got := tr.lines
		tr.lines = nil
		for _, l := range got {
			rewritten.WriteString(l + "\n")
		}
		if !sandboxtest.Updating() && strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:%d: the terminal shows\n%s\n--- want\n%s", file, at, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		want = nil
	}
	at := 0
	for i, line := range strings.Split(strings.TrimSuffix(string(src), "\n"), "\n") {
		switch {
		case line == ">", strings.HasPrefix(line, "> "), strings.HasPrefix(line, "! "):
			if at > 0 {
				flush(at)
			}
			at = i + 1
			rewritten.WriteString(line + "\n")
			act(t, term, tr, worlds[0], line)
		case line == "" || strings.HasPrefix(line, "#"):
			if at > 0 {
				flush(at)
				at = 0
			}
			rewritten.WriteString(line + "\n")
		default:
			if at == 0 {
				t.Fatalf("%s:%d: output before any input: %q", file, i+1, line)
			}
			want = append(want, line)
		}
	}
	if at > 0 {
		flush(at)
	}
	if sandboxtest.Updating() {
		if err := os.WriteFile(file, rewritten.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// act does one input line of a transcript.
func act(t *testing.T, term *shell.Terminal, tr *transcript, practice *sandbox.World, line string) {
	switch line {
	case "! hangup":
		term.Hangup()
		return
	case "! timeout":
		if term.Session() == nil {
			t.Fatalf("! timeout without an open session")
		}
		term.Timeout()
		return
	case "! relay":
		relayed(t, practice)
		return
	}
	r := term.Type(strings.TrimPrefix(strings.TrimPrefix(line, ">"), " "))
	if r == nil {
		return
	}
	if r.Clear {
		tr.add("= clear", "")
	}
}

func dialed(tr *transcript) func(shell.Dial) {
	return func(d shell.Dial) {
		tr.add("= dial ", fmt.Sprintf("%s %s:%d (%s) %s/%s client=%s%s sni=%s crlf=%v", d.Program, d.Host, d.Port, d.Address,
			d.Service.Name, d.Service.TLS, d.TLS, startTLS(d), d.ServerName, d.CRLF))
	}
}

func startTLS(d shell.Dial) string {
	if d.TLS != shell.StartTLS {
		return ""
	}
	return "-" + string(d.StartTLSProto)
}

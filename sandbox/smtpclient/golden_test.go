package smtpclient_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
	"smtplab/sandbox/smtpclient"
)

// TestGolden runs the client of each transcript under
// sandbox/testdata/smtpclient against the real SMTP engine of a test world,
// in-process, as the queue does. A transcript starts with what to send:
//
//	# comment
//	option max-message-size 200   an option of the server's world (sandboxtest.OptionWorld)
//	host mx.elsewhere.test        the client's name (this one by default)
//	from someone@elsewhere.test   the envelope sender; "from" alone is <>
//	to bob@example.test           a recipient, one line each
//	body 8BITMIME                 the body type to declare
//	starttls                      the link can be encrypted, and the client asks
//	received 3                    that many Received lines on top of the text
//	text Subject: hi              a line of the message
//
// then "---" and what happened, which -update rewrites (review the diff):
// the dialogue (C: client, S: server), each recipient's result (=), and
// the trace lines of each copy the server stored (T:).
func TestGolden(t *testing.T) { sandboxtest.EachFile(t, "../testdata/smtpclient/*.txt", golden) }

func golden(t *testing.T, file string) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	head, want, ok := strings.Cut(string(src), "---\n")
	if !ok {
		t.Fatalf("%s: no --- line", file)
	}
	m := smtpclient.Message{Host: "mx.elsewhere.test"}
	peer := sandbox.Peer{Remote: "198.51.100.25", Transport: sandbox.TransportRelay}
	opts := map[string]string{}
	var text strings.Builder
	for n, l := range strings.Split(strings.TrimSuffix(head, "\n"), "\n") {
		key, val, _ := strings.Cut(l, " ")
		switch key {
		case "", "#":
		case "option":
			k, v, _ := strings.Cut(val, " ")
			opts[k] = v
		case "host":
			m.Host = val
		case "from":
			m.From = val
		case "to":
			m.To = append(m.To, val)
		case "body":
			m.Body = val
		case "starttls":
			m.TLS = &sandbox.TLS{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ServerName: "mail.example.test"}
			peer.CanStartTLS = true
		case "received":
			count, _ := strconv.Atoi(val)
			for i := range count {
				fmt.Fprintf(&text, "Received: from h%d.test by h%d.test; Fri, 02 Jan 2026 03:04:05 +0000\r\n", i, i+1)
			}
		case "text":
			text.WriteString(val + "\r\n")
		default:
			t.Fatalf("%s:%d: cannot read %q", file, n+1, l)
		}
	}
	m.Text = []byte(text.String())

	w := sandboxtest.OptionWorld(t, opts)
	c := smtpclient.New(m)
	s := engine.New(w, sandbox.SMTP, peer)
	var got strings.Builder
	smtpclient.Converse(c, s, func(from byte, line string) {
		fmt.Fprintf(&got, "%c: %s\n", from, line)
	})
	for _, r := range c.Results() {
		reply := r.Problem
		if r.Reply != nil {
			reply = r.Reply.Wire()
		}
		fmt.Fprintf(&got, "= %s %s (%s) %s\n", r.Rcpt, r.Status, r.Stage, reply)
	}
	traces(&got, w, "")
	for _, d := range strings.Fields(opts["neighbor"]) {
		traces(&got, w.Neighbor(d), "@"+d)
	}
	if !s.Closed() {
		t.Errorf("%s: the server's session is still open", file)
	}
	if sandboxtest.Updating() {
		if err := os.WriteFile(file, []byte(head+"---\n"+got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got.String() != want {
		t.Errorf("%s: transcript differs\n--- want\n%s--- got\n%s", file, want, got.String())
	}
}

// traces writes the trace lines of every copy stored in w, mailbox by
// mailbox, each named with suffix after it.
func traces(b *strings.Builder, w *sandbox.World, suffix string) {
	for _, e := range w.Users() {
		for _, msg := range w.Store.Messages(e.Local) {
			for _, l := range strings.Split(strings.TrimSuffix(string(msg.Raw[:msg.Trace]), "\r\n"), "\r\n") {
				fmt.Fprintf(b, "T: %s%s: %s\n", e.Local, suffix, l)
			}
		}
	}
}

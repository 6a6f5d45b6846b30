package smtp

import (
	"reflect"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// TestWrongPlaceReasons checks that lines typed in the wrong place get
// their own explanation, while the reply stays a real server's 500.
func TestWrongPlaceReasons(t *testing.T) {
	tests := []struct {
		line, reason string
		args         map[string]string
	}{
		{"telnet mail.example.test 25", "smtp.unknown.shell", map[string]string{"verb": "TELNET", "shell": "telnet"}},
		{"nc -C mail.example.test 25", "smtp.unknown.shell", map[string]string{"verb": "NC", "shell": "nc"}},
		{"USER bob", "smtp.unknown.pop3", map[string]string{"verb": "USER"}},
		{"pass secret", "smtp.unknown.pop3", map[string]string{"verb": "PASS"}},
		{"RETR 1", "smtp.unknown.pop3", map[string]string{"verb": "RETR"}},
		{"STAT", "smtp.unknown.pop3", map[string]string{"verb": "STAT"}},
		{"LIST", "smtp.unknown.pop3", map[string]string{"verb": "LIST"}},
		{"DELE 1", "smtp.unknown.pop3", map[string]string{"verb": "DELE"}},
		{"TOP 1 0", "smtp.unknown.pop3", map[string]string{"verb": "TOP"}},
		{"UIDL", "smtp.unknown.pop3", map[string]string{"verb": "UIDL"}},
		{"APOP bob 0123", "smtp.unknown.pop3", map[string]string{"verb": "APOP"}},
		{".", "smtp.unknown.dot", map[string]string{"verb": "."}},
		{"SIZE 1000", "smtp.unknown.size", map[string]string{"verb": "SIZE"}},
		{"SIZE=1000", "smtp.unknown.size", map[string]string{"verb": "SIZE=1000"}},
		// Still the reasons they had.
		{" .", "smtp.unknown.space", nil},
		{"XYZZY", "smtp.unknown", map[string]string{"verb": "XYZZY"}},
	}
	for _, tt := range tests {
		w := sandboxtest.NewWorld(sandbox.Limits{})
		rec := sandboxtest.Record(w)
		converse(t, w, "EHLO c.test", tt.line)
		rs := rec.Replies()
		r := rs[len(rs)-1]
		if r.Code != 500 || r.Enhanced != "5.5.2" || r.Reason != tt.reason || !reflect.DeepEqual(r.Args, tt.args) {
			t.Errorf("%q: %d %s %s %v, want 500 5.5.2 %s %v", tt.line, r.Code, r.Enhanced, r.Reason, r.Args, tt.reason, tt.args)
		}
		if want := "Error: command not recognized: "; tt.reason != "smtp.unknown.space" && !strings.HasPrefix(r.Lines[0], "500 5.5.2 "+want) {
			t.Errorf("%q: wire %q, want a real server's %q", tt.line, r.Lines[0], want)
		}
	}
}

// TestTypedWarnings checks the warnings about message lines as typed: near
// misses of the end line and a single leading dot.
func TestTypedWarnings(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	converse(t, w, "EHLO c.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA",
		"From: alice@example.test", "To: bob@example.test", "Date: Fri, 2 Jan 2026 03:04:05 +0000", "Message-ID: <1@x>", "",
		" .", ". ", "\t.", "quit", "RSET", ".signature", "..kept", "..", "text", ".")
	var acc *sandbox.Accepted
	for _, e := range rec.Events() {
		if e.Message != nil {
			acc = e.Message
		}
	}
	if acc == nil {
		t.Fatal("no message event")
	}
	want := []sandbox.Warning{
		{Key: "end_line_near_miss", Args: map[string]string{"line": "6", "text": "\u2423."}},
		{Key: "end_line_space_after", Args: map[string]string{"line": "7", "text": ".\u2423", "kept": "\u2423"}},
		{Key: "end_line_near_miss", Args: map[string]string{"line": "8", "text": `\x09.`}},
		{Key: "command_in_data", Args: map[string]string{"line": "9", "text": "quit", "verb": "QUIT"}},
		{Key: "command_in_data", Args: map[string]string{"line": "10", "text": "RSET", "verb": "RSET"}},
	}
	if !reflect.DeepEqual(acc.Analysis.Warnings, want) {
		t.Errorf("warnings:\n%v\nwant\n%v", acc.Analysis.Warnings, want)
	}
	raw := string(w.Store.Messages("bob")[0].Raw)
	if !strings.Contains(raw, "\r\n .\r\n \r\n\t.\r\nquit\r\nRSET\r\nsignature\r\n.kept\r\n.\r\ntext\r\n") {
		t.Errorf("text not as received:\n%q", raw)
	}

	// The dot warning, and no header warnings in the way.
	w = sandboxtest.NewWorld(sandbox.Limits{})
	rec = sandboxtest.Record(w)
	converse(t, w, "EHLO c.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA",
		"From: alice@example.test", "To: bob@example.test", "Date: Fri, 2 Jan 2026 03:04:05 +0000", "Message-ID: <1@x>", "",
		".signature", "..kept", ".")
	acc = nil
	for _, e := range rec.Events() {
		if e.Message != nil {
			acc = e.Message
		}
	}
	want = []sandbox.Warning{{Key: "dot_unstuffed", Args: map[string]string{"line": "6", "text": ".signature", "kept": "signature"}}}
	if acc == nil || !reflect.DeepEqual(acc.Analysis.Warnings, want) {
		t.Errorf("message %+v, want warnings %v", acc, want)
	}
}

// TestTypedWarningsBounded checks that a message of many suspicious lines
// gets only the first few warnings.
func TestTypedWarningsBounded(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	lines := []string{"EHLO c.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA", ""}
	for range 1000 {
		lines = append(lines, ".x")
	}
	converse(t, w, append(lines, ".")...)
	for _, e := range rec.Events() {
		if e.Message != nil && len(e.Message.Analysis.Warnings) != maxDataWarnings {
			t.Errorf("%d warnings, want %d", len(e.Message.Analysis.Warnings), maxDataWarnings)
		}
	}
}

// TestBareDotReason checks that a dot ended by a bare LF or CR, which ends
// nothing, is named when the message is refused for it.
func TestBareDotReason(t *testing.T) {
	for _, in := range []string{".\n", ".\r\r\n"} {
		w := sandboxtest.NewWorld(sandbox.Limits{})
		rec := sandboxtest.Record(w)
		s := NewSession(w, sandboxtest.Peer)
		s.Start()
		sandbox.FeedAll(s, []byte("EHLO c.test\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: s\r\n\r\n"+in+"more\r\n.\r\n"))
		rs := rec.Replies()
		r := rs[len(rs)-1]
		if r.Code != 554 || r.Reason != "smtp.data.bare_lf.dot" || r.Args["line"] != "3" {
			t.Errorf("%q: %d %s %v, want 554 smtp.data.bare_lf.dot line 3", in, r.Code, r.Reason, r.Args)
		}
	}
}

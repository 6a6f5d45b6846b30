package shell_test

import (
	"slices"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
	"smtplab/shell"
)

// TestCommandLettersOff: without OpenSSL's command letters, a line that
// starts with R or Q goes to the server like any other.
func TestCommandLettersOff(t *testing.T) {
	sh, worlds := testShell(t)
	sh.CommandLetters = false
	var got []string
	worlds[0].Subscribe(func(ev sandbox.Event) {
		if ev.Reply != nil {
			got = append(got, ev.Reply.Lines[0])
		}
	})
	var printed []string
	term := &shell.Terminal{Shell: sh, Peer: sandboxtest.Peer,
		NewSession: func(server any, p sandbox.Proto, peer sandbox.Peer) sandbox.Session {
			return engine.New(server.(*sandbox.World), p, peer)
		},
		Printed: func(l shell.Line) { printed = append(printed, l.Text(catalog.EN)) },
	}
	for _, l := range []string{"openssl s_client -connect mail.example.test:465 -crlf", "EHLO client.example.test", "RSET", "QUIT"} {
		term.Type(l)
	}
	if !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "221 ") }) || term.Connected() {
		t.Errorf("QUIT did not reach the server: %q", got)
	}
	if slices.Contains(printed, "RENEGOTIATING") || slices.Contains(printed, "DONE") {
		t.Errorf("openssl read a command letter: %q", printed)
	}
}

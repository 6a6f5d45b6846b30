package tcp

import (
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
)

// serveEngine serves the real engine of p, with TLS.
func serveEngine(t *testing.T, p sandbox.Proto, configure func(*Server)) (*Server, *sandbox.World, *sandboxtest.Recorder) {
	t.Helper()
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	fs := serveFake(t, func(s *Server) {
		s.Name = string(p)
		s.NewSession = func(peer sandbox.Peer) sandbox.Session { return engine.New(w, p, peer) }
		if configure != nil {
			configure(s)
		}
	})
	return fs.Server, w, rec
}

// reply reads a whole SMTP reply and returns its lines.
func (l *lines) reply() []string {
	l.t.Helper()
	var out []string
	for {
		s := l.line()
		out = append(out, s)
		if len(s) < 4 || s[3] != '-' {
			return out
		}
	}
}

func commands(rec *sandboxtest.Recorder) []string {
	var out []string
	for _, ev := range rec.Events() {
		if ev.Command != nil {
			out = append(out, ev.Command.Verb)
		}
	}
	return out
}

// TestSMTPSubmissionOverStartTLS: the real SMTP engine on a submission
// port: STARTTLS is offered in clear and AUTH is not; a command pipelined
// after STARTTLS in clear is never run (CVE-2011-0411); under TLS the new
// EHLO offers AUTH, and the session knows its encryption.
func TestSMTPSubmissionOverStartTLS(t *testing.T) {
	s, _, rec := serveEngine(t, sandbox.SMTP, func(s *Server) { s.Service = sandbox.Submission })
	c := dialRaw(t, s.Addr().String())
	c.reply()
	c.write("EHLO client.example.test\r\n")
	ehlo := strings.Join(c.reply(), "\n")
	if !strings.Contains(ehlo, "STARTTLS") || strings.Contains(ehlo, "AUTH") {
		t.Fatalf("EHLO in clear on submission:\n%s", ehlo)
	}
	c.write("STARTTLS\r\nMAIL FROM:<injected@example.test>\r\n")
	if r := c.reply(); !strings.HasPrefix(r[0], "220 2.0.0") {
		t.Fatalf("STARTTLS: %q", r)
	}
	c.secure()
	c.write("EHLO client.example.test\r\n")
	ehlo = strings.Join(c.reply(), "\n")
	if strings.Contains(ehlo, "STARTTLS") || !strings.Contains(ehlo, "AUTH") {
		t.Fatalf("EHLO under TLS:\n%s", ehlo)
	}
	c.write("QUIT\r\n")
	c.reply()
	c.eof()
	if got := strings.Join(commands(rec), " "); got != "EHLO STARTTLS EHLO QUIT" {
		t.Errorf("commands the engine ran: %s", got)
	}
	var secured *sandbox.TLS
	for _, ev := range rec.Events() {
		if ev.Kind == sandbox.EventTLS {
			secured = ev.TLS
		}
	}
	if secured == nil || secured.Version != "TLS 1.3" || secured.ServerName != "localhost" {
		t.Errorf("tls event %+v", secured)
	}
}

// TestPOP3OverTLS: the real POP3 engine: STLS in place, with a pipelined
// command after it dropped, and POP3 from the first byte under TLS, where
// CAPA no longer offers STLS.
func TestPOP3OverTLS(t *testing.T) {
	t.Run("stls", func(t *testing.T) {
		s, _, rec := serveEngine(t, sandbox.POP3, nil)
		c := dialRaw(t, s.Addr().String())
		c.line()
		c.write("STLS\r\nUSER alice\r\n")
		if r := c.line(); !strings.HasPrefix(r, "+OK") {
			t.Fatalf("STLS: %q", r)
		}
		c.secure()
		if r := c.cmd("PASS alice"); !strings.HasPrefix(r, "-ERR") {
			t.Errorf("PASS after a USER sent in clear before the handshake: %q, want -ERR", r)
		}
		if got := strings.Join(commands(rec), " "); got != "STLS PASS" {
			t.Errorf("commands the engine ran: %s", got)
		}
	})
	t.Run("pop3s", func(t *testing.T) {
		s, _, _ := serveEngine(t, sandbox.POP3, func(s *Server) { s.Implicit = true })
		c := dialTLS(t, s.Addr().String())
		c.line()
		c.write("CAPA\r\n")
		var capa []string
		for l := c.line(); l != "."; l = c.line() {
			capa = append(capa, l)
		}
		if strings.Contains(strings.Join(capa, "\n"), "STLS") {
			t.Errorf("CAPA under TLS offers STLS:\n%s", strings.Join(capa, "\n"))
		}
		if r := c.cmd("USER alice"); !strings.HasPrefix(r, "+OK") {
			t.Fatalf("USER: %q", r)
		}
		if r := c.cmd("PASS alice"); !strings.HasPrefix(r, "+OK") {
			t.Fatalf("PASS: %q", r)
		}
		if r := c.cmd("QUIT"); !strings.HasPrefix(r, "+OK") {
			t.Fatalf("QUIT: %q", r)
		}
		c.eof()
	})
}

package main

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestShutdownSays421(t *testing.T) {
	a := startApp(t)
	a.deliver(t, "alice", "Subject: keep me\r\n\r\nStill here after the shutdown.\r\n")

	// An SMTP client in the middle of its message text.
	s := dialSMTP(t, a.addr(t, "smtp"))
	s.expect("EHLO client.example.test", "250 ")
	s.expect("MAIL FROM:<alice@example.test>", "250 ")
	s.expect("RCPT TO:<bob@example.test>", "250 ")
	s.expect("DATA", "354 ")
	s.write("Subject: unfinished\r\n\r\nhalf a mess")

	// A POP3 client that marked alice's message for deletion.
	p := dialPOP3(t, a.addr(t, "pop3"))
	p.login("alice", "alice")
	p.ok("DELE 1")

	// A POP2 client logged in to carol's (empty) mailbox.
	p2 := dialLines(t, a.addr(t, "pop2"))
	p2.line()
	p2.write("HELO carol carol\r\n")
	if r := p2.line(); !strings.HasPrefix(r, "#0") {
		t.Fatalf("POP2 HELO: %q", r)
	}

	done := make(chan error, 1)
	go func() { done <- a.shutdown() }()

	if r := s.line(); !strings.HasPrefix(r, "421 4.3.2 ") {
		t.Errorf("SMTP client got %q, want 421 4.3.2", r)
	} else {
		s.expectEOF()
	}
	if r := p.line(); !strings.HasPrefix(r, "-ERR ") {
		t.Errorf("POP3 client got %q, want -ERR", r)
	} else {
		p.expectEOF()
	}
	if r := p2.line(); !strings.HasPrefix(r, "- ") {
		t.Errorf("POP2 client got %q, want -", r)
	} else {
		p2.expectEOF()
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stop: %v", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("stop did not return")
	}

	// Nothing was deleted or delivered, and the maildrops are free.
	a.wantCount(t, map[string]int{"alice": 1, "bob": 0, "carol": 0})
	for _, box := range []string{"alice", "carol"} {
		if !a.unlocked(box) {
			t.Errorf("%s's maildrop is still locked after the shutdown", box)
		}
	}
	for _, svc := range []string{"smtp", "pop3", "pop2"} {
		if c, err := net.DialTimeout("tcp", a.addr(t, svc), time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after stop", svc)
		}
	}
}

// TestRestartOnSamePorts: right after a stop, a new smtplab binds the same
// ports, although the connections just closed linger in TIME_WAIT.
func TestRestartOnSamePorts(t *testing.T) {
	first := startApp(t)
	sendMail(t, first.addr(t, "smtp"), "alice@example.test", []string{"bob@example.test"}, "Subject: x\r\n\r\ny\r\n")
	p := dialPOP3(t, first.addr(t, "pop3"))
	p.login("bob", "bob")
	p.quit()
	if err := first.shutdown(); err != nil {
		t.Fatal(err)
	}
	second := startApp(t, "-smtp", first.addr(t, "smtp"), "-pop3", first.addr(t, "pop3"), "-pop2", first.addr(t, "pop2"))
	dialSMTP(t, second.addr(t, "smtp")).expect("QUIT", "221 ")
	dialPOP3(t, second.addr(t, "pop3")).quit()
}

// TestPortInUse runs smtplab as main does, with one address taken.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()

	// Services bind in this order; those before the busy one did bind.
	for i, svc := range []string{"smtp", "pop3", "pop2", "http"} {
		t.Run(svc, func(t *testing.T) {
			args := append(append([]string(nil), loopbackArgs...), "-"+svc, busy)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var stderr syncBuffer
			code := run(ctx, args, noEnv, &stderr)
			if ctx.Err() != nil {
				t.Fatalf("run started with %s on a busy address and ran until the deadline:\n%s", svc, stderr.String())
			}
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			var errLines, logLines []string
			for _, l := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
				if strings.HasPrefix(l, "time=") {
					logLines = append(logLines, l)
				} else {
					errLines = append(errLines, l)
				}
			}
			want := regexp.MustCompile(`^smtplab: .*\b` + svc + `\b.*` + regexp.QuoteMeta(busy) + `.*address already in use$`)
			if len(errLines) != 1 || !want.MatchString(errLines[0]) {
				t.Fatalf("stderr should have one error line naming %s, %s and \"address already in use\"; got:\n%s", svc, busy, stderr.String())
			}
			if svc == "smtp" && len(logLines) != 0 {
				// smtp binds first: nothing happened before the error.
				t.Errorf("stderr has more than the error line:\n%s", stderr.String())
			}
			// Whatever was bound before the failure is closed again.
			bound := regexp.MustCompile(`msg=listening service=(\w+) addr=(\S+)`).FindAllStringSubmatch(stderr.String(), -1)
			if len(bound) != i {
				t.Errorf("the log says %d services listened before %s failed, want %d:\n%s", len(bound), svc, i, stderr.String())
			}
			for _, m := range bound {
				if c, err := net.DialTimeout("tcp", m[2], time.Second); err == nil {
					c.Close()
					t.Errorf("%s on %s still accepts connections after the start failed", m[1], m[2])
				}
			}
		})
	}
}

func TestFlagsAndEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}

	t.Run("defaults", func(t *testing.T) {
		c, err := parseConfig(nil, noEnv, &syncBuffer{})
		if err != nil {
			t.Fatal(err)
		}
		want := config{HTTP: "127.0.0.1:8025", SMTP: "127.0.0.1:2525", POP3: "127.0.0.1:1100", POP2: "127.0.0.1:1109",
			Submission: "127.0.0.1:2587", Submissions: "127.0.0.1:2465", POP3S: "127.0.0.1:1995",
			Domain: "example.test", Data: "off", MaxMemory: 2 << 30, MaxSessions: 100, MaxWorlds: 500, SMTPTimeout: 5 * time.Minute, POP3Timeout: 10 * time.Minute, LogLevel: "info"}
		if c != want {
			t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
		}
		// With a home, the data folder is the user's data directory.
		c, _ = parseConfig(nil, env("HOME", "/home/prof"), &syncBuffer{})
		if c.Data != "/home/prof/.local/share/smtplab" {
			t.Errorf("data folder with HOME: %q", c.Data)
		}
		c, _ = parseConfig(nil, env("HOME", "/home/prof", "XDG_DATA_HOME", "/data"), &syncBuffer{})
		if c.Data != "/data/smtplab" {
			t.Errorf("data folder with XDG_DATA_HOME: %q", c.Data)
		}
	})

	t.Run("environment", func(t *testing.T) {
		c, err := parseConfig(nil, env(
			"SMTPLAB_SMTP", "off",
			"SMTPLAB_MAX_SESSIONS", "3",
			"SMTPLAB_POP2", "127.0.0.1:2109",
			"SMTPLAB_DOMAIN", "school.test",
			"SMTPLAB_SMTP_TIMEOUT", "30s",
			"SMTPLAB_POP3_TIMEOUT", "1h",
			"SMTPLAB_LOG_LEVEL", "debug",
		), &syncBuffer{})
		if err != nil {
			t.Fatal(err)
		}
		want := config{HTTP: "127.0.0.1:8025", SMTP: "off", POP3: "127.0.0.1:1100", POP2: "127.0.0.1:2109",
			Submission: "127.0.0.1:2587", Submissions: "127.0.0.1:2465", POP3S: "127.0.0.1:1995",
			Domain: "school.test", Data: "off", MaxMemory: 2 << 30, MaxSessions: 3, MaxWorlds: 500, SMTPTimeout: 30 * time.Second, POP3Timeout: time.Hour, LogLevel: "debug"}
		if c != want {
			t.Errorf("from the environment:\n got %+v\nwant %+v", c, want)
		}
	})

	t.Run("flags win over the environment", func(t *testing.T) {
		c, err := parseConfig([]string{"-smtp", "127.0.0.1:2526", "-max-sessions", "7", "-pop3", "off"},
			env("SMTPLAB_SMTP", "off", "SMTPLAB_MAX_SESSIONS", "3", "SMTPLAB_POP3", "127.0.0.1:1101"), &syncBuffer{})
		if err != nil {
			t.Fatal(err)
		}
		if c.SMTP != "127.0.0.1:2526" || c.MaxSessions != 7 || c.POP3 != "off" {
			t.Errorf("got smtp %q, max-sessions %d, pop3 %q; want the flags' 127.0.0.1:2526, 7, off", c.SMTP, c.MaxSessions, c.POP3)
		}
	})

	t.Run("bad values", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			env  []string
			want string // in the error
		}{
			{args: []string{"-max-sessions", "0"}, want: `-max-sessions: want a positive number, got "0"`},
			{args: []string{"-max-sessions", "-4"}, want: `-max-sessions: want a positive number, got "-4"`},
			{env: []string{"SMTPLAB_MAX_SESSIONS", "many"}, want: `SMTPLAB_MAX_SESSIONS: want a positive number, got "many"`},
			{args: []string{"-smtp-timeout", "5"}, want: `-smtp-timeout: want a duration such as 5m or 30s, got "5"`},
			{env: []string{"SMTPLAB_POP3_TIMEOUT", "0s"}, want: `SMTPLAB_POP3_TIMEOUT: want a duration such as 5m or 30s, got "0s"`},
			{args: []string{"-bogus"}, want: "flag provided but not defined: -bogus"},
			{args: []string{"2525"}, want: `unexpected argument "2525"`},
			{args: []string{"-max-sessions", "3x"}, want: `-max-sessions: want a positive number, got "3x"`},
			{args: []string{"-max-sessions", "0x10"}, want: `-max-sessions: want a positive number, got "0x10"`},
			{args: []string{"-log-level", "verbose"}, want: `-log-level: want debug, info, warn or error, got "verbose"`},
			{env: []string{"SMTPLAB_LOG_LEVEL", "loud"}, want: `SMTPLAB_LOG_LEVEL: want debug, info, warn or error, got "loud"`},
		} {
			name := strings.Join(append(tc.args, tc.env...), " ")
			t.Run(name, func(t *testing.T) {
				_, err := parseConfig(tc.args, env(tc.env...), &syncBuffer{})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want one containing %q", err, tc.want)
				}
			})
		}
	})

	t.Run("run exits 2 on a bad value", func(t *testing.T) {
		var stderr syncBuffer
		code := run(context.Background(), []string{"-max-sessions", "none"}, noEnv, &stderr)
		if code != 2 || stderr.String() != "smtplab: -max-sessions: want a positive number, got \"none\"\n" {
			t.Errorf("exit %d, stderr %q", code, stderr.String())
		}
	})

	t.Run("off disables a service", func(t *testing.T) {
		cfg, err := parseConfig([]string{"-http", "off", "-pop3", "127.0.0.1:0", "-pop2", "127.0.0.1:0",
			"-submission", "off", "-submissions", "off", "-pop3s", "off"},
			env("SMTPLAB_SMTP", "off", "SMTPLAB_MAX_SESSIONS", "3"), &syncBuffer{})
		if err != nil {
			t.Fatal(err)
		}
		logs := &syncBuffer{}
		a := startConfig(t, cfg, logs, logs)
		if _, on := a.ports["smtp"]; on || len(a.ports) != 2 {
			t.Fatalf("ports %v: want pop3 and pop2 only", a.ports)
		}
		if !strings.Contains(logs.String(), `msg="service off" service=smtp`) {
			t.Errorf("the log does not say smtp is off:\n%s", logs)
		}
		dialPOP3(t, a.addr(t, "pop3")).quit()
		a.waitSessions(t, "pop3", 0)

		// SMTPLAB_MAX_SESSIONS=3 holds: a fourth client is turned away.
		for range 3 {
			dialPOP3(t, a.addr(t, "pop3"))
		}
		fourth := dialLines(t, a.addr(t, "pop3"))
		if r := fourth.line(); !strings.HasPrefix(r, "-ERR [SYS/TEMP] ") {
			t.Errorf("fourth POP3 client got %q, want -ERR [SYS/TEMP] (too many sessions)", r)
		}
		fourth.expectEOF()
	})
}

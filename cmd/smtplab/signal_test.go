package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runMainEnv makes the test binary run main instead of the tests, so a test
// can start smtplab as a process of its own and send it signals.
const runMainEnv = "SMTPLAB_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSignalSaysGoodbye starts smtplab as a process and stops it with
// SIGTERM or SIGINT, as a service manager or Ctrl-C would: open sessions
// are told goodbye and the process exits with status 0.
func TestSignalSaysGoodbye(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			proc := startBinary(t, nil, loopbackArgs...)
			addrs := proc.addrs

			s := dialSMTP(t, addrs["smtp"])
			s.expect("EHLO client.example.test", "250 ")
			s.expect("MAIL FROM:<alice@example.test>", "250 ")
			p := dialPOP3(t, addrs["pop3"])
			p.login("alice", "alice")

			if err := proc.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if r := s.reply(); !strings.HasPrefix(r, "421 4.3.2 ") {
				t.Errorf("SMTP client got %q, want 421 4.3.2", r)
			} else {
				s.expectEOF()
			}
			if r := p.line(); !strings.HasPrefix(r, "-ERR ") {
				t.Errorf("POP3 client got %q, want -ERR", r)
			} else {
				p.expectEOF()
			}
			select {
			case err := <-proc.exited:
				if err != nil {
					t.Errorf("smtplab exited with %v, want status 0", err)
				}
			case <-time.After(ioTimeout):
				t.Fatalf("smtplab still running %s after %s", ioTimeout, sig)
			}
			if !strings.Contains(proc.stderr.String(), `msg="shutting down"`) {
				t.Errorf("the log does not say it is shutting down:\n%s", proc.stderr.String())
			}
		})
	}
}

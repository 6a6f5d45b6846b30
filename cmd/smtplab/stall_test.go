package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestShutdownWithAStalledReader: a POP3 client asks for a message bigger
// than the socket buffers and stops reading, so the server blocks writing
// the reply. Stopping the app must still take no longer than the context
// given to stop (main gives shutdownGrace).
func TestShutdownWithAStalledReader(t *testing.T) {
	a := startApp(t)
	a.deliver(t, "alice", "Subject: big\r\n\r\n"+strings.Repeat(strings.Repeat("x", 998)+"\r\n", 32<<10)) // 32 MiB
	c := dialPOP3(t, a.addr(t, "pop3"))
	c.login("alice", "alice")
	c.write("RETR 1\r\n")
	// The first line of the answer proves the server is inside the write of
	// its 32 MiB reply; from now on the client reads nothing.
	if r := c.line(); !strings.HasPrefix(r, "+OK ") {
		t.Fatalf("RETR: %q", r)
	}

	const grace = 500 * time.Millisecond
	done := make(chan error, 1)
	start := time.Now()
	go a.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		// The stalled session may end the grace period: stop may then
		// report ctx's error; it must not report it late.
		done <- a.stop(ctx)
	})
	select {
	case err := <-done:
		if took := time.Since(start); took > grace+time.Second {
			t.Errorf("stop with a %v context returned after %v (%v)", grace, took, err)
		}
	case <-time.After(grace + 2*time.Second):
		t.Errorf("stop with a %v context still blocked after %v: a client that does not read holds up the shutdown",
			grace, time.Since(start).Round(time.Millisecond))
		c.c.Close() // the server's write fails at once, and the test can end
		<-done
	}
}

package server_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/server"
)

// TestWSSilentSocketIsClosed: a socket that never says hello is closed after
// HelloWait, so sockets nobody uses do not pile up.
func TestWSSilentSocketIsClosed(t *testing.T) {
	t.Parallel()
	ts, _ := app(t)
	ws, _, err := dialWS(ts, http.Header{"Origin": {ts.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	start := time.Now()
	ws.SetReadDeadline(time.Now().Add(server.HelloWait + 5*time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			break
		}
	}
	if d := time.Since(start); d < server.HelloWait-time.Second || d > server.HelloWait+4*time.Second {
		t.Fatalf("silent socket closed after %s, want about %s", d, server.HelloWait)
	}
}

// TestHealthzSaysWhatIsWrong: a TCP service that cannot accept clients
// makes /healthz answer 503 with the reason.
func TestHealthzSaysWhatIsWrong(t *testing.T) {
	var fault error
	s := server.New(server.Config{
		World:      sandbox.NewWorld(sandbox.Config{Name: "default"}),
		NewSession: engine.New,
		Health:     func() error { return fault },
	})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	if r := get(t, ts.URL+"/healthz", nil); r.StatusCode != http.StatusOK {
		t.Fatalf("healthy: %d %q", r.StatusCode, r.body)
	}
	fault = errors.New("smtp: accept: too many open files")
	r := get(t, ts.URL+"/healthz", nil)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, "too many open files") {
		t.Fatalf("unhealthy: %d %q", r.StatusCode, r.body)
	}
}

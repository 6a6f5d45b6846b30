package smtp

import (
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// TestGolden replays every transcript under sandbox/testdata/smtp.
func TestGolden(t *testing.T) {
	sandboxtest.GoldenDir(t, "../testdata/smtp", func(w *sandbox.World, p sandbox.Peer) sandbox.Session {
		return NewSession(w, p)
	}, nil)
}

package pop2

import (
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// TestGolden replays every transcript under sandbox/testdata/pop2.
func TestGolden(t *testing.T) {
	runGolden(t, nil)
}

// runGolden replays the transcripts; observe, if not nil, sees every event
// of every transcript's world.
func runGolden(t *testing.T, observe sandbox.Observer) {
	sandboxtest.GoldenDir(t, "../testdata/pop2", func(w *sandbox.World, peer sandbox.Peer) sandbox.Session {
		return NewSession(w, peer)
	}, observe)
}

// fillMailbox delivers n test messages to box.
func fillMailbox(t testing.TB, w *sandbox.World, box string, n int) []*sandbox.Message {
	return sandboxtest.FillMailbox(t, w, box, n)
}

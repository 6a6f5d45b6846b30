package pop3

import (
	"sync"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// TestGolden replays every transcript under sandbox/testdata/pop3.
func TestGolden(t *testing.T) {
	runGolden(t, nil)
}

// runGolden replays the transcripts; observe, if not nil, sees every event
// of every transcript's world.
func runGolden(t *testing.T, observe sandbox.Observer) {
	sandboxtest.GoldenDir(t, "../testdata/pop3", func(w *sandbox.World, peer sandbox.Peer) sandbox.Session {
		return NewSession(w, peer)
	}, observe)
}

// fillMailbox delivers n test messages to box.
func fillMailbox(t testing.TB, w *sandbox.World, box string, n int) []*sandbox.Message {
	return sandboxtest.FillMailbox(t, w, box, n)
}

// reasons collects the reply reasons and states seen in events.
type reasons struct {
	mu      sync.Mutex
	reasons map[string]bool
	meaning map[string]bool
	states  map[string]bool
	verbs   map[string]bool
}

func newReasons() *reasons {
	return &reasons{reasons: map[string]bool{}, meaning: map[string]bool{}, states: map[string]bool{}, verbs: map[string]bool{}}
}

func (r *reasons) observe(e sandbox.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case e.Reply != nil:
		r.reasons[e.Reply.Reason] = true
		r.meaning[e.Reply.Meaning] = true
	case e.State != nil:
		r.states[e.State.To] = true
	case e.Command != nil && e.Command.Known:
		r.verbs[e.Command.Verb] = true
	}
}

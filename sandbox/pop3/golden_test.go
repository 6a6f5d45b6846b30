package pop3

import (
	"sync"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// TestGolden replays every transcript under sandbox/testdata/pop3: those
// of the browser terminal's connection (clear, no TLS to start), those of
// stls/ on a port that can start TLS, and those of pop3s/ on an
// implicit-TLS port.
func TestGolden(t *testing.T) {
	runGolden(t, nil)
}

// runGolden replays the transcripts; observe, if not nil, sees every event
// of every transcript's world.
func runGolden(t *testing.T, observe sandbox.Observer) {
	sandboxtest.GoldenDir(t, "../testdata/pop3", func(w *sandbox.World, peer sandbox.Peer) sandbox.Session {
		return NewSession(w, peer)
	}, observe)
	t.Run("stls", func(t *testing.T) {
		sandboxtest.GoldenDir(t, "../testdata/pop3/stls", func(w *sandbox.World, peer sandbox.Peer) sandbox.Session {
			peer.CanStartTLS = true
			return &transport{NewSession(w, peer)}
		}, observe)
	})
	t.Run("pop3s", func(t *testing.T) {
		sandboxtest.GoldenDir(t, "../testdata/pop3/pop3s", func(w *sandbox.World, peer sandbox.Peer) sandbox.Session {
			peer.TLS = &testTLS
			return NewSession(w, peer)
		}, observe)
	})
}

// testTLS is the encryption a test transport reports once "handshaken".
var testTLS = sandbox.TLS{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ServerName: "mail.example.test"}

// transport plays the TCP transport of a port that can start TLS: when a
// step asks for it (Output.StartTLS), the replies go out in clear, the
// handshake succeeds, and the session hears so through Secured.
type transport struct{ *Session }

func (t *transport) Feed(p []byte) sandbox.Output {
	out := t.Session.Feed(p)
	if out.StartTLS {
		after := t.Secured(testTLS)
		out.Replies = append(out.Replies, after.Replies...)
	}
	return out
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

package pop2

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
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
	files, err := filepath.Glob("../testdata/pop2/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts found: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			sandboxtest.Golden(t, f, func(opts map[string]string) *sandbox.World {
				w := goldenWorld(t, opts)
				if observe != nil {
					w.Subscribe(observe)
				}
				return w
			}, func(w *sandbox.World) sandbox.Session {
				return NewSession(w, sandboxtest.Peer)
			})
		})
	}
}

// goldenWorld makes the world a transcript asks for with its option lines:
//
//	option mail alice 3 bob 1   deliver test messages into mailboxes
//	option locked alice         another session holds alice's mailbox
func goldenWorld(t testing.TB, opts map[string]string) *sandbox.World {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	f := strings.Fields(opts["mail"])
	for i := 0; i+1 < len(f); i += 2 {
		n, err := strconv.Atoi(f[i+1])
		if err != nil {
			t.Fatalf("option mail: bad count %q", f[i+1])
		}
		fillMailbox(t, w, f[i], n)
	}
	for _, box := range strings.Fields(opts["locked"]) {
		if !w.Store.Lock(box) {
			t.Fatalf("option locked: %s already locked", box)
		}
	}
	return w
}

// fillMailbox delivers n test messages to box. The second one has body
// lines starting with a dot: POP2 sends them as they are.
func fillMailbox(t testing.TB, w *sandbox.World, box string, n int) []*sandbox.Message {
	var out []*sandbox.Message
	for i := 1; i <= n; i++ {
		id := w.NewID()
		var b strings.Builder
		fmt.Fprintf(&b, "From: Bob Durand <bob@%s>\r\nTo: %s@%s\r\nSubject: Test message %d\r\n\r\n", w.Domain, box, w.Domain, i)
		fmt.Fprintf(&b, "Hello %s,\r\n", box)
		if i == 2 {
			b.WriteString(".\r\n.hidden\r\n")
		}
		fmt.Fprintf(&b, "this is message %d.\r\n", i)
		m := &sandbox.Message{ID: id, Mailbox: box, Arrived: w.Now(), Raw: []byte(b.String())}
		if err := w.Store.Deliver(m, 1<<20, 1<<30); err != nil {
			t.Fatalf("deliver to %s: %v", box, err)
		}
		out = append(out, m)
	}
	return out
}

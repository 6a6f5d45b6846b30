package pop3

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
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
	files, err := filepath.Glob("../testdata/pop3/*.txt")
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
//	option locked alice         another session holds alice's maildrop
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
// lines starting with a dot, one of them a lone dot, to show byte-stuffing.
func fillMailbox(t testing.TB, w *sandbox.World, box string, n int) []*sandbox.Message {
	var out []*sandbox.Message
	for i := 1; i <= n; i++ {
		m := testMessage(w, box, i)
		if err := w.Store.Deliver(m, 1<<20, 1<<30); err != nil {
			t.Fatalf("deliver to %s: %v", box, err)
		}
		out = append(out, m)
	}
	return out
}

func testMessage(w *sandbox.World, box string, i int) *sandbox.Message {
	id := w.NewID()
	var b strings.Builder
	fmt.Fprintf(&b, "From: Bob Durand <bob@%s>\r\n", w.Domain)
	fmt.Fprintf(&b, "To: %s@%s\r\n", box, w.Domain)
	fmt.Fprintf(&b, "Subject: Test message %d\r\n", i)
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", id, w.Domain)
	b.WriteString("\r\n")
	fmt.Fprintf(&b, "Hello %s,\r\n", box)
	if i == 2 {
		b.WriteString(".\r\n..two dots\r\n.hidden\r\n")
	}
	fmt.Fprintf(&b, "this is message %d.\r\n", i)
	b.WriteString("Bye\r\n")
	return &sandbox.Message{
		ID: id, Mailbox: box, Arrived: w.Now(), Raw: []byte(b.String()),
		Subject: fmt.Sprintf("Test message %d", i), From: "bob@" + w.Domain,
	}
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

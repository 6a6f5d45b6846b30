package lessons

import (
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
)

// terminal types lines as the browser terminal would: at the shell prompt,
// "telnet HOST PORT" opens a session; inside one, each line goes to it.
type terminal struct {
	t    *testing.T
	w    *sandbox.World
	sess sandbox.Session
}

var ports = map[string]sandbox.Proto{
	"25": sandbox.SMTP, "smtp": sandbox.SMTP, "110": sandbox.POP3, "pop3": sandbox.POP3, "109": sandbox.POP2, "pop2": sandbox.POP2,
}

func (term *terminal) typeLine(line string) {
	term.t.Helper()
	if term.sess != nil && !term.sess.Closed() {
		sandbox.FeedAll(term.sess, []byte(line+"\r\n"))
		return
	}
	f := strings.Fields(line)
	if len(f) != 3 || (f[0] != "telnet" && f[0] != "nc") {
		term.t.Fatalf("at the shell prompt, %q is not telnet HOST PORT", line)
	}
	proto, ok := ports[f[2]]
	if !ok {
		term.t.Fatalf("no service on port %s", f[2])
	}
	term.sess = engine.New(term.w, proto, sandboxtest.Peer)
	term.sess.Start()
}

// play types lines in a fresh world and returns it with every event seen.
func play(t *testing.T, lines ...string) (*sandbox.World, []sandbox.Event) {
	t.Helper()
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	term := &terminal{t: t, w: w}
	for _, l := range lines {
		term.typeLine(l)
	}
	return w, rec.Events()
}

package lessons

import (
	"strings"
	"sync"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
)

// terminal types lines as the browser terminal would: at the shell prompt,
// "telnet HOST PORT" opens a session with the server of that name; inside
// one, each line goes to it.
type terminal struct {
	t      *testing.T
	worlds []*sandbox.World // the servers it can reach, by their Host
	sess   sandbox.Session
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
	for _, w := range term.worlds {
		if strings.EqualFold(w.Host, f[1]) {
			term.sess = engine.New(w, proto, sandboxtest.Peer)
			term.sess.Start()
			return
		}
	}
	term.t.Fatalf("%q: no server named %s", line, f[1])
}

// play types lines in a fresh practice world and returns it with every
// event seen.
func play(t *testing.T, lines ...string) (*sandbox.World, []sandbox.Event) {
	t.Helper()
	w := sandboxtest.NewWorld(sandbox.Limits{})
	return w, playIn(t, []*sandbox.World{w}, lines...)
}

// playIn types lines in a terminal that reaches the servers of worlds, and
// returns the events of all of them, in the order they happened.
func playIn(t *testing.T, worlds []*sandbox.World, lines ...string) []sandbox.Event {
	t.Helper()
	var mu sync.Mutex
	var evs []sandbox.Event
	for _, w := range worlds {
		cancel := w.Subscribe(func(ev sandbox.Event) {
			mu.Lock()
			evs = append(evs, ev)
			mu.Unlock()
		})
		defer cancel()
	}
	term := &terminal{t: t, worlds: worlds}
	for _, l := range lines {
		term.typeLine(l)
	}
	mu.Lock()
	defer mu.Unlock()
	return evs
}

// testClass is the student who plays class lessons in tests: lea, with tom
// and zoe for classmates, in the class world of classWorld.
var testClass = ClassVars{Host: "mail.class.test", Domain: "class.test", Me: "lea", Mate1: "tom", Mate2: "zoe"}

// classWorld is a class's world for tests: domain class.test, three
// students (passwords equal names), the list team of the three, and the
// teacher's mailbox postmaster.
func classWorld() *sandbox.World {
	return sandbox.NewWorld(sandbox.Config{
		Name:   "class-test",
		Domain: "class.test",
		Entries: []sandbox.Entry{
			{Local: "lea", Kind: sandbox.KindUser, FullName: "Léa", Password: "lea"},
			{Local: "tom", Kind: sandbox.KindUser, FullName: "Tom", Password: "tom"},
			{Local: "zoe", Kind: sandbox.KindUser, FullName: "Zoé", Password: "zoe"},
			{Local: "team", Kind: sandbox.KindList, FullName: "Team", Members: []string{"lea", "tom", "zoe"}},
			{Local: "postmaster", Kind: sandbox.KindUser, FullName: "Postmaster", Password: "postmaster"},
		},
		Limits: sandbox.Limits{AuthFailDelay: -1},
		Clock:  func() time.Time { return sandboxtest.Clock },
	})
}

// playLesson types lines where a student of lesson l works, and returns the
// world its checker follows with the events seen. A class lesson's
// terminal reaches the class server and, beside it, the practice server.
func playLesson(t *testing.T, l *Lesson, lines ...string) (*sandbox.World, []sandbox.Event) {
	t.Helper()
	if l.World != WorldClass {
		return play(t, lines...)
	}
	class := classWorld()
	return class, playIn(t, []*sandbox.World{sandboxtest.NewWorld(sandbox.Limits{}), class}, lines...)
}

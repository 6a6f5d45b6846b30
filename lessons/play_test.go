package lessons

import (
	"strings"
	"sync"
	"testing"
	"time"

	"smtplab/certs"
	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
	"smtplab/shell"
)

// terminal types lines as the browser terminal does, through its shell
// (package shell): at the prompt, telnet, nc or openssl s_client opens a
// session with the server of that name; inside one, each line goes to it
// as the program sends it. A line at the prompt that opens no session is
// a mistake of the test.
type terminal struct {
	t       *testing.T
	term    *shell.Terminal
	printed []string
}

func newTerminal(t *testing.T, worlds []*sandbox.World) *terminal {
	term := &terminal{t: t}
	resolve := func(name string) (shell.Host, bool) {
		for _, w := range worlds {
			if strings.EqualFold(w.Host, name) {
				return shell.Host{Address: "192.0.2.25", Server: w, Services: shell.AllServices()}, true
			}
		}
		return shell.Host{}, false
	}
	term.term = &shell.Terminal{
		Shell: &shell.Shell{Resolver: shell.ResolverFunc(resolve), Certificate: testCertificate(t), Host: "mail.example.test", CommandLetters: true},
		NewSession: func(server any, p sandbox.Proto, peer sandbox.Peer) sandbox.Session {
			return engine.New(server.(*sandbox.World), p, peer)
		},
		Peer:    sandboxtest.Peer,
		Printed: func(l shell.Line) { term.printed = append(term.printed, l.Text(catalog.EN)) },
	}
	return term
}

func (term *terminal) typeLine(line string) {
	term.t.Helper()
	if term.term.Connected() {
		term.term.Type(line)
		return
	}
	term.printed = nil
	term.term.Type(line)
	if !term.term.Connected() {
		term.t.Fatalf("at the shell prompt, %q opened no session:\n%s", line, strings.Join(term.printed, "\n"))
	}
}

// testCertificate is what the terminal's TLS presents, made once.
var testCertificate = func() func(*testing.T) shell.Certificate {
	var once sync.Once
	var cert shell.Certificate
	var err error
	return func(t *testing.T) shell.Certificate {
		once.Do(func() {
			var c *certs.Cert
			if c, err = certs.Load(certs.Config{Names: []string{"mail.example.test"}}); err == nil {
				cert = shell.Describe(c.Leaf)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
}()

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
	term := newTerminal(t, worlds)
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

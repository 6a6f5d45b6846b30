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
// "telnet HOST PORT" opens a session with the server of that name, and
// "openssl s_client -connect HOST:PORT [-starttls smtp]" an encrypted one;
// inside one, each line goes to it. It stands in for the browser's shell,
// knowing only what the lessons type.
type terminal struct {
	t      *testing.T
	worlds []*sandbox.World // the servers it can reach, by their Host
	sess   sandbox.Session
	host   string // the server sess talks to, as typed
}

// port is a service of the terminal's servers: the submission ports are
// 587, which starts in clear and offers STARTTLS, and 465, under TLS from
// the first byte (RFC 8314).
type port struct {
	proto    sandbox.Proto
	service  sandbox.Service
	starttls bool // the connection can be upgraded (587)
	implicit bool // encrypted from the first byte (465)
}

var ports = map[string]port{
	"25": {proto: sandbox.SMTP}, "smtp": {proto: sandbox.SMTP},
	"110": {proto: sandbox.POP3}, "pop3": {proto: sandbox.POP3},
	"109": {proto: sandbox.POP2}, "pop2": {proto: sandbox.POP2},
	"587": {proto: sandbox.SMTP, service: sandbox.Submission, starttls: true}, "submission": {proto: sandbox.SMTP, service: sandbox.Submission, starttls: true},
	"465": {proto: sandbox.SMTP, service: sandbox.Submission, implicit: true}, "submissions": {proto: sandbox.SMTP, service: sandbox.Submission, implicit: true},
}

func (term *terminal) typeLine(line string) {
	term.t.Helper()
	if term.sess != nil && !term.sess.Closed() {
		if out := sandbox.FeedAll(term.sess, []byte(line+"\r\n")); out.StartTLS {
			term.secure()
		}
		return
	}
	f := strings.Fields(line)
	var host, name, starttls string
	openssl := len(f) >= 2 && f[0] == "openssl" && f[1] == "s_client"
	switch {
	case len(f) == 3 && (f[0] == "telnet" || f[0] == "nc"):
		host, name = f[1], f[2]
	case openssl:
		host, name, starttls = term.opensslArgs(f[2:])
	default:
		term.t.Fatalf("at the shell prompt, %q is not telnet HOST PORT nor openssl s_client -connect HOST:PORT", line)
	}
	p, ok := ports[name]
	if !ok {
		term.t.Fatalf("no service on port %s", name)
	}
	if openssl && (p.implicit == (starttls != "") || starttls != "" && (starttls != "smtp" || !p.starttls)) {
		term.t.Fatalf("%q: openssl cannot start TLS this way on port %s", line, name)
	}
	for _, w := range term.worlds {
		if !strings.EqualFold(w.Host, host) {
			continue
		}
		peer := sandboxtest.Peer
		peer.Service, peer.CanStartTLS = p.service, p.starttls
		if p.implicit {
			peer.TLS = term.tls(host)
		}
		term.sess, term.host = engine.New(w, p.proto, peer), host
		term.sess.Start()
		if starttls != "" {
			// What s_client does before it hands over: EHLO, STARTTLS, the
			// handshake; the student sees none of the replies.
			sandbox.FeedAll(term.sess, []byte("EHLO mail.example.com\r\n"))
			if out := sandbox.FeedAll(term.sess, []byte("STARTTLS\r\n")); !out.StartTLS {
				term.t.Fatalf("%q: the server did not agree to STARTTLS", line)
			}
			term.secure()
		}
		return
	}
	term.t.Fatalf("%q: no server named %s", line, host)
}

// opensslArgs reads the options of s_client the lessons use: -connect
// HOST:PORT and -starttls PROTO; the others (-crlf, -ign_eof, -CAfile
// FILE…) change nothing here.
func (term *terminal) opensslArgs(args []string) (host, port, starttls string) {
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-connect", "-starttls", "-CAfile", "-servername", "-name":
			if i+1 == len(args) {
				term.t.Fatalf("openssl s_client: %s needs a value", args[i])
			}
			if args[i] == "-connect" {
				host, port, _ = strings.Cut(args[i+1], ":")
			} else if args[i] == "-starttls" {
				starttls = args[i+1]
			}
			i++
		}
	}
	if host == "" || port == "" {
		term.t.Fatalf("openssl s_client needs -connect HOST:PORT")
	}
	return host, port, starttls
}

// tls is the encryption the terminal's handshakes agree on.
func (term *terminal) tls(host string) *sandbox.TLS {
	return &sandbox.TLS{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ServerName: host}
}

// secure plays the client's side of the handshake a STARTTLS asked for.
func (term *terminal) secure() {
	term.sess.Secured(*term.tls(term.host))
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

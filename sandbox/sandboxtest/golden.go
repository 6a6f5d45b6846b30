// Package sandboxtest helps test protocol engines: a world with a fixed clock
// and predictable ids, and a runner for golden transcripts.
//
// A transcript is a text file of lines, each starting with a tag:
//
//	# comment
//	C: HELO client.test       client line, sent with CRLF
//	C*3: NOOP                 the same client line three times
//	R: "DATA\n"               raw client bytes, as a Go string literal
//	S: 250 ...                expected server line
//	S*3: 250 2.0.0 Ok         the same server line three times
//	! timeout | shutdown | hangup | refuse
//	! repair-store            the FlakyStore of the world works again
//	! secured                 the TLS handshake the session asked for succeeded
//	= closed                  the session must have ended here
//	= open                    the session must still be open
//	= mailbox alice 2         alice's mailbox must hold two messages
//	= mailbox lea@b.test 1    so must lea's, in the neighbour world of b.test
//	= stored 3                the world's store holds three messages in all
//	= event reply 250 2       exactly two 250 replies were emitted so far
//	= idle 3m0s               the session's current idle timeout
//	= starttls                the session asked the transport to start TLS
//
// Consecutive client lines are sent in one write, as a pipelining client
// would; the server lines that follow are what all of them must produce.
package sandboxtest

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"smtplab/sandbox"
)

var update = flag.Bool("update", false, "rewrite the expected part of golden files with the actual output")

// Updating reports whether -update was given: a golden test writes what
// it got instead of comparing it.
func Updating() bool { return *update }

// EachFile runs golden as a subtest for every file that pattern matches,
// named after the file without its extension; no file at all fails.
func EachFile(t *testing.T, pattern string, golden func(t *testing.T, file string)) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files match %s (%v)", pattern, err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)), func(t *testing.T) { golden(t, f) })
	}
}

// Clock is the fixed time of test worlds.
var Clock = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Peer is the client of test sessions (an address from TEST-NET-1).
var Peer = sandbox.Peer{Remote: "192.0.2.1:40000", Transport: "test"}

// NewWorld returns a default world with a fixed clock, ids counting up from
// 12A36E8003D4, no password delay, and the given limits.
func NewWorld(l sandbox.Limits) *sandbox.World {
	return newWorld(sandbox.Config{Name: "test", Limits: l}, 0x12A36E8003D4)
}

// newWorld fills in what every test world shares: the fixed clock, ids
// counting up from first, and no password delay unless c asks for one.
func newWorld(c sandbox.Config, first uint64) *sandbox.World {
	var mu sync.Mutex
	n := first
	if c.Limits.AuthFailDelay == 0 {
		c.Limits.AuthFailDelay = -1
	}
	c.Clock = func() time.Time { return Clock }
	c.NewID = func() string {
		mu.Lock()
		defer mu.Unlock()
		id := fmt.Sprintf("%012X", n)
		n++
		return id
	}
	return sandbox.NewWorld(c)
}

// Recorder keeps every event of a world.
type Recorder struct {
	mu     sync.Mutex
	events []sandbox.Event
}

// Record subscribes a new recorder to w.
func Record(w *sandbox.World) *Recorder {
	r := &Recorder{}
	w.Subscribe(func(e sandbox.Event) {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
	})
	return r
}

// Events returns the events recorded so far.
func (r *Recorder) Events() []sandbox.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sandbox.Event(nil), r.events...)
}

// Replies returns the replies recorded so far.
func (r *Recorder) Replies() []*sandbox.Reply {
	var out []*sandbox.Reply
	for _, e := range r.Events() {
		if e.Reply != nil {
			out = append(out, e.Reply)
		}
	}
	return out
}

// Golden runs the transcript in file against a session made by newSession in
// a world made by newWorld. With -update, it rewrites the expected lines.
func Golden(t *testing.T, file string, newWorld func(opts map[string]string) *sandbox.World, newSession func(*sandbox.World, sandbox.Peer) sandbox.Session) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	g := &golden{t: t, file: file}
	g.parse(src)
	w := newWorld(g.opts)
	rec := Record(w)
	s := newSession(w, OptionPeer(g.opts))
	g.run(w, s, rec)
	if *update {
		if err := os.WriteFile(file, g.rewrite(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type step struct {
	tag   string // "C", "S", "!", "=", "#", "opt"
	text  string
	raw   []byte
	line  int
	count int
}

type golden struct {
	t      *testing.T
	file   string
	steps  []step
	opts   map[string]string
	source []string
	actual map[int][]string // index of the first S step of a block → lines seen
	// startTLS is set when the engine asked for TLS, until "! secured".
	startTLS bool
}

func (g *golden) parse(src []byte) {
	g.opts = map[string]string{}
	g.source = strings.Split(string(src), "\n")
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		st := step{line: n, count: 1}
		tag, text, _ := strings.Cut(line, ":")
		text = strings.TrimPrefix(text, " ")
		if base, rep, ok := strings.Cut(tag, "*"); ok && (base == "C" || base == "S") {
			c, err := strconv.Atoi(rep)
			if err != nil {
				g.t.Fatalf("%s:%d: bad repeat %q", g.file, n, rep)
			}
			tag, st.count = base, c
		}
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			st.tag, st.text = "#", line
		case strings.HasPrefix(line, "! "):
			st.tag, st.text = "!", strings.TrimPrefix(line, "! ")
		case strings.HasPrefix(line, "= "):
			st.tag, st.text = "=", strings.TrimPrefix(line, "= ")
		case strings.HasPrefix(line, "option "):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "option "), " ")
			g.opts[k] = v
			st.tag, st.text = "#", line
		case tag == "C" || tag == "S":
			st.tag, st.text = tag, text
		case tag == "R":
			raw, err := strconv.Unquote(text)
			if err != nil {
				g.t.Fatalf("%s:%d: bad raw string: %v", g.file, n, err)
			}
			st.tag, st.raw = "C", []byte(raw)
		default:
			g.t.Fatalf("%s:%d: cannot read %q", g.file, n, line)
		}
		if st.tag == "C" && st.raw == nil {
			st.raw = []byte(strings.Repeat(st.text+"\r\n", st.count))
		} else if st.tag == "C" {
			st.raw = bytes.Repeat(st.raw, st.count)
		}
		g.steps = append(g.steps, st)
	}
}

func (g *golden) run(w *sandbox.World, s sandbox.Session, rec *Recorder) {
	g.actual = map[int][]string{}
	var out []string
	if !g.refuses() {
		out = splitLines(s.Start().Bytes())
	}
	var batch []byte
	for i := 0; i < len(g.steps); i++ {
		st := g.steps[i]
		switch st.tag {
		case "C":
			batch = append(batch, st.raw...)
			continue
		case "#":
			continue
		}
		if batch != nil {
			out = append(out, g.feed(s, batch)...)
			batch = nil
		}
		switch st.tag {
		case "S":
			j := i
			var want []string
			for ; j < len(g.steps) && g.steps[j].tag == "S"; j++ {
				for k := 0; k < g.steps[j].count; k++ {
					want = append(want, g.steps[j].text)
				}
			}
			g.actual[i] = out
			g.compare(st.line, want, out)
			out, i = nil, j-1
		case "!":
			out = append(out, splitLines(g.action(w, s, st).Bytes())...)
		case "=":
			g.check(w, s, rec, st)
		}
	}
	if batch != nil {
		out = append(out, g.feed(s, batch)...)
	}
	if len(out) > 0 && !*update {
		g.t.Errorf("%s: unexpected server lines at the end:\n%s", g.file, strings.Join(out, "\n"))
	}
}

// feed sends a batch of client bytes and returns the server's lines.
func (g *golden) feed(s sandbox.Session, batch []byte) []string {
	out := sandbox.FeedAll(s, batch)
	g.startTLS = g.startTLS || out.StartTLS
	return splitLines(out.Bytes())
}

// TestTLS is what "! secured" tells a session about its new encryption.
var TestTLS = sandbox.TLS{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ServerName: "mail.example.test"}

// refuses reports whether the transcript starts by refusing the client, in
// which case the session is never started.
func (g *golden) refuses() bool {
	for _, st := range g.steps {
		if st.tag != "#" {
			return st.tag == "!" && st.text == "refuse"
		}
	}
	return false
}

func (g *golden) compare(line int, want, got []string) {
	if *update || strings.Join(want, "\n") == strings.Join(got, "\n") {
		return
	}
	g.t.Errorf("%s:%d: server lines differ\n--- want\n%s\n--- got\n%s", g.file, line, strings.Join(want, "\n"), strings.Join(got, "\n"))
}

func (g *golden) action(w *sandbox.World, s sandbox.Session, st step) sandbox.Output {
	switch st.text {
	case "repair-store":
		f, ok := w.Store.(*FlakyStore)
		if !ok {
			g.t.Fatalf("%s:%d: repair-store needs option store flaky or store-fails-after", g.file, st.line)
		}
		f.Repair()
		return sandbox.Output{}
	case "timeout":
		return s.Timeout()
	case "shutdown":
		return s.Shutdown()
	case "hangup":
		s.Hangup()
		return sandbox.Output{}
	case "refuse":
		return s.Refuse()
	case "secured":
		// Play the transport: the handshake the engine asked for succeeded.
		if !g.startTLS {
			g.t.Fatalf("%s:%d: ! secured, but the session never asked for TLS", g.file, st.line)
		}
		g.startTLS = false
		return s.Secured(TestTLS)
	}
	g.t.Fatalf("%s:%d: unknown action %q", g.file, st.line, st.text)
	return sandbox.Output{}
}

func (g *golden) check(w *sandbox.World, s sandbox.Session, rec *Recorder, st step) {
	f := strings.Fields(st.text)
	fail := func(format string, a ...any) {
		g.t.Errorf("%s:%d: %s", g.file, st.line, fmt.Sprintf(format, a...))
	}
	switch {
	case len(f) == 1 && f[0] == "closed":
		if !s.Closed() {
			fail("session should be closed")
		}
	case len(f) == 1 && f[0] == "open":
		if s.Closed() {
			fail("session should be open")
		}
	case len(f) == 3 && f[0] == "mailbox":
		home, box := MailboxOf(g.t, w, f[1])
		if n := len(home.Store.Messages(box)); strconv.Itoa(n) != f[2] {
			fail("mailbox %s holds %d messages, want %s", f[1], n, f[2])
		}
	case len(f) == 2 && f[0] == "stored":
		if n, _ := w.Store.Usage(); strconv.Itoa(n) != f[1] {
			fail("the store holds %d messages, want %s", n, f[1])
		}
	case len(f) == 4 && f[0] == "event" && f[1] == "reply":
		n := 0
		for _, r := range rec.Replies() {
			if strconv.Itoa(r.Code) == f[2] || r.Status == f[2] {
				n++
			}
		}
		if strconv.Itoa(n) != f[3] {
			fail("%d replies %s, want %s", n, f[2], f[3])
		}
	case len(f) == 1 && f[0] == "starttls":
		if !g.startTLS {
			fail("the session should have asked for TLS")
		}
	case len(f) == 2 && f[0] == "idle":
		if got := s.Idle().String(); got != f[1] {
			fail("idle timeout %s, want %s", got, f[1])
		}
	default:
		g.t.Fatalf("%s:%d: unknown check %q", g.file, st.line, st.text)
	}
}

// rewrite returns the file with each block of S: lines replaced by the output.
func (g *golden) rewrite() []byte {
	var b bytes.Buffer
	for i := 0; i < len(g.steps); i++ {
		st := g.steps[i]
		if st.tag != "S" {
			b.WriteString(g.source[st.line-1] + "\n")
			continue
		}
		for _, l := range g.actual[i] {
			b.WriteString("S: " + l + "\n")
		}
		for i+1 < len(g.steps) && g.steps[i+1].tag == "S" {
			i++
		}
	}
	return b.Bytes()
}

func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
}

package server

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"smtplab/sandbox"
)

// Live view limits: the sessions and events kept to show a teacher who
// opens /live in the middle of a class.
const (
	LiveSessions         = 20
	LiveEventsPerSession = 2000
	// LiveBytesPerSession bounds what a kept session costs, whatever its
	// events carry (a long paste, replies to many RETRs).
	LiveBytesPerSession = 1 << 20
	MaxLivePages        = 100
	// MaxLivePagesPerAddress bounds the /live pages one client address may
	// open; the teacher (with the key) is never turned away.
	MaxLivePagesPerAddress = 10
)

// liveHub follows the shared world that real clients (telnet, swaks, mail
// programs) talk to over TCP, and the other servers of its network, keeps
// the recent sessions, and streams their events to every /live page.
type liveHub struct {
	mu       sync.Mutex
	sessions map[string]*liveSession
	order    []string
	pages    map[*wsConn]bool
	cancels  []func()
	closed   bool
}

// liveSession is what the hub keeps of one session.
type liveSession struct {
	events []sandbox.Event
	size   int  // approximate octets kept
	full   bool // no event fits any more: later ones are only streamed
}

func newLiveHub(w *sandbox.World) *liveHub {
	h := &liveHub{sessions: map[string]*liveSession{}, pages: map[*wsConn]bool{}}
	h.cancels = append(h.cancels, w.Subscribe(h.observe))
	return h
}

// watchWorld follows another server of the shared world's network: the
// relay sessions the queues open with it. Session ids are numbered per
// world, so its sessions are shown under their server's name.
func (h *liveHub) watchWorld(w *sandbox.World) {
	// Subscribed without mu held: observe takes it inside w's Publish.
	cancel := w.Subscribe(func(ev sandbox.Event) {
		if ev.Session != "" {
			ev.Session = pageSession(w.Host, ev.Session) // a copy: other observers keep the world's id
			h.observe(ev)
		}
	})
	h.mu.Lock()
	closed := h.closed
	if !closed {
		h.cancels = append(h.cancels, cancel)
	}
	h.mu.Unlock()
	if closed {
		cancel()
	}
}

// observe keeps ev for the pages that open later, within the limits of its
// session, and streams it to the pages open now. Once a session is full,
// its events cost one lookup while no page watches.
func (h *liveHub) observe(ev sandbox.Event) {
	if ev.Session == "" {
		return
	}
	ev = redact(ev)
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sessions[ev.Session]
	if s == nil {
		if len(h.order) >= LiveSessions {
			delete(h.sessions, h.order[0])
			h.order = h.order[1:]
		}
		h.order = append(h.order, ev.Session)
		s = &liveSession{}
		h.sessions[ev.Session] = s
	}
	if !s.full {
		s.keep(ev)
	}
	if len(h.pages) > 0 {
		b := newBatch([]sandbox.Event{ev}) // encoded once, explained once per language
		for c := range h.pages {
			c.sendBatch(b)
		}
	}
}

// keep adds ev to the session's events, unless it would take the session
// past its bytes. Once no event can fit any more, the session is full.
func (s *liveSession) keep(ev sandbox.Event) {
	if size := eventSize(ev); s.size+size <= LiveBytesPerSession {
		s.events = append(s.events, ev)
		s.size += size
	}
	s.full = len(s.events) >= LiveEventsPerSession || s.size+minEventSize > LiveBytesPerSession
}

// join adds a page and replays the kept sessions to it.
func (h *liveHub) join(c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !c.teacher && (len(h.pages) >= MaxLivePages || h.fromAddr(c.addr) >= MaxLivePagesPerAddress) {
		c.fail("conns")
		return false
	}
	h.pages[c] = true
	for _, id := range h.order {
		for evs := h.sessions[id].events; len(evs) > 0; {
			n := min(len(evs), replayBatch)
			c.sendBatch(lazyBatch(evs[:n:n]))
			evs = evs[n:]
		}
	}
	c.sendJSON(map[string]string{"t": "replayed"})
	return true
}

// fromAddr counts the pages of a client address. Called with mu held.
func (h *liveHub) fromAddr(addr string) int {
	n := 0
	for c := range h.pages {
		if c.addr == addr {
			n++
		}
	}
	return n
}

func (h *liveHub) leave(c *wsConn) {
	h.mu.Lock()
	delete(h.pages, c)
	h.mu.Unlock()
}

func (h *liveHub) close() {
	h.mu.Lock()
	cancels := h.cancels
	h.cancels, h.closed = nil, true
	h.mu.Unlock()
	for _, cancel := range cancels {
		cancel()
	}
}

// redact hides what a class must not read on the projector: the password
// of a POP3 PASS or a POP2 HELO, a line the engine marked secret (an AUTH
// exchange), the secret parts of a command and the decoded credentials a
// reason quotes, typed by whoever uses the TCP ports.
func redact(ev sandbox.Event) sandbox.Event {
	switch {
	case ev.Input != nil:
		if masked, ok := maskLine(ev.Proto, ev.Input.Text, ev.Input.Secret); ok {
			in := *ev.Input
			in.Text = masked
			ev.Input = &in
		}
	case ev.Command != nil:
		ev.Command = redactCommand(ev.Proto, ev.Command)
	case ev.Reply != nil:
		ev.Reply = redactReply(ev.Reply)
	}
	return ev
}

// secretMask stands for a hidden password.
const secretMask = "••••••"

// secretArgs are the reply arguments that quote decoded credentials.
var secretArgs = []string{"password", "decoded"}

// maskLine returns line with its credentials hidden, if it carries any.
// A line marked secret keeps its verb and mechanism ("AUTH PLAIN ••••••")
// so the class still sees what was tried; a bare SASL answer is all secret.
func maskLine(p sandbox.Proto, line string, secret bool) (string, bool) {
	if masked, ok := maskPOP(p, line); ok {
		return masked, true
	}
	if !secret {
		return line, false
	}
	f := strings.Fields(line)
	if len(f) >= 2 && strings.EqualFold(f[0], "AUTH") {
		if len(f) == 2 {
			return line, false // the mechanism alone, the secret comes next
		}
		return f[0] + " " + f[1] + " " + secretMask, true
	}
	return secretMask, true
}

// maskPOP hides the password of a POP3 PASS or a POP2 HELO line.
func maskPOP(p sandbox.Proto, line string) (string, bool) {
	if p != sandbox.POP3 && p != sandbox.POP2 {
		return line, false // only POP carries passwords: SMTP's DATA lines pay nothing
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return line, false
	}
	verb := strings.ToUpper(f[0])
	switch {
	case p == sandbox.POP3 && verb == "PASS" && len(f) > 1:
		return f[0] + " " + secretMask, true
	case p == sandbox.POP2 && verb == "HELO" && len(f) > 2:
		return f[0] + " " + f[1] + " " + secretMask, true
	}
	return line, false
}

// redactCommand hides a command's password and its secret parts.
func redactCommand(p sandbox.Proto, c *sandbox.Command) *sandbox.Command {
	if masked, ok := maskPOP(p, c.Verb+" "+c.Arg); ok {
		cmd := *c
		_, cmd.Arg, _ = strings.Cut(masked, " ")
		cmd.Parts = nil
		return &cmd
	}
	if !slices.ContainsFunc(c.Parts, isSecretPart) {
		return c
	}
	cmd := *c
	cmd.Parts = slices.DeleteFunc(slices.Clone(c.Parts), isSecretPart)
	return &cmd
}

func isSecretPart(p sandbox.Part) bool { return p.Kind == sandbox.PartSecret }

// redactReply hides the credentials a reason decodes for the student.
func redactReply(r *sandbox.Reply) *sandbox.Reply {
	if !slices.ContainsFunc(secretArgs, func(k string) bool { _, ok := r.Args[k]; return ok }) {
		return r
	}
	c := *r
	c.Args = maps.Clone(r.Args)
	for _, k := range secretArgs {
		if _, ok := c.Args[k]; ok {
			c.Args[k] = secretMask
		}
	}
	return &c
}

// minEventSize is what the smallest event costs to keep.
const minEventSize = 200

// eventSize is about what an event costs to keep: its fixed part and the
// text it carries.
func eventSize(ev sandbox.Event) int {
	n := minEventSize
	switch {
	case ev.Input != nil:
		n += len(ev.Input.Text)
	case ev.Reply != nil:
		n += ev.Reply.Octets()
	case ev.Command != nil:
		n += 2 * len(ev.Command.Arg)
	case ev.Message != nil:
		n += 2048 // envelope and analysis
	}
	return n
}

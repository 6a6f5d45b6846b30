package server

import (
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
// programs) talk to over TCP, keeps the recent sessions, and streams their
// events to every /live page.
type liveHub struct {
	mu       sync.Mutex
	sessions map[string][]sandbox.Event
	sizes    map[string]int // approximate octets kept per session
	order    []string
	pages    map[*wsConn]bool
	cancel   func()
}

func newLiveHub(w *sandbox.World) *liveHub {
	h := &liveHub{sessions: map[string][]sandbox.Event{}, sizes: map[string]int{}, pages: map[*wsConn]bool{}}
	h.cancel = w.Subscribe(h.observe)
	return h
}

func (h *liveHub) observe(ev sandbox.Event) {
	if ev.Session == "" {
		return
	}
	ev = redact(ev)
	h.mu.Lock()
	defer h.mu.Unlock()
	evs, ok := h.sessions[ev.Session]
	if !ok {
		if len(h.order) >= LiveSessions {
			delete(h.sessions, h.order[0])
			delete(h.sizes, h.order[0])
			h.order = h.order[1:]
		}
		h.order = append(h.order, ev.Session)
	}
	if size := eventSize(ev); len(evs) < LiveEventsPerSession && h.sizes[ev.Session]+size <= LiveBytesPerSession {
		h.sessions[ev.Session] = append(evs, ev)
		h.sizes[ev.Session] += size
	}
	for c := range h.pages {
		c.sendEvent(ev)
	}
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
		for _, ev := range h.sessions[id] {
			c.sendEvent(ev)
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

func (h *liveHub) close() { h.cancel() }

// redact hides what a class must not read on the projector: the password
// of a POP3 PASS or a POP2 HELO, typed by whoever uses the TCP ports.
func redact(ev sandbox.Event) sandbox.Event {
	switch {
	case ev.Input != nil:
		if masked, ok := maskSecret(ev.Proto, ev.Input.Text); ok {
			in := *ev.Input
			in.Text = masked
			ev.Input = &in
		}
	case ev.Command != nil:
		if masked, ok := maskSecret(ev.Proto, ev.Command.Verb+" "+ev.Command.Arg); ok {
			cmd := *ev.Command
			_, cmd.Arg, _ = strings.Cut(masked, " ")
			cmd.Parts = nil
			ev.Command = &cmd
		}
	}
	return ev
}

// secretMask stands for a hidden password.
const secretMask = "••••••"

// maskSecret returns line with its password hidden, if it carries one.
func maskSecret(p sandbox.Proto, line string) (string, bool) {
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

// eventSize is about what an event costs to keep: its fixed part and the
// text it carries.
func eventSize(ev sandbox.Event) int {
	n := 200
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

package server

import (
	"sync"

	"smtplab/sandbox"
)

// Live view limits: the sessions and events kept to show a teacher who
// opens /live in the middle of a class.
const (
	LiveSessions         = 20
	LiveEventsPerSession = 2000
	MaxLivePages         = 100
)

// liveHub follows the shared world that real clients (telnet, swaks, mail
// programs) talk to over TCP, keeps the recent sessions, and streams their
// events to every /live page.
type liveHub struct {
	mu       sync.Mutex
	sessions map[string][]sandbox.Event
	order    []string
	pages    map[*wsConn]bool
	cancel   func()
}

func newLiveHub(w *sandbox.World) *liveHub {
	h := &liveHub{sessions: map[string][]sandbox.Event{}, pages: map[*wsConn]bool{}}
	h.cancel = w.Subscribe(h.observe)
	return h
}

func (h *liveHub) observe(ev sandbox.Event) {
	if ev.Session == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	evs, ok := h.sessions[ev.Session]
	if !ok {
		if len(h.order) >= LiveSessions {
			delete(h.sessions, h.order[0])
			h.order = h.order[1:]
		}
		h.order = append(h.order, ev.Session)
	}
	if len(evs) < LiveEventsPerSession {
		h.sessions[ev.Session] = append(evs, ev)
	}
	for c := range h.pages {
		c.sendEvent(ev)
	}
}

// join adds a page and replays the kept sessions to it.
func (h *liveHub) join(c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.pages) >= MaxLivePages {
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

func (h *liveHub) leave(c *wsConn) {
	h.mu.Lock()
	delete(h.pages, c)
	h.mu.Unlock()
}

func (h *liveHub) close() { h.cancel() }

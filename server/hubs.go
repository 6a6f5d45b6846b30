package server

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// MaxTeacherPages bounds the teacher pages following one class.
const MaxTeacherPages = 20

// watchHub keeps the teacher's pages that watch a student's terminals, by
// the student's visitor id. It outlives the student's visitor, so a page
// opened before the student reconnects still follows what they type.
type watchHub struct {
	mu sync.Mutex
	by map[string]map[*wsConn]bool
}

func newWatchHub() *watchHub { return &watchHub{by: map[string]map[*wsConn]bool{}} }

func (h *watchHub) add(id string, c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.by[id] == nil {
		h.by[id] = map[*wsConn]bool{}
	}
	h.by[id][c] = true
}

func (h *watchHub) remove(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, pages := range h.by {
		delete(pages, c)
		if len(pages) == 0 {
			delete(h.by, id)
		}
	}
}

func (h *watchHub) of(id string) []*wsConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*wsConn, 0, len(h.by[id]))
	for c := range h.by[id] {
		out = append(out, c)
	}
	return out
}

// classHubs carries news of each class to the teacher pages that follow it.
type classHubs struct {
	mu    sync.Mutex
	pages map[string]map[*wsConn]bool // by class id
}

func newClassHubs() *classHubs { return &classHubs{pages: map[string]map[*wsConn]bool{}} }

func (h *classHubs) join(class string, c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pages[class] == nil {
		h.pages[class] = map[*wsConn]bool{}
	}
	if len(h.pages[class]) >= MaxTeacherPages {
		return false
	}
	h.pages[class][c] = true
	return true
}

func (h *classHubs) leave(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, pages := range h.pages {
		delete(pages, c)
	}
}

// notify sends v to every teacher page of the class.
func (h *classHubs) notify(class string, v any) {
	h.mu.Lock()
	pages := make([]*wsConn, 0, len(h.pages[class]))
	for c := range h.pages[class] {
		pages = append(pages, c)
	}
	h.mu.Unlock()
	for _, c := range pages {
		c.sendJSON(v)
	}
}

// limiter counts failures per client address in a sliding window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string][]time.Time{}}
}

func (l *limiter) recent(key string, now time.Time) []time.Time {
	kept := l.fails[key][:0]
	for _, t := range l.fails[key] {
		if now.Sub(t) < l.window {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = kept
	return kept
}

// allow reports whether key may try again.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, time.Now())) < l.max
}

func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.fails[key] = append(l.recent(key, now), now)
}

// clientIP is the address a request came from, without its port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func itoa(n int) string { return strconv.Itoa(n) }

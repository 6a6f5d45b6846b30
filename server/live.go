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
	// LiveQueueNews bounds the queue's news kept (the queue events without
	// a session: a message handed on, deferred, given up on), for the
	// Between servers diagram of a page that opens later.
	LiveQueueNews = 200
)

// liveHub follows the shared world that real clients (telnet, swaks, mail
// programs) talk to over TCP, and the other servers of its network, keeps
// the recent sessions, and streams their events to every /live page.
type liveHub struct {
	mu       sync.Mutex
	sessions map[string]*liveSession
	order    []string
	started  int        // sessions kept so far, ever
	news     []liveNews // the queue's news kept, oldest first
	pages    map[*wsConn]bool
	cancels  []func()
	closed   bool
}

// liveSession is what the hub keeps of one session.
type liveSession struct {
	start  int // its rank among the sessions kept, from 1
	events []sandbox.Event
	size   int  // approximate octets kept
	full   bool // no event fits any more: later ones are only streamed
}

// liveNews is a queue event without a session, and how many sessions had
// started when it came: a page that opens later gets it after those
// sessions' events (after the relay session it tells the end of).
type liveNews struct {
	ev    sandbox.Event
	after int
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
		}
		h.observe(ev)
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
// its events cost one lookup while no page watches. The queue's news (a
// queue event without a session) is for the pages' Between servers
// diagram: kept apart, up to LiveQueueNews, it takes no session's place;
// the relay session it names gets the name the pages know it by. Other
// events without a session are not shown.
func (h *liveHub) observe(ev sandbox.Event) {
	if ev.Session == "" && ev.Queue == nil {
		return
	}
	ev = redact(ev)
	if q := ev.Queue; q != nil && q.Session != "" {
		c := *q // shared with the world's other observers
		c.Session = pageSession(q.Host, q.Session)
		ev.Queue = &c
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ev.Session == "" {
		if len(h.news) >= LiveQueueNews {
			h.news = h.news[1:]
		}
		h.news = append(h.news, liveNews{ev, h.started})
	} else if s := h.session(ev.Session); !s.full {
		s.keep(ev)
	}
	if len(h.pages) > 0 {
		b := newBatch([]sandbox.Event{ev}) // encoded once, explained once per language
		for c := range h.pages {
			c.sendBatch(b)
		}
	}
}

// session is the kept session id, made if need be, the oldest forgotten
// past LiveSessions with the news that came before the oldest left.
// Called with mu held.
func (h *liveHub) session(id string) *liveSession {
	if s := h.sessions[id]; s != nil {
		return s
	}
	if len(h.order) >= LiveSessions {
		delete(h.sessions, h.order[0])
		h.order = h.order[1:]
		first := h.started + 1 // the session made now, if it is the only one left
		if len(h.order) > 0 {
			first = h.sessions[h.order[0]].start
		}
		i := 0
		for i < len(h.news) && h.news[i].after < first {
			i++
		}
		h.news = h.news[i:]
	}
	h.started++
	s := &liveSession{start: h.started}
	h.order = append(h.order, id)
	h.sessions[id] = s
	return s
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
	news := h.news
	for _, id := range h.order {
		s := h.sessions[id]
		i := 0
		for i < len(news) && news[i].after < s.start {
			i++
		}
		h.replayNews(c, news[:i])
		news = news[i:]
		for evs := s.events; len(evs) > 0; {
			n := min(len(evs), replayBatch)
			c.sendBatch(lazyBatch(evs[:n:n]))
			evs = evs[n:]
		}
	}
	h.replayNews(c, news)
	c.sendJSON(map[string]string{"t": "replayed"})
	return true
}

// replayNews sends the queue's news to c. Called with mu held.
func (h *liveHub) replayNews(c *wsConn, news []liveNews) {
	if len(news) == 0 {
		return
	}
	evs := make([]sandbox.Event, len(news))
	for i, n := range news {
		evs[i] = n.ev
	}
	c.sendBatch(lazyBatch(evs))
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

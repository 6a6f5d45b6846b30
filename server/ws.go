package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"smtplab/sandbox"
	"smtplab/web"
)

// WebSocket limits.
const (
	// PingEvery is how often the server pings a page; a page silent for
	// PongWait (no pong, no message) is considered gone.
	PingEvery = 25 * time.Second
	PongWait  = 60 * time.Second
	// RatePerSecond and RateBurst bound the messages a page may send.
	RatePerSecond = 20
	RateBurst     = 60
	// SendQueue is how many messages may wait for a slow page before it is
	// dropped. It is generous: a long paste or the replay of a long
	// transcript queues thousands of events at once, and events wait as
	// the JSON their batch holds, unexplained until the writer takes them.
	SendQueue = 50000
	// SendQueueBytes bounds, in octets, what waits for a page or is being
	// written to it: a message's raw text is several times its size once in
	// JSON, and a page asking for it again and again must not pile it up.
	SendQueueBytes = 16 << 20
	writeWait      = 10 * time.Second
	// HelloWait is how long a new socket may stay without saying hello;
	// SocketsPerWorld × -max-worlds bounds the sockets open at once, bound
	// or not, so sockets that never say who they are cannot use up the
	// process's descriptors.
	HelloWait       = 10 * time.Second
	SocketsPerWorld = 2
	// PaceQueue is how many messages may wait for a page before the
	// terminal stops working through a paste until the page has read them:
	// a paste goes at the page's speed, as a TCP client's goes at the speed
	// it reads, and the queue stays small.
	PaceQueue = 2000
	// MaxBatch and MaxBatchBytes bound one frame of several messages.
	MaxBatch      = 256
	MaxBatchBytes = 256 << 10
)

// upgrader's buffers: the socket reads with the HTTP connection's own
// reader, and a page holds a write buffer only while something is written
// to it, so that a thousand quiet pages cost little.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  0,
	WriteBufferSize: 4096,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     sameOrigin,
}

// sameOrigin accepts a page from this very site (or a client that sends no
// Origin at all, which no browser does); another site's page is refused, so
// it cannot drive a visitor's sandbox.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// clientMsg is what a page sends. See README.md in this folder.
type clientMsg struct {
	T        string   `json:"t"`
	Terminal string   `json:"terminal,omitempty"`
	Page     string   `json:"page,omitempty"`
	Lesson   string   `json:"lesson,omitempty"`
	Proto    string   `json:"proto,omitempty"`
	World    string   `json:"world,omitempty"` // open: "class" for the class's server
	Class    string   `json:"class,omitempty"` // teacher pages: the class id
	Student  string   `json:"student,omitempty"`
	Lines    []string `json:"lines,omitempty"`
	Line     string   `json:"line,omitempty"` // shell: a line typed at the terminal's prompt
	Mailbox  string   `json:"mailbox,omitempty"`
	UID      string   `json:"uid,omitempty"`
	Done     []string `json:"done,omitempty"`  // hello: lesson steps the browser remembers as done
	Step     string   `json:"step,omitempty"`  // quiz, quiz-again
	Picks    []int    `json:"picks,omitempty"` // quiz: the lines marked wrong
}

type errorMsg struct {
	T     string `json:"t"` // "error"
	Key   string `json:"key"`
	Text  string `json:"text"`
	Retry int    `json:"retry,omitempty"` // seconds the page should wait before it reconnects
}

// RetryWorlds is how long a page refused a world waits before trying
// again: a full server is not helped by pages knocking every second.
const RetryWorlds = 30

// wsConn is one page: its socket, and what the page is bound to — a
// visitor's world and terminal, a lesson, the live view or a teacher's
// class — to which it routes the page's messages.
type wsConn struct {
	socket
	s *Server

	visitor  *visitor
	terminal *terminal
	lesson   *lessonRun
	live     bool

	addr    string        // the client's address, without the port
	teacher bool          // the upgrade carried the teacher's key
	student *studentClass // the upgrade carried a student's cookie
	follows string        // teacher page: the class it follows
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, web.T(string(localeOf(r)), "error.origin"), http.StatusForbidden)
		return
	}
	if s.sockets.Add(1) > int64(SocketsPerWorld*s.cfg.MaxWorlds) {
		s.sockets.Add(-1)
		w.Header().Set("Retry-After", "30")
		http.Error(w, web.T(string(localeOf(r)), "error.sockets"), http.StatusServiceUnavailable)
		return
	}
	id := s.visitorID(w, r)
	ws, err := upgrader.Upgrade(w, r, w.Header())
	if err != nil {
		s.sockets.Add(-1)
		return // the upgrader has answered
	}
	c := &wsConn{socket: newSocket(ws, localeOf(r), s.sends), s: s, teacher: s.isTeacher(r), addr: clientIP(r)}
	c.onClose = c.leave
	if st, room, ok := s.student(r); ok {
		c.student = s.studentClassOf(st, room)
	}
	// Past MaxWSMessage the page is told why before the socket closes; only
	// far past it does the WebSocket library cut it short.
	ws.SetReadLimit(2 * MaxWSMessage)
	go c.writeLoop()
	// The page is read in a goroutine of its own, and this handler returns:
	// the HTTP connection's request, response and buffers, unused since
	// the upgrade, are let go for as long as the page stays.
	remote := r.RemoteAddr
	go func() {
		defer s.sockets.Add(-1)
		c.readLoop(id, remote)
	}()
}

func (c *wsConn) readLoop(visitorID, remote string) {
	defer c.close()
	c.ws.SetReadDeadline(time.Now().Add(HelloWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(c.wait())) })
	for {
		data, err := c.read()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.fail("too_big")
			}
			return
		}
		if len(data) > MaxWSMessage {
			c.fail("too_big")
			return
		}
		if !c.allow() {
			c.fail("rate")
			continue
		}
		var m clientMsg
		if json.Unmarshal(data, &m) != nil {
			c.fail("bad_message")
			continue
		}
		if !c.handle(m, visitorID, remote) {
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(c.wait()))
	}
}

// wait is how long the page may stay silent: HelloWait until it said
// hello, then PongWait.
func (c *wsConn) wait() time.Duration {
	if c.visitor == nil && !c.live && c.follows == "" {
		return HelloWait
	}
	return PongWait
}

// handle acts on one message; false ends the connection.
func (c *wsConn) handle(m clientMsg, visitorID, remote string) bool {
	if m.T == "hello" {
		return c.hello(m, visitorID)
	}
	if c.terminal == nil {
		c.fail("bad_message")
		return true
	}
	switch m.T {
	case "open":
		c.open(m.Proto, m.World, remote)
	case "shell":
		c.shellLine(m.Line, remote)
	case "input":
		c.terminal.typed(c, m.Lines)
	case "hangup":
		c.terminal.hungUp(c)
	case "clear":
		c.terminal.clear()
	case "reset":
		c.reset()
	case "raw":
		c.sendRaw(m.Mailbox, m.UID)
	case "quiz":
		c.answerQuiz(m.Step, m.Picks)
	case "quiz-again":
		c.quizAgain(m.Step)
	case "why":
		c.why()
	case "lesson-reset":
		c.restartLesson()
	default:
		c.fail("bad_message")
	}
	return true
}

// hello binds the page to its visitor's world and terminal, or to the live view.
func (c *wsConn) hello(m clientMsg, visitorID string) bool {
	if c.visitor != nil || c.live {
		return true
	}
	if m.Page == "live" {
		c.live = true
		c.sendJSON(map[string]string{"t": "welcome", "page": "live"})
		return c.s.live.join(c)
	}
	if m.Page == "teacher" || m.Page == "watch" {
		return c.teacherHello(m)
	}
	v, err := c.s.worlds.connect(visitorID, c.addr)
	if err != nil {
		key := "worlds"
		if errors.Is(err, errTooManyConns) {
			key = "conns"
		}
		c.sendJSON(errorMsg{T: "error", Key: key, Text: web.T(string(c.locale), "js.error."+key), Retry: RetryWorlds})
		return false
	}
	c.visitor = v
	if c.student != nil {
		v.joinClass(c.student)
		c.presence(true)
	}
	v.awaitRelease(m.Terminal, c)
	c.terminal = v.terminal(m.Terminal, c)
	v.addPage(c)
	c.sendJSON(map[string]string{"t": "welcome", "terminal": c.terminal.id, "world": v.world.Name})
	c.sendJSON(mailboxSnapshot(v.world, v.studentOf()))
	c.startLesson(m.Lesson, m.Done)
	c.terminal.attach(c)
	c.sendJSON(map[string]string{"t": "replayed"})
	return true
}

func (c *wsConn) open(proto, world, remote string) {
	p := sandbox.Proto(proto)
	if p != sandbox.SMTP && p != sandbox.POP3 && p != sandbox.POP2 {
		c.fail("bad_message")
		return
	}
	w := c.visitor.worldFor(world)
	ok := c.terminal.open(w, func() sandbox.Session {
		return c.s.cfg.NewSession(w, p, sandbox.Peer{Remote: remote, Transport: "websocket"})
	})
	if !ok {
		c.fail("already_open")
	}
}

// reset empties the visitor's world: every session ends, every mailbox empties.
func (c *wsConn) reset() { c.visitor.reset() }

func (c *wsConn) fail(key string) {
	c.sendJSON(errorMsg{T: "error", Key: key, Text: web.T(string(c.locale), "js.error."+key)})
}

// leave lets go of what the page was bound to, once its socket closes.
func (c *wsConn) leave() {
	if c.live {
		c.s.live.leave(c)
	}
	if c.follows != "" {
		c.s.classes.leave(c)
		c.s.worlds.watch.remove(c)
	}
	if c.visitor != nil {
		c.terminal.detach(c)
		c.stopLesson()
		c.visitor.removePage(c)
		c.s.worlds.disconnect(c.visitor)
		if c.student != nil {
			c.presence(c.s.worlds.connected(c.visitor.id))
		}
	}
}

// teacherHello binds a teacher's page to a class (the dashboard) or to one
// student's terminal (watch). Without the teacher's key it is refused.
func (c *wsConn) teacherHello(m clientMsg) bool {
	if !c.teacher || c.s.cfg.Classroom == nil {
		c.fail("teacher")
		return false
	}
	room, ok := c.s.cfg.Classroom.Room(m.Class)
	if !ok {
		c.fail("bad_message")
		return false
	}
	if !c.s.classes.join(room.Class().ID, c) {
		c.fail("conns")
		return false
	}
	c.follows = room.Class().ID
	c.sendJSON(map[string]string{"t": "welcome", "page": m.Page})
	if m.Page == "watch" {
		if _, ok := room.Student(m.Student); !ok {
			c.fail("bad_message")
			return false
		}
		if v := c.s.worlds.find(m.Student); v != nil {
			if t := v.latest(); t != nil {
				t.replayTo(c)
			}
		}
		c.s.worlds.watch.add(m.Student, c)
		c.sendJSON(map[string]string{"t": "replayed"})
	}
	return true
}

// presence tells the class's dashboards whether a student has a page open.
func (c *wsConn) presence(connected bool) {
	c.s.classes.notify(c.student.room.Class().ID, map[string]any{
		"t": "presence", "student": c.student.student, "connected": connected,
	})
}

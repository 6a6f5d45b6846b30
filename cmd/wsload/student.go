package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// line is one line a student types.
type line struct {
	text  string
	reply bool // the server answers it: its latency is measured
	data  bool // DATA: the message text follows only after 354
	body  bool // message text: no reply, skipped if DATA was refused
}

// script is what student n types in loop k: a whole transaction, then the
// small commands students try between two messages. Of its 15 lines, 10
// get a reply.
func script(n, k int, domain string) []line {
	greet := "EHLO"
	if k%2 == 1 {
		greet = "HELO"
	}
	at := "@" + domain
	return []line{
		{text: fmt.Sprintf("%s pc-%d.%s", greet, n, domain), reply: true},
		{text: "MAIL FROM:<alice" + at + ">", reply: true},
		{text: "RCPT TO:<bob" + at + ">", reply: true},
		{text: "RCPT TO:<carol" + at + ">", reply: true},
		{text: "DATA", reply: true, data: true},
		{text: "From: Alice <alice" + at + ">", body: true},
		{text: "To: Bob <bob" + at + ">", body: true},
		{text: fmt.Sprintf("Subject: load test %d/%d", n, k), body: true},
		{text: "", body: true},
		{text: fmt.Sprintf("Hello Bob, this is student %d typing message %d line by line.", n, k), body: true},
		{text: ".", reply: true},
		{text: "NOOP", reply: true},
		{text: "VRFY bob", reply: true},
		{text: "HELP", reply: true},
		{text: "RSET", reply: true},
	}
}

// reply is a reply's code and when it arrived; code -1 means the server
// dropped the line (a WebSocket error message) and no reply will come.
type reply struct {
	code int
	at   time.Time
}

// session is one student's connection, WebSocket or TCP.
type session interface {
	send(text string) error
	replies() <-chan reply // closed when the connection ends
	close()
}

// dialer returns a dial function that connects to to from src, whatever
// address it is asked for: nothing but the checked loopback target is
// ever dialled.
func dialer(src netip.Addr, to netip.AddrPort) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if src.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", to.String())
	}
}

// connError is a connection that could not be made, by kind.
type connError struct {
	kind string
	err  error
}

func (e *connError) Error() string { return e.kind + ": " + e.err.Error() }

func refused(kind string, err error) error { return &connError{kind: kind, err: err} }

// wsSession is a browser terminal: visitor cookie, WebSocket, hello, open.
type wsSession struct {
	ws   *websocket.Conn
	out  chan reply
	done chan struct{}
	once sync.Once
	errs *tally
}

// visitorCookie loads the sandbox page, as a browser does first, and
// returns the visitor cookie the server issued.
func visitorCookie(ctx context.Context, t target, src netip.Addr, lang string) (*http.Cookie, error) {
	tr := &http.Transport{DialContext: dialer(src, t.dial), DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.host+"/sandbox", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Language", lang)
	resp, err := client.Do(req)
	if err != nil {
		return nil, refused("page", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, refused(fmt.Sprintf("page-http-%d", resp.StatusCode), errors.New(resp.Status))
	}
	for _, c := range resp.Cookies() {
		if c.Name == "smtplab_visitor" {
			return c, nil
		}
	}
	return nil, refused("cookie", errors.New("GET /sandbox set no smtplab_visitor cookie"))
}

func dialWS(ctx context.Context, t target, src netip.Addr, lang string, errs *tally) (*wsSession, error) {
	cookie, err := visitorCookie(ctx, t, src, lang)
	if err != nil {
		return nil, err
	}
	d := websocket.Dialer{NetDialContext: dialer(src, t.dial), HandshakeTimeout: 10 * time.Second}
	h := http.Header{}
	h.Set("Origin", "http://"+t.host)
	h.Set("Accept-Language", lang)
	h.Set("Cookie", cookie.Name+"="+cookie.Value)
	ws, resp, err := d.DialContext(ctx, "ws://"+t.host+"/ws", h)
	if err != nil {
		if resp != nil {
			return nil, refused(fmt.Sprintf("ws-http-%d", resp.StatusCode), err)
		}
		return nil, refused("ws-dial", err)
	}
	s := &wsSession{ws: ws, out: make(chan reply, 64), done: make(chan struct{}), errs: errs}
	if err := s.hello(); err != nil {
		ws.Close()
		return nil, err
	}
	go s.read()
	return s, nil
}

// hello binds the socket to a new terminal and opens an SMTP session; the
// greeting is left for the caller to read from replies.
func (s *wsSession) hello() error {
	s.ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	defer s.ws.SetReadDeadline(time.Time{})
	if err := s.ws.WriteMessage(websocket.TextMessage, []byte(`{"t":"hello","page":"sandbox","terminal":""}`)); err != nil {
		return refused("ws-write", err)
	}
	for {
		_, frame, err := s.ws.ReadMessage()
		if err != nil {
			return refused("ws-hello", err)
		}
		for _, data := range messages(frame) {
			switch msgType(data) {
			case "replayed":
				if err := s.ws.WriteMessage(websocket.TextMessage, []byte(`{"t":"open","proto":"smtp"}`)); err != nil {
					return refused("ws-write", err)
				}
				return nil
			case "error":
				key := errorKey(data)
				return refused("error:"+key, fmt.Errorf("server error %q at hello", key))
			}
		}
	}
}

// msgType is a server message's "t". Every message the server sends starts
// with it ({"t":"event",…), so the common case costs no JSON decoding.
func msgType(data []byte) string {
	if rest, ok := bytes.CutPrefix(data, []byte(`{"t":"`)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 {
			return string(rest[:i])
		}
	}
	var m struct {
		T string `json:"t"`
	}
	json.Unmarshal(data, &m)
	return m.T
}

func errorKey(data []byte) string {
	var m struct {
		Key string `json:"key"`
	}
	json.Unmarshal(data, &m)
	return m.Key
}

var (
	kindField = []byte(`"kind":"`)
	codeField = []byte(`"code":`)
)

// replyCode reports whether an event message is a reply and its code. The
// event's own "kind" is the first in the message (the event's fields come
// before what it carries), and the reply's "code" the first after it.
func replyCode(data []byte) (int, bool) {
	i := bytes.Index(data, kindField)
	if i < 0 || !bytes.HasPrefix(data[i+len(kindField):], []byte(`reply"`)) {
		return 0, false
	}
	rest := data[i:]
	j := bytes.Index(rest, codeField)
	if j < 0 {
		return 0, true // a POP reply: no code
	}
	rest = rest[j+len(codeField):]
	k := 0
	for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
		k++
	}
	code, _ := strconv.Atoi(string(rest[:k]))
	return code, true
}

func (s *wsSession) read() {
	defer close(s.out)
	for {
		_, frame, err := s.ws.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		for _, data := range messages(frame) {
			received.Add(1)
			r, ok := s.replyOf(data, now)
			if !ok {
				continue
			}
			select {
			case s.out <- r:
			case <-s.done:
				return
			}
		}
	}
}

// replyOf reads a message as the answer to a typed line, if it is one.
func (s *wsSession) replyOf(data []byte, now time.Time) (reply, bool) {
	switch msgType(data) {
	case "event":
		code, ok := replyCode(data)
		return reply{code: code, at: now}, ok
	case "error":
		key := errorKey(data)
		s.errs.add("error:" + key)
		if key != "rate" && key != "bad_message" {
			return reply{}, false
		}
		return reply{code: -1, at: now}, true // the line was dropped
	}
	return reply{}, false
}

// messages splits a frame: one message, or an array of messages sent
// together.
func messages(frame []byte) [][]byte {
	if len(frame) == 0 || frame[0] != '[' {
		return [][]byte{frame}
	}
	var raw []json.RawMessage
	if json.Unmarshal(frame, &raw) != nil {
		return nil
	}
	out := make([][]byte, len(raw))
	for i, m := range raw {
		out[i] = m
	}
	return out
}

// received counts the messages every page was sent.
var received atomic.Int64

type inputMsg struct {
	T     string   `json:"t"`
	Lines []string `json:"lines"`
}

func (s *wsSession) send(text string) error {
	b, _ := json.Marshal(inputMsg{T: "input", Lines: []string{text}})
	s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return s.ws.WriteMessage(websocket.TextMessage, b)
}

func (s *wsSession) replies() <-chan reply { return s.out }

func (s *wsSession) close() {
	s.once.Do(func() {
		close(s.done)
		s.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
			time.Now().Add(time.Second))
		s.ws.Close()
	})
}

// tcpSession is a raw SMTP client, as telnet or a script would be.
type tcpSession struct {
	nc   net.Conn
	out  chan reply
	done chan struct{}
	once sync.Once
}

func dialTCP(ctx context.Context, t target, src netip.Addr) (*tcpSession, error) {
	nc, err := dialer(src, t.dial)(ctx, "tcp", "")
	if err != nil {
		return nil, refused("tcp-dial", err)
	}
	s := &tcpSession{nc: nc, out: make(chan reply, 64), done: make(chan struct{})}
	go s.read()
	return s, nil
}

// read turns reply lines into replies: "250-…" goes on, "250 …" ends one.
func (s *tcpSession) read() {
	defer close(s.out)
	br := bufio.NewReaderSize(s.nc, 4096)
	for {
		l, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
		if errors.Is(err, bufio.ErrBufferFull) || len(l) < 3 {
			continue // an over-long line's middle, or noise
		}
		if len(l) > 3 && l[3] == '-' {
			continue
		}
		code, err := strconv.Atoi(string(l[:3]))
		if err != nil {
			continue
		}
		select {
		case s.out <- reply{code: code, at: time.Now()}:
		case <-s.done:
			return
		}
	}
}

func (s *tcpSession) send(text string) error {
	s.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := io.WriteString(s.nc, text+"\r\n")
	return err
}

func (s *tcpSession) replies() <-chan reply { return s.out }

func (s *tcpSession) close() {
	s.once.Do(func() {
		close(s.done)
		s.nc.Close()
	})
}

// student is one simulated student's typing and what it measured.
type student struct {
	id      int
	sess    session
	sent    int
	samples []time.Duration
	byVerb  map[string][]time.Duration // the same samples, by command
}

// verb names a line's command for the breakdown: its first word.
func verb(text string) string {
	if i := strings.IndexByte(text, ' '); i >= 0 {
		text = text[:i]
	}
	return strings.ToUpper(text)
}

// await waits for the next reply, at most timeout.
func await(s session, timeout time.Duration) (reply, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r, ok := <-s.replies():
		if !ok {
			return reply{}, errClosed
		}
		return r, nil
	case <-t.C:
		return reply{}, errTimeout
	}
}

var (
	errClosed  = errors.New("closed")
	errTimeout = errors.New("timeout")
)

// sleepUntil waits for t or ctx, whichever comes first; false if ctx ended.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// typeLines types the script in a loop, a line every interval from start,
// until ctx ends. A line with a reply is answered before the next is
// typed, as a student reads the answer before typing on: the schedule
// slips (and lines/s drops) when replies are slower than the interval.
func (st *student) typeLines(ctx context.Context, start time.Time, interval, replyTimeout time.Duration, domain string, errs *tally) {
	next := start
	for k := 0; ; k++ {
		skipBody := false
		for _, l := range script(st.id, k, domain) {
			if l.body && skipBody {
				continue
			}
			if !sleepUntil(ctx, next) {
				return
			}
			now := time.Now()
			if next = next.Add(interval); next.Before(now) {
				next = now // behind: go on from now, no burst to catch up
			}
			t0 := time.Now()
			if err := st.sess.send(l.text); err != nil {
				errs.add("send")
				return
			}
			st.sent++
			if !l.reply {
				continue
			}
			r, err := await(st.sess, replyTimeout)
			if err != nil {
				errs.add(err.Error())
				return
			}
			if r.code < 0 {
				skipBody = l.data
				continue
			}
			d := r.at.Sub(t0)
			st.samples = append(st.samples, d)
			if st.byVerb == nil {
				st.byVerb = map[string][]time.Duration{}
			}
			st.byVerb[verb(l.text)] = append(st.byVerb[verb(l.text)], d)
			if r.code >= 400 {
				errs.add(fmt.Sprintf("reply-%d", r.code))
			}
			if l.data && r.code != 354 {
				skipBody = true
			}
		}
	}
}

// quit ends the SMTP session politely, then the connection.
func (st *student) quit() {
	if st.sess.send("QUIT") == nil {
		await(st.sess, 2*time.Second)
	}
	st.sess.close()
}

package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"smtplab/sandbox"
	"smtplab/sandbox/tcp"
	"smtplab/server"
)

// benchLines is what a student types in one loop of BenchmarkWSTyping, as
// cmd/wsload does: a transaction, then small commands. true: a reply comes.
var benchLines = []struct {
	text  string
	reply bool
}{
	{"EHLO pc.example.test", true},
	{"MAIL FROM:<alice@example.test>", true},
	{"RCPT TO:<bob@example.test>", true},
	{"RCPT TO:<carol@example.test>", true},
	{"DATA", true},
	{"From: Alice <alice@example.test>", false},
	{"To: Bob <bob@example.test>", false},
	{"Subject: bench", false},
	{"", false},
	{"Hello Bob, this is a line typed in the browser.", false},
	{".", true},
	{"NOOP", true},
	{"VRFY bob", true},
	{"HELP", true},
	{"RSET", true},
}

// benchPage is one page of BenchmarkWSTyping: a socket bound to a
// terminal with an open SMTP session. It looks for what it waits for in
// the frames' bytes: decoding them as a page does would cost more than
// what the server does, and this measures the server.
type benchPage struct {
	ws *websocket.Conn
}

// openBenchPage opens page n. Pages come from 127.0.0.2, 127.0.0.3, …, 50
// each, as a class behind several machines: one address may open only
// MaxWorldsPerAddress worlds.
func openBenchPage(b *testing.B, ts *httptest.Server, n int) *benchPage {
	b.Helper()
	res, err := http.Get(ts.URL + "/sandbox")
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	hdr := http.Header{"Origin": {ts.URL}}
	for _, c := range res.Cookies() {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	src := &net.TCPAddr{IP: net.IPv4(127, 0, byte(n/50/250), byte(2+n/50%250))}
	d := websocket.Dialer{NetDial: (&net.Dialer{LocalAddr: src}).Dial}
	ws, _, err := d.Dial(wsURL(ts), hdr)
	if err != nil {
		b.Fatal(err)
	}
	p := &benchPage{ws: ws}
	p.send(b, map[string]any{"t": "hello", "page": "sandbox"})
	p.until(b, `"t":"replayed"`)
	p.send(b, map[string]any{"t": "open", "proto": "smtp"})
	p.until(b, replyKind)
	return p
}

const replyKind = `"kind":"reply"`

func (p *benchPage) send(b *testing.B, v any) {
	msg, _ := json.Marshal(v)
	if err := p.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		b.Fatal(err)
	}
}

// until reads frames until one holds what.
func (p *benchPage) until(b *testing.B, what string) {
	for {
		_, frame, err := p.ws.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		if bytes.Contains(frame, []byte(`"t":"error"`)) {
			b.Fatalf("error from the server: %s", frame)
		}
		if bytes.Contains(frame, []byte(what)) {
			return
		}
	}
}

// benchReset is how many loops of benchLines a page types before it empties
// its world, as the reset button does, so that mailboxes stay the size of
// a lesson's, whatever b.N.
const benchReset = 20

// typeLine sends one line and, if it gets a reply, waits for it.
func (p *benchPage) typeLine(b *testing.B, i int) {
	if i > 0 && i%(benchReset*len(benchLines)) == 0 {
		p.send(b, map[string]any{"t": "reset"})
		p.until(b, `"t":"reset"`)
		p.send(b, map[string]any{"t": "open", "proto": "smtp"})
		p.until(b, replyKind)
	}
	l := benchLines[i%len(benchLines)]
	p.send(b, map[string]any{"t": "input", "lines": []string{l.text}})
	if l.reply {
		p.until(b, replyKind)
	}
}

// typist is one client of BenchmarkWSTyping: a page or a TCP connection.
type typist interface {
	typeLine(b *testing.B, i int)
	close()
}

func (p *benchPage) close() { p.ws.Close() }

// tcpTypist types the same lines over a raw TCP SMTP session.
type tcpTypist struct {
	c  net.Conn
	rd *bufio.Reader
}

func dialTCPTypist(b *testing.B, addr string) *tcpTypist {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	t := &tcpTypist{c: c, rd: bufio.NewReader(c)}
	t.reply(b)
	return t
}

func (t *tcpTypist) reply(b *testing.B) {
	for {
		l, err := t.rd.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		if len(l) < 4 || l[3] != '-' {
			return
		}
	}
}

func (t *tcpTypist) typeLine(b *testing.B, i int) {
	l := benchLines[i%len(benchLines)]
	if _, err := t.c.Write([]byte(l.text + "\r\n")); err != nil {
		b.Fatal(err)
	}
	if l.reply {
		t.reply(b)
	}
}

func (t *tcpTypist) close() { t.c.Close() }

// BenchmarkWSTyping measures what a line typed in the browser terminal
// costs, from the input message to its reply event, with several pages
// typing at once; transport=tcp types the same lines to the same engines
// over sandbox/tcp, for the ratio of the two in one run.
func BenchmarkWSTyping(b *testing.B) {
	defer server.LiftRateLimit()()
	for _, transport := range []string{"websocket", "tcp"} {
		for _, clients := range []int{1, 16} {
			b.Run(fmt.Sprintf("transport=%s/clients=%d", transport, clients), func(b *testing.B) {
				w := sandbox.NewWorld(sandbox.Config{Name: "default"})
				s := server.New(server.Config{World: w, NewSession: engines, MaxWorlds: 1000})
				ts := httptest.NewServer(s.Handler())
				defer func() { ts.Close(); s.Close() }()
				srv := &tcp.Server{Name: "smtp", NewSession: func(p sandbox.Peer) sandbox.Session { return engines(w, sandbox.SMTP, p) }}
				if err := srv.Listen("127.0.0.1:0"); err != nil {
					b.Fatal(err)
				}
				go srv.Serve()
				defer srv.Shutdown(context.Background())
				cs := make([]typist, clients)
				for i := range cs {
					if transport == "tcp" {
						cs[i] = dialTCPTypist(b, srv.Addr().String())
					} else {
						cs[i] = openBenchPage(b, ts, i)
					}
					defer cs[i].close()
				}
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				for n, c := range cs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := n; i < b.N; i += clients {
							c.typeLine(b, i/clients)
						}
					}()
				}
				wg.Wait()
			})
		}
	}
}

// memoryPages is how many pages BenchmarkWSPageMemory opens at most: a
// page takes four descriptors, client and server.
const memoryPages = 200

// BenchmarkWSPageMemory reports what one connected page costs in live
// heap (client side included), with its world, its terminal and an SMTP
// session that has answered a transaction: min(b.N, memoryPages) pages at
// once.
func BenchmarkWSPageMemory(b *testing.B) {
	defer server.LiftRateLimit()()
	n := min(b.N, memoryPages)
	w := sandbox.NewWorld(sandbox.Config{Name: "default"})
	s := server.New(server.Config{World: w, NewSession: engines, MaxWorlds: n + 10})
	ts := httptest.NewServer(s.Handler())
	defer func() { ts.Close(); s.Close() }()
	before := liveHeap()
	ps := make([]*benchPage, n)
	for i := range ps {
		ps[i] = openBenchPage(b, ts, i)
		defer ps[i].close()
		for j := range len(benchLines) {
			ps[i].typeLine(b, j)
		}
	}
	b.ReportMetric(float64(liveHeap()-before)/float64(n), "heap-B/page")
}

func liveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

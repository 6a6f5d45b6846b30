package server

import (
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// socket is the WebSocket of one page, as a page sees it: messages in,
// bounded in size and rate; messages out, queued in order, bounded in
// number and octets, and sent, whatever queued up together in one frame,
// by the step that made them (flush) or else by the socket's write loop.
// It knows nothing of what the messages mean: wsConn does.
type socket struct {
	ws      *websocket.Conn
	locale  catalog.Locale
	budget  *sandbox.Budget // what waits for every page together
	onClose func()          // once, when the socket closes

	wmu     sync.Mutex // one writer at a time: the write loop, or a step's flush
	qmu     sync.Mutex
	queue   []outItem
	waiting int           // messages in queue (a batch counts its events)
	wake    chan struct{} // something was queued
	space   chan struct{} // the writer took the queue
	done    chan struct{}
	once    sync.Once
	closing atomic.Bool
	pending atomic.Int64 // octets queued or being written

	tokens float64 // the rate limit's bucket
	last   time.Time
	rbuf   []byte // what reads a message, reused
}

func newSocket(ws *websocket.Conn, l catalog.Locale, budget *sandbox.Budget) socket {
	return socket{ws: ws, locale: l, budget: budget, wake: make(chan struct{}, 1), space: make(chan struct{}, 1),
		done: make(chan struct{}), tokens: rateLimit.burst, last: time.Now()}
}

// rateLimit is the bucket of every page: RatePerSecond and RateBurst,
// lifted only by the benchmarks that measure how fast lines are answered.
var rateLimit = struct{ perSecond, burst float64 }{RatePerSecond, RateBurst}

// allow takes a token from the socket's bucket.
func (c *socket) allow() bool {
	now := time.Now()
	c.tokens = min(rateLimit.burst, c.tokens+now.Sub(c.last).Seconds()*rateLimit.perSecond)
	c.last = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// maxKeptRead bounds the read buffer a socket keeps between two messages,
// so one big paste does not pin its size for the page's lifetime.
const maxKeptRead = 16 << 10

// read returns the next message from the page, valid until the next read.
func (c *socket) read() ([]byte, error) {
	_, r, err := c.ws.NextReader()
	if err != nil {
		return nil, err
	}
	if cap(c.rbuf) > maxKeptRead {
		c.rbuf = nil
	}
	b := c.rbuf[:0]
	if b == nil {
		b = make([]byte, 0, 512)
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			c.rbuf = b
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// outItem is what waits for the writer: a message already encoded, or a
// batch of events, explained in the page's language when written.
type outItem struct {
	raw   []byte
	batch *batch
}

func (it outItem) size() int64 {
	if it.batch != nil {
		return it.batch.size()
	}
	return int64(len(it.raw))
}

func (it outItem) count() int {
	if it.batch != nil {
		return it.batch.len()
	}
	return 1
}

// sendJSON queues v for the page.
func (c *socket) sendJSON(v any) {
	if b, err := json.Marshal(v); err == nil {
		c.enqueue(outItem{raw: b})
	}
}

// sendBatch queues events for the page; pages showing the same events
// share the batch.
func (c *socket) sendBatch(b *batch) {
	if b != nil && b.len() > 0 {
		c.enqueue(outItem{batch: b})
	}
}

// queueBatch queues events that the caller writes itself with flush once
// it holds no lock: the page's own terminal, whose step then answers the
// page as a TCP session answers its client, in the goroutine that read
// the line, without waking the write loop.
func (c *socket) queueBatch(b *batch) {
	if b != nil && b.len() > 0 {
		c.add(outItem{batch: b}, false)
	}
}

// flush writes what is queued now, unless the write loop is writing: then
// the loop is told to take it. A page that does not read blocks the flush,
// as a TCP client that does not read blocks its session, for writeWait.
func (c *socket) flush() {
	if c.closed() {
		return
	}
	if !c.wmu.TryLock() {
		c.signal()
		return
	}
	ok := c.write(c.take())
	c.wmu.Unlock()
	if !ok {
		c.close()
	}
}

func (c *socket) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueue queues it and wakes the write loop.
func (c *socket) enqueue(it outItem) { c.add(it, true) }

// add keeps the order of everything sent, and wakes the write loop
// unless the caller will flush. A page so slow that SendQueue messages or
// SendQueueBytes octets pile up, or for which the pages' shared budget has
// no room, is dropped (it reconnects and gets the transcript again): that
// costs one flag and one goroutine, whatever it drops.
func (c *socket) add(it outItem, wake bool) {
	size, n := it.size(), it.count()
	c.qmu.Lock()
	if c.closed() { // the writer has gone: nothing more is sent, nor counted
		c.qmu.Unlock()
		return
	}
	if c.waiting+n > SendQueue || c.pending.Load()+size > SendQueueBytes || !c.budget.Reserve(size) {
		c.qmu.Unlock()
		if c.closing.CompareAndSwap(false, true) {
			go c.close() // callers may hold locks that close needs
		}
		return
	}
	c.queue = append(c.queue, it)
	c.waiting += n
	c.pending.Add(size)
	c.qmu.Unlock()
	if wake {
		c.signal()
	}
}

func (c *socket) take() []outItem {
	c.qmu.Lock()
	items := c.queue
	c.queue, c.waiting = nil, 0
	c.qmu.Unlock()
	select {
	case c.space <- struct{}{}:
	default:
	}
	return items
}

// drained waits until at most n messages wait for the page, the page is
// gone, or wait passed; it reports whether the page keeps up.
func (c *socket) drained(n int, wait time.Duration) bool {
	var timer *time.Timer
	for {
		c.qmu.Lock()
		waiting := c.waiting
		c.qmu.Unlock()
		if waiting <= n {
			if timer != nil {
				timer.Stop()
			}
			return true
		}
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		}
		select {
		case <-c.space:
		case <-c.done:
			return false
		case <-timer.C:
			return false
		}
	}
}

// frames pools the buffers frames are put together in: a page holds one
// only while it writes.
var frames = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledFrame bounds the frame buffers kept for reuse.
const maxPooledFrame = 64 << 10

// write sends queued items in order; false if the socket failed. Messages
// that queued up together go in one frame, a JSON array of at most
// MaxBatch of them and about MaxBatchBytes: one write instead of one per
// event, which is most of what a page costs.
func (c *socket) write(items []outItem) bool {
	defer func() {
		var size int64
		for _, it := range items {
			size += it.size()
		}
		c.pending.Add(-size)
		c.budget.Release(size)
	}()
	bp := frames.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledFrame {
			frames.Put(bp)
		}
	}()
	frame, n := append((*bp)[:0], '['), 0
	flush := func() error {
		defer func() { frame, n = frame[:1], 0 }()
		if n == 0 {
			return nil
		}
		out := frame[1:] // one message alone is sent as itself
		if n > 1 {
			frame = append(frame, ']')
			out = frame
		}
		c.ws.SetWriteDeadline(time.Now().Add(writeWait))
		return c.ws.WriteMessage(websocket.TextMessage, out)
	}
	// room makes room for a message of size octets: a new frame if this
	// one is full.
	room := func(size int) error {
		if n > 0 && (n >= MaxBatch || len(frame)+size > MaxBatchBytes) {
			if err := flush(); err != nil {
				return err
			}
		}
		if n > 0 {
			frame = append(frame, ',')
		}
		n++
		return nil
	}
	for _, it := range items {
		if it.batch == nil {
			if room(len(it.raw)) != nil {
				return false
			}
			frame = append(frame, it.raw...)
			continue
		}
		b := it.batch
		for i, x := range b.explanations(c.locale) {
			if room(b.messageSize(i, x)) != nil {
				return false
			}
			frame = b.appendMessage(frame, i, x)
		}
	}
	err := flush()
	*bp = frame
	return err == nil
}

// writeLoop writes what is queued, and pings the page every PingEvery.
func (c *socket) writeLoop() {
	ping := time.NewTicker(PingEvery)
	defer ping.Stop()
	defer c.ws.Close()
	defer c.unsent()
	for {
		select {
		case <-c.done:
			c.wmu.Lock()
			c.write(c.take()) // a last error message must reach the page before the close
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			c.wmu.Unlock()
			return
		case <-c.wake:
			c.wmu.Lock()
			ok := c.write(c.take())
			c.wmu.Unlock()
			if !ok {
				c.close()
				return
			}
		case <-ping.C:
			c.wmu.Lock()
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			err := c.ws.WriteMessage(websocket.PingMessage, nil)
			c.wmu.Unlock()
			if err != nil {
				c.close()
				return
			}
		}
	}
}

// unsent gives back to the send budget what will never be written.
func (c *socket) unsent() {
	c.qmu.Lock()
	c.queue, c.waiting = nil, 0
	c.budget.Release(c.pending.Swap(0))
	c.qmu.Unlock()
}

func (c *socket) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// close ends the socket, once: the writer sends what is queued and says
// goodbye, and onClose lets go of what the page held.
func (c *socket) close() {
	c.once.Do(func() {
		close(c.done)
		if c.onClose != nil {
			c.onClose()
		}
	})
}

package server

import (
	"bytes"
	"compress/flate"
	"io"
	"sync"

	"smtplab/sandbox"
)

// MaxTerminalLog and MaxTerminalLogBytes bound what a terminal keeps to
// replay after a reload or a language switch: the newest MaxTerminalLog
// events, in at most MaxTerminalLogBytes octets of memory (compressed),
// whatever the lines hold.
const (
	MaxTerminalLog      = 4000
	MaxTerminalLogBytes = 2 << 20
)

// The transcript compresses its events by blocks of blockEvents, or fewer
// when they pass blockBytes of JSON. A session's events repeat the same
// keys and replies: an SMTP session's take 228 octets each as JSON, 15 in
// blocks of 64 (31 without the dictionary below), 17 in blocks of 16; a
// block is only read again on a reload.
const (
	blockEvents = 64
	blockBytes  = 32 << 10
)

// tailEventSize is about what an event takes as JSON.
const tailEventSize = 256

// transcript is what a terminal keeps of its events: their JSON, the
// newest as they are, the older in compressed blocks. Its octets are
// counted in a budget shared by every terminal. It is not safe for
// concurrent use: the terminal's lock guards it.
type transcript struct {
	budget *sandbox.Budget
	blocks []logBlock // oldest first
	tail   []byte     // the newest events' JSON, not compressed yet, each ended by '\n'
	tailN  int
	events int // events kept, in blocks and tail
	size   int // octets held: blocks and tail
}

// logBlock is a block of events compressed together. The first skip of
// them are no longer part of the transcript.
type logBlock struct {
	data []byte
	n    int // events in data
	skip int
	dict bool // compressed against the shared dictionary
}

// add keeps one message's JSON (an event's, or a page message kept beside
// them), which holds no newline: encoding/json escapes them. When
// the budget is spent, the terminal forgets its own oldest events first,
// and keeps nothing if that is not enough.
func (t *transcript) add(j []byte) {
	for !t.reserve(len(j) + 1) {
		switch {
		case t.tailN > 0:
			t.seal() // compressed, the tail takes far less of the budget
		case len(t.blocks) > 0:
			t.dropBlock()
		default:
			return
		}
	}
	if t.tail == nil {
		t.tail = make([]byte, 0, blockEvents*tailEventSize) // grown once, not doubling at each block
	}
	t.tail = append(append(t.tail, j...), '\n')
	t.tailN++
	t.events++
	t.size += len(j) + 1
	if t.tailN >= blockEvents || len(t.tail) >= blockBytes {
		t.seal()
	}
	t.trim()
}

func (t *transcript) reserve(n int) bool { return t.budget == nil || t.budget.Reserve(int64(n)) }

func (t *transcript) release(n int) {
	if t.budget != nil {
		t.budget.Release(int64(n))
	}
}

// seal compresses the tail into a block.
func (t *transcript) seal() {
	data, dict := compress(t.tail)
	t.release(len(t.tail))
	t.size -= len(t.tail)
	ok := t.reserve(len(data))
	for !ok && len(t.blocks) > 0 {
		t.dropBlock()
		ok = t.reserve(len(data))
	}
	if ok {
		t.blocks = append(t.blocks, logBlock{data: data, n: t.tailN, dict: dict})
		t.size += len(data)
	} else {
		t.events -= t.tailN // no room even compressed: these are forgotten
	}
	if cap(t.tail) > 2*blockBytes {
		t.tail = nil // one huge event must not pin its size
	}
	t.tail, t.tailN = t.tail[:0], 0
}

// trim keeps the newest MaxTerminalLog events within MaxTerminalLogBytes.
func (t *transcript) trim() {
	for t.size > MaxTerminalLogBytes && len(t.blocks) > 0 {
		t.dropBlock()
	}
	for over := t.events - MaxTerminalLog; over > 0 && len(t.blocks) > 0; over = t.events - MaxTerminalLog {
		b := &t.blocks[0]
		if left := b.n - b.skip; over >= left {
			t.dropBlock()
		} else {
			b.skip += over
			t.events -= over
		}
	}
}

func (t *transcript) dropBlock() {
	b := t.blocks[0]
	t.blocks[0] = logBlock{}
	t.blocks = t.blocks[1:]
	t.events -= b.n - b.skip
	t.size -= len(b.data)
	t.release(len(b.data))
	if len(t.blocks) == 0 {
		t.blocks = nil // let the array go
	}
}

// reset forgets everything.
func (t *transcript) reset() {
	for len(t.blocks) > 0 {
		t.dropBlock()
	}
	t.release(len(t.tail))
	*t = transcript{budget: t.budget}
}

// each calls f with the JSON of every message kept, oldest first. The
// slice is only valid during the call.
func (t *transcript) each(f func(j []byte)) {
	lines := func(raw []byte, skip int) {
		for i := 0; len(raw) > 0; i++ {
			var line []byte
			line, raw, _ = bytes.Cut(raw, []byte{'\n'})
			if i >= skip {
				f(line)
			}
		}
	}
	for _, b := range t.blocks {
		lines(decompress(b.data, b.dict), b.skip)
	}
	lines(t.tail, 0)
}

// The dictionary every block after the first is compressed against: the
// events of the first block any terminal sealed. A class types the same
// sessions and gets the same replies, so a block then takes about half of
// what it takes alone. It lives as long as the process, 32 KiB at most.
var dictionary struct {
	once sync.Once
	text []byte
}

// Flate writers cost about a megabyte each: a few are kept for every
// terminal to use in turn, as are the readers.
var (
	writers = make(chan *flate.Writer, 2)
	readers = make(chan io.ReadCloser, 2)
)

// compressLevel: level 2 is the fastest that uses a dictionary.
const compressLevel = 2

// compress returns raw compressed, and whether against the dictionary.
func compress(raw []byte) ([]byte, bool) {
	first := false
	dictionary.once.Do(func() {
		dictionary.text = bytes.Clone(raw[max(0, len(raw)-32<<10):])
		first = true
	})
	var out bytes.Buffer
	out.Grow(len(raw) / 8)
	if first {
		w, _ := flate.NewWriter(&out, compressLevel)
		w.Write(raw)
		w.Close()
		return bytes.Clone(out.Bytes()), false
	}
	var w *flate.Writer
	select {
	case w = <-writers:
		w.Reset(&out)
	default:
		w, _ = flate.NewWriterDict(&out, compressLevel, dictionary.text)
	}
	w.Write(raw)
	w.Close()
	select {
	case writers <- w:
	default:
	}
	return bytes.Clone(out.Bytes()), true
}

func decompress(data []byte, withDict bool) []byte {
	var dict []byte
	if withDict {
		dict = dictionary.text
	}
	var r io.ReadCloser
	select {
	case r = <-readers:
		r.(flate.Resetter).Reset(bytes.NewReader(data), dict)
	default:
		r = flate.NewReaderDict(bytes.NewReader(data), dict)
	}
	raw, _ := io.ReadAll(r)
	select {
	case readers <- r:
	default:
	}
	return raw
}

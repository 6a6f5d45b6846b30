package server

import (
	"bytes"
	"encoding/json"
	"slices"
	"sync"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/explain"
)

// batch is events that go to pages together — the events of one step of
// a session, or a run of a transcript being replayed — each encoded as
// JSON once, for every page that shows them: the terminal's own, the
// teacher's watching it, the /live pages. A page receives each as an
// "event" message, {"t":"event","ev":EVENT,"x":EXPLANATION}, its
// explanation (sandbox/explain) in the page's language: the explanations
// of one language are looked up once, by the first page that needs them,
// and every page's writer puts the messages together in its frame.
type batch struct {
	n    int   // events
	cost int64 // about what the batch costs a page until written

	mu   sync.Mutex
	evs  []sandbox.Event // nil for a replay until a page needs them
	json []byte          // the events' JSON, each followed by a newline; nil until a live replay needs it
	ends []int           // where each event's JSON ends in json
	xs   [2][][]byte     // the explanations, by index in catalog.Locales; nil: none
}

// newBatch encodes the events of a step (the transcript keeps their
// JSON). It keeps its own copy of evs: the caller may reuse the slice.
func newBatch(evs []sandbox.Event) *batch {
	b := &batch{n: len(evs), evs: slices.Clone(evs)}
	b.encodeEvents()
	b.cost = int64(2*len(b.json) + explainedSize*b.n)
	return b
}

// lazyBatch is a batch whose events are encoded only when a page needs
// them: /live's replay of every session it keeps. evs must not change.
func lazyBatch(evs []sandbox.Event) *batch {
	b := &batch{n: len(evs), evs: evs}
	for _, ev := range evs {
		b.cost += int64(2*eventSize(ev) + explainedSize)
	}
	return b
}

// replayBuilder makes batches of kept JSON events, decoded only when a
// page needs them.
type replayBuilder struct{ b *batch }

// add adds one event's JSON.
func (r *replayBuilder) add(j []byte) {
	if r.b == nil {
		r.b = &batch{}
	}
	r.b.json = append(append(r.b.json, j...), '\n')
	r.b.ends = append(r.b.ends, len(r.b.json))
	r.b.n++
	r.b.cost += int64(2*len(j) + explainedSize)
}

func (r *replayBuilder) take() *batch {
	b := r.b
	r.b = nil
	return b
}

// explainedSize is about what an explanation adds to an event.
const explainedSize = 256

func (b *batch) len() int    { return b.n }
func (b *batch) size() int64 { return b.cost }

// event returns the JSON of the i-th event.
func (b *batch) event(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.json[start : b.ends[i]-1]
}

// encoders pools what encodes events: the JSON is then copied once, to
// its size.
var encoders = sync.Pool{New: func() any {
	e := &eventEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

type eventEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// maxPooledEncoder bounds the buffer an encoder keeps for the next batch.
const maxPooledEncoder = 64 << 10

// encodeEvents writes the events' JSON, each followed by the newline
// json.Encoder ends it with. Called before the batch is shared, or with
// mu held.
func (b *batch) encodeEvents() {
	e := encoders.Get().(*eventEncoder)
	e.buf.Reset()
	b.ends = make([]int, 0, len(b.evs))
	for _, ev := range b.evs {
		if e.enc.Encode(ev) != nil {
			e.buf.WriteString("null\n")
		}
		b.ends = append(b.ends, e.buf.Len())
	}
	b.json = bytes.Clone(e.buf.Bytes())
	if e.buf.Cap() <= maxPooledEncoder {
		encoders.Put(e)
	}
}

// explanations returns the batch's explanations in locale l, looking
// them up if no page of that language did.
func (b *batch) explanations(l catalog.Locale) [][]byte {
	i := slices.Index(catalog.Locales, l)
	if i < 0 || i >= len(b.xs) {
		i, l = 0, catalog.Locales[0]
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.xs[i] == nil {
		if b.json == nil {
			b.encodeEvents()
		}
		if b.evs == nil {
			b.evs = make([]sandbox.Event, b.n)
			for i := range b.evs {
				json.Unmarshal(b.event(i), &b.evs[i])
			}
		}
		xs := make([][]byte, b.n)
		for i, ev := range b.evs {
			xs[i] = explain.JSON(ev, l)
		}
		b.xs[i] = xs
	}
	return b.xs[i]
}

// appendMessage appends the i-th event as a page receives it, explained by x.
func (b *batch) appendMessage(dst []byte, i int, x []byte) []byte {
	dst = append(dst, `{"t":"event","ev":`...)
	dst = append(dst, b.event(i)...)
	if x != nil {
		dst = append(append(dst, `,"x":`...), x...)
	}
	return append(dst, '}')
}

// messageSize is the length of what appendMessage appends.
func (b *batch) messageSize(i int, x []byte) int {
	n := len(`{"t":"event","ev":}`) + b.ends[i] - 1
	if i > 0 {
		n -= b.ends[i-1]
	}
	if x != nil {
		n += len(`,"x":`) + len(x)
	}
	return n
}

// touchesMailboxes reports whether events changed what a mailbox holds.
func touchesMailboxes(evs []sandbox.Event) bool {
	for _, ev := range evs {
		if ev.Kind == sandbox.EventDelivery || ev.Kind == sandbox.EventMailbox && ev.Mailbox.Action == "removed" {
			return true
		}
	}
	return false
}

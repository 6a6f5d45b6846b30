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
// "event" message, its explanation (sandbox/explain) written in the page's
// language; the messages of one language are made once, by the first page
// that needs them, and go out in one frame.
type batch struct {
	n    int   // events
	cost int64 // about what the batch costs a page until written

	mu   sync.Mutex
	evs  []sandbox.Event // nil for a replay until a page needs them
	json []byte          // the events' JSON, one after the other; nil until needed for a live replay
	ends []int           // where each event's JSON ends in json
	msgs [2]*messages    // by index in catalog.Locales
}

// newBatch encodes the events of a step: the transcript keeps their JSON.
func newBatch(evs []sandbox.Event) *batch {
	b := &batch{n: len(evs), evs: evs}
	b.encodeEvents()
	b.cost = int64(2*len(b.json) + explainedSize*b.n)
	return b
}

// lazyBatch is a batch whose events are encoded only when a page needs
// them: /live's replay of every session it keeps.
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

// event returns the JSON of the i-th event (json holds each followed by
// a newline, as json.Encoder writes them).
func (b *batch) event(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.json[start : b.ends[i]-1]
}

// encodeEvents writes the events' JSON, each followed by a newline.
// Called before the batch is shared, or with mu held.
func (b *batch) encodeEvents() {
	var buf bytes.Buffer
	buf.Grow(len(b.evs) * eventJSONSize)
	enc := json.NewEncoder(&buf)
	b.ends = make([]int, 0, len(b.evs))
	for _, ev := range b.evs {
		if enc.Encode(ev) != nil {
			buf.WriteString("null\n")
		}
		b.ends = append(b.ends, buf.Len())
	}
	b.json = buf.Bytes()
}

// eventJSONSize is about what an event takes as JSON.
const eventJSONSize = 256

// messages are a batch's "event" messages in one language.
type messages struct {
	b    []byte
	ends []int
}

func (m *messages) count() int { return len(m.ends) }

// message returns the i-th message.
func (m *messages) message(i int) []byte {
	start := 0
	if i > 0 {
		start = m.ends[i-1]
	}
	return m.b[start:m.ends[i]]
}

// messages returns the batch's messages in locale l, making them if no
// page of that language did.
func (b *batch) messages(l catalog.Locale) *messages {
	i := slices.Index(catalog.Locales, l)
	if i < 0 || i >= len(b.msgs) {
		i, l = 0, catalog.Locales[0]
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.msgs[i] == nil {
		b.msgs[i] = b.encode(l)
	}
	return b.msgs[i]
}

// encode writes each event as the page receives it:
// {"t":"event","ev":EVENT,"x":EXPLANATION}. Called with mu held.
func (b *batch) encode(l catalog.Locale) *messages {
	if b.json == nil {
		b.encodeEvents()
	}
	if b.evs == nil {
		b.evs = make([]sandbox.Event, b.n)
		for i := range b.evs {
			json.Unmarshal(b.event(i), &b.evs[i])
		}
	}
	m := &messages{b: make([]byte, 0, len(b.json)+b.n*(explainedSize+32)), ends: make([]int, 0, b.n)}
	for i, ev := range b.evs {
		m.b = append(m.b, `{"t":"event","ev":`...)
		m.b = append(m.b, b.event(i)...)
		n := len(m.b)
		m.b = append(m.b, `,"x":`...)
		var ok bool
		if m.b, ok = explain.AppendJSON(m.b, ev, l); !ok {
			m.b = m.b[:n]
		}
		m.b = append(m.b, '}')
		m.ends = append(m.ends, len(m.b))
	}
	return m
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

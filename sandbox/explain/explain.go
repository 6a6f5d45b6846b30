// Package explain writes what an event means for a student, in their
// language, from the catalog's texts: for a reply, what its code means, the
// parts of its enhanced code and why it was given now; for a command, what
// the verb does and a label for each part; for a state, what the server
// waits for next; for a message, its verdicts and warnings; for a delivery,
// what became of the copy.
//
// Every page that shows an event needs its explanation, and a class types
// the same commands and gets the same replies: the explanations of
// replies, commands and states are kept once written, as JSON, by their
// catalog keys, arguments and language (at most CacheEntries of them).
package explain

import (
	"encoding/binary"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// Explanation is the text that goes with one event, in one language.
type Explanation struct {
	Reply    *catalog.Explanation `json:"reply,omitempty"`
	Command  string               `json:"command,omitempty"` // what the verb does
	Parts    []string             `json:"parts,omitempty"`   // a label per part of the command
	State    string               `json:"state,omitempty"`   // what the new state waits for
	Verdicts []Verdict            `json:"verdicts,omitempty"`
	Warnings []string             `json:"warnings,omitempty"`
	Delivery string               `json:"delivery,omitempty"`
	Queue    string               `json:"queue,omitempty"` // why the queue did what it did
}

// Verdict is one address's fate in a message, in words.
type Verdict struct {
	Label   string `json:"label"`
	Long    string `json:"long"`
	Visible string `json:"visible"`
}

// Of explains ev in locale l; nil if there is nothing to say about it.
func Of(ev sandbox.Event, l catalog.Locale) *Explanation {
	var x Explanation
	proto := strings.ToLower(string(ev.Proto))
	switch {
	case ev.Reply != nil:
		r := catalog.Explain(l, ev.Reply.Meaning, ev.Reply.Enhanced, ev.Reply.Reason, ev.Reply.Args)
		x.Reply = &r
	case ev.Command != nil:
		x.Command = text(l, "command."+proto+"."+ev.Command.Verb, nil)
		for _, p := range ev.Command.Parts {
			x.Parts = append(x.Parts, text(l, "part."+p.Kind, nil))
		}
	case ev.State != nil:
		x.State = text(l, "state."+proto+"."+ev.State.To, nil)
	case ev.Message != nil:
		for _, v := range ev.Message.Analysis.Verdicts {
			x.Verdicts = append(x.Verdicts, Verdict{
				Label:   text(l, "verdict."+v.Verdict, nil),
				Long:    text(l, "verdict."+v.Verdict+".long", sandbox.Args("addr", v.Address, "field", v.Field)),
				Visible: text(l, "visible."+v.VisibleTo, nil),
			})
		}
		for _, w := range ev.Message.Analysis.Warnings {
			x.Warnings = append(x.Warnings, text(l, "warning."+w.Key, w.Args))
		}
	case ev.Delivery != nil:
		key := ev.Delivery.Reason
		if why := ev.Delivery.Args["why"]; ev.Delivery.Status == sandbox.Dropped && why != "" {
			key = "delivery.dropped." + why
		}
		x.Delivery = text(l, key, ev.Delivery.Args)
	case ev.Queue != nil:
		x.Queue = text(l, ev.Queue.Reason, ev.Queue.Args)
	default:
		return nil
	}
	return &x
}

func text(l catalog.Locale, key string, args map[string]string) string {
	t, _ := catalog.Text(l, key, args)
	return t
}

// AppendJSON appends the JSON of Of(ev, l) to b and reports whether there
// was one.
func AppendJSON(b []byte, ev sandbox.Event, l catalog.Locale) ([]byte, bool) {
	j := JSON(ev, l)
	return append(b, j...), j != nil
}

// JSON returns the JSON of Of(ev, l), nil if there is none. The
// explanations of replies, commands and states come from the cache once
// written, shared: the slice must not be changed.
func JSON(ev sandbox.Event, l catalog.Locale) []byte {
	var room [256]byte
	key, ok := appendKey(room[:0], ev, l)
	if !ok {
		x := Of(ev, l)
		if x == nil {
			return nil
		}
		j, _ := json.Marshal(x)
		return j
	}
	cache.mu.RLock()
	j, hit := cache.m[string(key)]
	cache.mu.RUnlock()
	if !hit {
		j, _ = json.Marshal(Of(ev, l))
		put(string(key), j)
	}
	return j
}

// CacheEntries bounds the explanations kept: each is a few hundred octets,
// and replies quote what was typed (a HELO name, an address), so a busy
// class makes new ones all the time. When full, the cache starts again.
const CacheEntries = 4096

var cache struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// put keeps j under key, emptying the cache first when it is full.
func put(key string, j []byte) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if cache.m == nil || len(cache.m) >= CacheEntries {
		cache.m = make(map[string][]byte)
	}
	cache.m[key] = j
}

// appendKey names ev's explanation in l by everything it is made of: the
// kind, the language, the catalog keys and the arguments, each preceded by
// its length, so that no text typed into an argument can make the key of
// another explanation. A message's or a delivery's explanation is made
// once per event anyway: not cached.
func appendKey(b []byte, ev sandbox.Event, l catalog.Locale) ([]byte, bool) {
	field := func(s string) { b = append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	switch {
	case ev.Reply != nil:
		r := ev.Reply
		b = append(b, 'r')
		field(string(l))
		field(r.Meaning)
		field(r.Enhanced)
		field(r.Reason)
		var room [8]string
		names := room[:0]
		for k := range r.Args {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			field(k)
			field(r.Args[k])
		}
	case ev.Command != nil:
		b = append(b, 'c')
		field(string(l))
		field(string(ev.Proto))
		field(ev.Command.Verb)
		for _, p := range ev.Command.Parts {
			field(p.Kind)
		}
	case ev.State != nil:
		b = append(b, 's')
		field(string(l))
		field(string(ev.Proto))
		field(ev.State.To)
	default:
		return b, false
	}
	return b, true
}

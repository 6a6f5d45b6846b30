package pop3

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/sandboxtest"
)

// TestCatalog checks that every reply the engine produced in the golden
// transcripts and unit scenarios has a wire text and, in every locale, an
// explanation of its own, and that every explanation written for the
// engine is used.
func TestCatalog(t *testing.T) {
	seen := newReasons()
	runGolden(t, seen.observe)
	scenarios(t, seen.observe)

	for reason := range seen.reasons {
		if strings.HasPrefix(catalog.Wire(reason, nil), catalog.Missing) {
			t.Errorf("reason %s has no wire text", reason)
		}
	}
	want := map[string]bool{}
	for r := range seen.reasons {
		want["reason."+r] = true
	}
	for m := range seen.meaning {
		want["code."+m] = true
	}
	for st := range seen.states {
		if st != "" {
			want["state.pop3."+st] = true
		}
	}
	for _, v := range verbs.AllNames() {
		want["command.pop3."+v] = true
	}
	for _, l := range catalog.Locales {
		keys := map[string]bool{}
		for _, k := range catalog.Keys(l) {
			if isPOP3Key(k) {
				keys[k] = true
			}
		}
		for k := range want {
			if !keys[k] {
				t.Errorf("%s: no explanation under %s", l, k)
			}
		}
		for k := range keys {
			if !want[k] {
				t.Errorf("%s: %s is never produced (a typo, or a case no test covers)", l, k)
			}
		}
	}
	for _, st := range []string{Authorization, Transaction, Update, Closed} {
		if !seen.states[st] {
			t.Errorf("state %s never entered", st)
		}
	}
}

func isPOP3Key(k string) bool {
	for _, p := range []string{"reason.pop3.", "code.pop3.", "state.pop3.", "command.pop3."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// TestWireKeysUsed checks that every wire text of pop3.wire.json belongs to
// a reason the engine produces (or is the parent its variants fall back to).
func TestWireKeysUsed(t *testing.T) {
	seen := newReasons()
	runGolden(t, seen.observe)
	scenarios(t, seen.observe)
	for _, k := range catalog.WireKeys() {
		if strings.HasPrefix(k, "pop3.") && !seen.reasons[k] {
			t.Errorf("wire text %s is never sent", k)
		}
	}
}

// scenarios runs what transcripts cannot show: a refused session on its
// own, and a QUIT after the world was emptied under the session.
func scenarios(t *testing.T, observe sandbox.Observer) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	w.Subscribe(observe)
	NewSession(w, sandboxtest.Peer).Refuse()
	fillMailbox(t, w, "alice", 1)
	s := open(t, w, "alice")
	send(s, "DELE 1")
	w.Reset()
	send(s, "QUIT")
}

// TestReplyLines checks the wire format of every reply in the transcripts:
// a status first, and no line over 512 octets with its CRLF.
func TestReplyLines(t *testing.T) {
	var bad []string
	runGolden(t, func(e sandbox.Event) {
		r := e.Reply
		if r == nil {
			return
		}
		if !strings.HasPrefix(r.Lines[0], r.Status) || !slices.Contains([]string{OK, ERR, Challenge}, r.Status) {
			bad = append(bad, "bad status: "+r.Lines[0])
		}
		for _, l := range r.Lines {
			if len(l)+2 > 512 || strings.ContainsAny(l, "\r\n") {
				bad = append(bad, "bad line: "+l)
			}
		}
	})
	for _, b := range bad {
		t.Error(b)
	}
}

// TestReasonsFilled checks that every explanation of the replies in the
// transcripts and scenarios finds each of its placeholders in the reply's
// arguments, and that no reply line is left with one.
func TestReasonsFilled(t *testing.T) {
	var mu sync.Mutex
	var replies []*sandbox.Reply
	observe := func(e sandbox.Event) {
		if e.Reply != nil {
			mu.Lock()
			replies = append(replies, e.Reply)
			mu.Unlock()
		}
	}
	runGolden(t, observe)
	scenarios(t, observe)
	for _, r := range replies {
		if strings.Contains(r.Lines[0], "{") {
			t.Errorf("%s: wire line %q keeps a placeholder", r.Reason, r.Lines[0])
		}
		for _, l := range catalog.Locales {
			if text, _ := catalog.Text(l, "reason."+r.Reason, r.Args); strings.Contains(text, "{") {
				t.Errorf("%s: reason.%s is not filled by %v: %q", l, r.Reason, r.Args, text)
			}
		}
	}
}

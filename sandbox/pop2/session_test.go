package pop2

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/sandboxtest"
)

// send feeds the lines, each with CRLF, in one write and returns the output.
func send(s *Session, lines ...string) string {
	var b []byte
	for _, l := range lines {
		b = append(b, l+"\r\n"...)
	}
	return string(sandbox.FeedAll(s, b).Bytes())
}

func login(t *testing.T, w *sandbox.World, user string) *Session {
	t.Helper()
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	if got := send(s, "HELO "+user+" "+user); !strings.HasPrefix(got, "#") {
		t.Fatalf("HELO %s: %q", user, got)
	}
	return s
}

func TestRetrSendsExactlyTheAnnouncedOctets(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	msgs := fillMailbox(t, w, "alice", 2)
	s := login(t, w, "alice")
	for i, m := range msgs {
		ann := send(s, "READ "+strconv.Itoa(i+1))
		n, err := strconv.Atoi(strings.Fields(strings.TrimPrefix(ann, "="))[0])
		if err != nil || !strings.HasPrefix(ann, "=") {
			t.Fatalf("READ %d: %q", i+1, ann)
		}
		got := send(s, "RETR")
		if len(got) != n || got != string(m.Raw) {
			t.Errorf("RETR of message %d sent %d octets, announced %d; stored %d:\n%q", i+1, len(got), n, len(m.Raw), got)
		}
		send(s, "ACKS")
	}
}

func TestTransferEndsWithCRLF(t *testing.T) {
	for raw, want := range map[string]string{
		"a\r\nb\r\n": "a\r\nb\r\n",
		"a\r\nb":     "a\r\nb\r\n",
		"":           "\r\n",
	} {
		m := &sandbox.Message{Raw: []byte(raw)}
		got := transfer(m)
		if string(got) != want {
			t.Errorf("transfer(%q) = %q, want %q", raw, got, want)
		}
		if r := text(got, "retr.ok"); !bytes.Equal(r.Wire(), got) {
			t.Errorf("RETR reply of %q sends %q, want %q", raw, r.Wire(), got)
		}
	}
}

func TestAckdDeletesAtQuitOnly(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	msgs := fillMailbox(t, w, "alice", 3)
	rec := sandboxtest.Record(w)
	s := login(t, w, "alice")
	send(s, "READ 2", "RETR", "ACKD")
	if n := len(w.Store.Messages("alice")); n != 3 {
		t.Fatalf("after ACKD: %d messages, want 3 until QUIT", n)
	}
	if got := send(s, "QUIT"); !strings.HasPrefix(got, "+ ") || !s.Closed() {
		t.Fatalf("QUIT: %q", got)
	}
	left := w.Store.Messages("alice")
	if len(left) != 2 || left[0].UID != msgs[0].UID || left[1].UID != msgs[2].UID {
		t.Fatalf("after QUIT: %d messages left, want messages 1 and 3", len(left))
	}
	var got []string
	for _, e := range rec.Events() {
		if m := e.Mailbox; m != nil {
			got = append(got, m.Action+" "+strings.Join(m.UIDs, ","))
		}
	}
	want := []string{"locked ", "retrieved " + msgs[1].UID, "removed " + msgs[1].UID, "unlocked "}
	if !slices.Equal(got, want) {
		t.Errorf("mailbox events\n got %q\nwant %q", got, want)
	}
	// A new session sees two messages.
	s2 := NewSession(w, sandboxtest.Peer)
	s2.Start()
	if got := send(s2, "HELO alice alice"); !strings.HasPrefix(got, "#2 ") {
		t.Errorf("new session: %q", got)
	}
}

func TestEndWithoutQuitKeepsMessagesAndUnlocks(t *testing.T) {
	for name, end := range map[string]func(*Session){
		"hangup":   func(s *Session) { s.Hangup() },
		"timeout":  func(s *Session) { s.Timeout() },
		"shutdown": func(s *Session) { s.Shutdown() },
		"error":    func(s *Session) { send(s, "BOGUS") },
	} {
		t.Run(name, func(t *testing.T) {
			w := sandboxtest.NewWorld(sandbox.Limits{})
			fillMailbox(t, w, "alice", 2)
			s := login(t, w, "alice")
			send(s, "READ", "RETR", "ACKD", "RETR", "ACKD")
			end(s)
			if !s.Closed() {
				t.Fatal("session still open")
			}
			if n := len(w.Store.Messages("alice")); n != 2 {
				t.Errorf("%d messages left, want 2: ACKD marks apply only at QUIT or FOLD", n)
			}
			if !w.Store.Lock("alice") {
				t.Error("mailbox still locked")
			}
		})
	}
}

func TestHeloFailDelay(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{AuthFailDelay: 3 * time.Second})
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	o := s.Feed([]byte("HELO alice wrong\r\n"))
	if o.Delay != 3*time.Second || !o.Close || !s.Closed() {
		t.Errorf("wrong password: delay %v close %v, want 3s and close", o.Delay, o.Close)
	}
}

func TestRefuse(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	s := NewSession(w, sandboxtest.Peer)
	o := s.Refuse()
	if got := string(o.Bytes()); got != "- too many sessions, try again later\r\n" || !o.Close || !s.Closed() {
		t.Errorf("Refuse: %q, close %v", got, o.Close)
	}
}

// TestCatalog checks that every reply of the transcripts and unit scenarios
// has a wire text (except RETR's, which is the message) and an explanation
// of its own in every locale, and that every explanation is used.
func TestCatalog(t *testing.T) {
	var mu sync.Mutex
	want := map[string]bool{}
	reasons := map[string]bool{}
	observe := func(e sandbox.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case e.Reply != nil:
			reasons[e.Reply.Reason] = true
			want["reason."+e.Reply.Reason] = true
			want["code."+e.Reply.Meaning] = true
		case e.State != nil:
			want["state.pop2."+e.State.To] = true
		}
	}
	runGolden(t, observe)
	w := sandboxtest.NewWorld(sandbox.Limits{})
	w.Subscribe(observe)
	NewSession(w, sandboxtest.Peer).Refuse()
	for _, v := range verbs.AllNames() {
		want["command.pop2."+v] = true
	}
	for r := range reasons {
		if r != "pop2.retr.ok" && strings.HasPrefix(catalog.Wire(r, nil), catalog.Missing) {
			t.Errorf("reason %s has no wire text", r)
		}
	}
	for _, k := range catalog.WireKeys() {
		if strings.HasPrefix(k, "pop2.") && !reasons[k] && !isParent(k, reasons) {
			t.Errorf("wire text %s is never sent", k)
		}
	}
	for _, st := range []string{Auth, Mbox, Item, Next, Done} {
		if !want["state.pop2."+st] {
			t.Errorf("state %s never entered", st)
		}
	}
	for _, l := range catalog.Locales {
		keys := map[string]bool{}
		for _, k := range catalog.Keys(l) {
			for _, p := range []string{"reason.pop2.", "code.pop2.", "state.pop2.", "command.pop2."} {
				if strings.HasPrefix(k, p) {
					keys[k] = true
				}
			}
		}
		for k := range want {
			if !keys[k] {
				t.Errorf("%s: no explanation under %s", l, k)
			}
		}
		for k := range keys {
			if !want[k] {
				t.Errorf("%s: %s is never produced", l, k)
			}
		}
	}
}

// isParent reports whether key is the wire text some reason falls back to.
func isParent(key string, reasons map[string]bool) bool {
	for r := range reasons {
		if strings.HasPrefix(r, key+".") {
			return true
		}
	}
	return false
}

// TestHeloIsSecret: HELO carries the password (RFC 937), so its input
// event is marked secret and the password part too, for every watcher but
// the session's own terminal to hide; other lines are not.
func TestHeloIsSecret(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{AuthFailDelay: -1})
	rec := sandboxtest.Record(w)
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	sandbox.FeedAll(s, []byte("helo alice alice\r\nREAD\r\nQUIT\r\n"))
	secret := map[string]bool{}
	var parts []sandbox.Part
	for _, e := range rec.Events() {
		switch {
		case e.Kind == sandbox.EventInput:
			secret[e.Input.Text] = e.Input.Secret
		case e.Kind == sandbox.EventCommand && e.Command.Verb == "HELO":
			parts = e.Command.Parts
		}
	}
	if want := map[string]bool{"helo alice alice": true, "READ": false, "QUIT": false}; !maps.Equal(secret, want) {
		t.Errorf("secret inputs %v, want %v", secret, want)
	}
	if len(parts) != 3 || parts[1].Kind != "text" || parts[2].Kind != sandbox.PartSecret || parts[2].Text != "alice" {
		t.Errorf("HELO parts %+v: the password is not the secret part", parts)
	}
}

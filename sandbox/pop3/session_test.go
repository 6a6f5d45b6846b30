package pop3

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// newTestWorld returns a test world where alice has n test messages.
func newTestWorld(t testing.TB, n int) (*sandbox.World, []*sandbox.Message) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	return w, fillMailbox(t, w, "alice", n)
}

// open starts a session and logs in as user.
func open(t testing.TB, w *sandbox.World, user string) *Session {
	t.Helper()
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	if got := send(s, "USER "+user, "PASS "+user); !strings.Contains(got, "+OK "+user+"'s maildrop") {
		t.Fatalf("login as %s failed:\n%s", user, got)
	}
	return s
}

// send feeds the lines, each with CRLF, in one write and returns the output.
func send(s *Session, lines ...string) string {
	var b []byte
	for _, l := range lines {
		b = append(b, l+"\r\n"...)
	}
	return string(sandbox.FeedAll(s, b).Bytes())
}

// firstLine returns the first reply line of out.
func firstLine(out string) string {
	l, _, _ := strings.Cut(out, "\r\n")
	return l
}

// body undoes a multi-line answer: drops the status line and the final
// dot, unstuffs the lines, and joins them with CRLF as they were stored.
func body(t *testing.T, out string) []byte {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	if len(lines) < 2 || lines[len(lines)-1] != "." {
		t.Fatalf("not a multi-line answer:\n%s", out)
	}
	var b bytes.Buffer
	for _, l := range lines[1 : len(lines)-1] {
		b.WriteString(strings.TrimPrefix(l, ".") + "\r\n")
	}
	return b.Bytes()
}

func TestDeletionOnlyAtQuit(t *testing.T) {
	w, msgs := newTestWorld(t, 3)
	s := open(t, w, "alice")
	if got := firstLine(send(s, "DELE 1", "DELE 3")); got != "+OK message 1 deleted" {
		t.Fatalf("DELE 1: %q", got)
	}
	if n := len(w.Store.Messages("alice")); n != 3 {
		t.Fatalf("after DELE, before QUIT: store holds %d messages, want 3", n)
	}
	if got := send(s, "QUIT"); !strings.HasPrefix(got, "+OK") || !strings.Contains(got, "(1 messages left)") {
		t.Fatalf("QUIT: %q", got)
	}
	if !s.Closed() {
		t.Fatal("session still open after QUIT")
	}
	left := w.Store.Messages("alice")
	if len(left) != 1 || left[0].UID != msgs[1].UID {
		t.Fatalf("after QUIT the store holds %d messages, want only %s", len(left), msgs[1].UID)
	}
	// A new session sees the effect: one message, now number 1.
	s2 := open(t, w, "alice")
	if got := firstLine(send(s2, "STAT")); got != "+OK 1 "+strconv.Itoa(msgs[1].Size()) {
		t.Fatalf("STAT in a new session: %q", got)
	}
	if got := firstLine(send(s2, "UIDL 1")); got != "+OK 1 "+msgs[1].UID {
		t.Fatalf("UIDL 1 in a new session: %q", got)
	}
}

func TestHangupDeletesNothingAndUnlocks(t *testing.T) {
	for _, end := range []struct {
		name string
		do   func(*Session) string
	}{
		{"hangup", func(s *Session) string { s.Hangup(); return "" }},
		{"timeout", func(s *Session) string { return string(s.Timeout().Bytes()) }},
		{"shutdown", func(s *Session) string { return string(s.Shutdown().Bytes()) }},
	} {
		t.Run(end.name, func(t *testing.T) {
			w, _ := newTestWorld(t, 2)
			rec := sandboxtest.Record(w)
			s := open(t, w, "alice")
			send(s, "DELE 1", "DELE 2")
			if w.Store.Lock("alice") {
				t.Fatal("maildrop not locked during TRANSACTION")
			}
			out := end.do(s)
			if end.name != "hangup" && !strings.HasPrefix(out, "-ERR ") {
				t.Errorf("last reply %q, want -ERR", out)
			}
			if !s.Closed() {
				t.Fatal("session still open")
			}
			if n := len(w.Store.Messages("alice")); n != 2 {
				t.Errorf("store holds %d messages, want 2: nothing may be deleted without QUIT", n)
			}
			if !w.Store.Lock("alice") {
				t.Fatal("maildrop still locked after the session ended")
			}
			w.Store.Unlock("alice")
			if got := mailboxActions(rec); !slices.Equal(got, []string{"locked", "unlocked"}) {
				t.Errorf("mailbox events %v, want [locked unlocked]", got)
			}
			if got := send(s, "STAT"); got != "" {
				t.Errorf("a closed session answered %q", got)
			}
			// A new session sees both messages again.
			s2 := open(t, w, "alice")
			if got := firstLine(send(s2, "STAT")); !strings.HasPrefix(got, "+OK 2 ") {
				t.Errorf("STAT in a new session: %q", got)
			}
		})
	}
}

func mailboxActions(rec *sandboxtest.Recorder) []string {
	var out []string
	for _, e := range rec.Events() {
		if e.Mailbox != nil {
			out = append(out, e.Mailbox.Action)
		}
	}
	return out
}

func TestMailboxEvents(t *testing.T) {
	w, msgs := newTestWorld(t, 2)
	rec := sandboxtest.Record(w)
	s := open(t, w, "alice")
	send(s, "RETR 2", "DELE 1", "QUIT")
	var got []string
	for _, e := range rec.Events() {
		if m := e.Mailbox; m != nil {
			if m.Mailbox != "alice" {
				t.Errorf("event for mailbox %q", m.Mailbox)
			}
			got = append(got, m.Action+" "+strings.Join(m.UIDs, ","))
		}
	}
	want := []string{"locked ", "retrieved " + msgs[1].UID, "removed " + msgs[0].UID, "unlocked "}
	if !slices.Equal(got, want) {
		t.Errorf("mailbox events\n got %q\nwant %q", got, want)
	}
}

func TestNumbersStableAfterDele(t *testing.T) {
	w, msgs := newTestWorld(t, 3)
	s := open(t, w, "alice")
	send(s, "DELE 1")
	for n := 2; n <= 3; n++ {
		m := msgs[n-1]
		arg := strconv.Itoa(n)
		if got := firstLine(send(s, "UIDL "+arg)); got != "+OK "+arg+" "+m.UID {
			t.Errorf("UIDL %d after DELE 1: %q, want uid %s", n, got, m.UID)
		}
		if got := body(t, send(s, "RETR "+arg)); !bytes.Equal(got, m.Raw) {
			t.Errorf("RETR %d after DELE 1 returned another message:\n%s", n, got)
		}
	}
	if got := firstLine(send(s, "RETR 1")); got != "-ERR message 1 already deleted" {
		t.Errorf("RETR 1 after DELE 1: %q", got)
	}
	list := send(s, "LIST")
	want := "2 " + strconv.Itoa(msgs[1].Size()) + "\r\n3 " + strconv.Itoa(msgs[2].Size()) + "\r\n.\r\n"
	if !strings.HasSuffix(list, want) || strings.Contains(list, "\r\n1 ") {
		t.Errorf("LIST after DELE 1:\n%s", list)
	}
}

func TestSizesAreCRLFOctets(t *testing.T) {
	w, msgs := newTestWorld(t, 3)
	s := open(t, w, "alice")
	total := 0
	for i, m := range msgs {
		// Count the octets independently: every line plus its CRLF.
		size := 0
		for _, l := range strings.SplitAfter(string(m.Raw), "\n") {
			if l != "" {
				size += len(strings.TrimRight(l, "\r\n")) + 2
			}
		}
		total += size
		n := strconv.Itoa(i + 1)
		out := send(s, "RETR "+n)
		if got := firstLine(out); got != "+OK "+strconv.Itoa(size)+" octets" {
			t.Errorf("RETR %s: %q, want %d octets", n, got, size)
		}
		if got := body(t, out); len(got) != size {
			t.Errorf("RETR %s sent %d octets once unstuffed, announced %d", n, len(got), size)
		}
		if got := firstLine(send(s, "LIST "+n)); got != "+OK "+n+" "+strconv.Itoa(size) {
			t.Errorf("LIST %s: %q", n, got)
		}
	}
	if got := firstLine(send(s, "STAT")); got != "+OK 3 "+strconv.Itoa(total) {
		t.Errorf("STAT: %q, want %d octets", got, total)
	}
	// Message 2 holds a lone "." line: on the wire it must be "..", and
	// only the last line may be a lone dot.
	out := send(s, "RETR 2")
	if !strings.Contains(out, "\r\n..\r\n") || strings.Count(out, "\r\n.\r\n") != 1 || !strings.HasSuffix(out, "\r\n.\r\n") {
		t.Errorf("RETR 2 is not stuffed properly:\n%s", out)
	}
}

func TestTopHeaderAndLines(t *testing.T) {
	w, msgs := newTestWorld(t, 1)
	s := open(t, w, "alice")
	raw := string(msgs[0].Raw)
	header := raw[:strings.Index(raw, "\r\n\r\n")+4]
	for lines := 0; lines <= 4; lines++ {
		got := string(body(t, send(s, "TOP 1 "+strconv.Itoa(lines))))
		bodyLines := strings.SplitAfter(raw[len(header):], "\r\n")
		want := header + strings.Join(bodyLines[:min(lines, len(bodyLines)-1)], "")
		if got != want {
			t.Errorf("TOP 1 %d:\n got %q\nwant %q", lines, got, want)
		}
	}
}

func TestAuthFailDelay(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{AuthFailDelay: 2 * time.Second})
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	if o := s.Feed([]byte("USER alice\r\nPASS wrong\r\n")); o.Delay != 2*time.Second {
		t.Errorf("wrong PASS: delay %v, want 2s", o.Delay)
	}
	if o := s.Feed([]byte("APOP alice 00000000000000000000000000000000\r\n")); o.Delay != 2*time.Second {
		t.Errorf("wrong APOP: delay %v, want 2s", o.Delay)
	}
	if o := s.Feed([]byte("USER alice\r\nPASS alice\r\n")); o.Delay != 0 {
		t.Errorf("right PASS: delay %v, want none", o.Delay)
	}
}

func TestRefuse(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	s := NewSession(w, sandboxtest.Peer)
	o := s.Refuse()
	if got := string(o.Bytes()); got != "-ERR [SYS/TEMP] too many sessions, try again later\r\n" {
		t.Errorf("Refuse sent %q", got)
	}
	if !o.Close || !s.Closed() {
		t.Error("Refuse must close the session")
	}
	var closed string
	for _, e := range rec.Events() {
		if e.Close != nil {
			closed = e.Close.Reason
		}
	}
	if closed != "full" {
		t.Errorf("close reason %q, want full", closed)
	}
}

func TestQuitAfterReset(t *testing.T) {
	w, _ := newTestWorld(t, 2)
	s := open(t, w, "alice")
	send(s, "DELE 1", "DELE 2")
	w.Reset() // the teacher empties the world during the session
	if got := firstLine(send(s, "QUIT")); got != "-ERR some deleted messages not removed" {
		t.Errorf("QUIT after reset: %q", got)
	}
	if !s.Closed() || !w.Store.Lock("alice") {
		t.Error("QUIT must close the session and unlock the maildrop even when it fails")
	}
}

func TestTimestampUnique(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	a := string(NewSession(w, sandboxtest.Peer).Start().Bytes())
	b := string(NewSession(w, sandboxtest.Peer).Start().Bytes())
	stamp := func(s string) string { return s[strings.LastIndexByte(s, ' ')+1 : len(s)-2] }
	if stamp(a) == stamp(b) {
		t.Errorf("two sessions got the same APOP timestamp %s", stamp(a))
	}
	if want := "<2.1767323045@mail.example.test>"; stamp(b) != want {
		t.Errorf("timestamp %s, want %s", stamp(b), want)
	}
}

func TestDigest(t *testing.T) {
	// The example of RFC 1939 §7.
	if got := digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"); got != "c4c9334bac560ecc979e58001b3e22fb" {
		t.Errorf("digest = %s", got)
	}
}

func TestEcho(t *testing.T) {
	for in, want := range map[string]string{
		"alice":                 "alice",
		"a\x1b[Ab":              `a\x1B[Ab`,
		"\xff\xfe":              `\xFF\xFE`,
		strings.Repeat("é", 30): strings.Repeat(`\xC3\xA9`, 5) + "...", // 40 octets once escaped
	} {
		if got := echo(in); got != want {
			t.Errorf("echo(%q) = %q, want %q", in, got, want)
		}
	}
}

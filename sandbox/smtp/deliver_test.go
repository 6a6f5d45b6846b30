package smtp

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// neighborWorld is a test world whose neighbour world owns 2nde-b.test; its
// own store is a FlakyStore when flaky is set (working until Break).
func neighborWorld(t *testing.T, flaky bool) (w, n *sandbox.World) {
	t.Helper()
	opts := map[string]string{"neighbor": "2nde-b.test"}
	if flaky {
		opts["store"] = "flaky"
	}
	w = sandboxtest.OptionWorld(t, opts)
	return w, w.Neighbor("2nde-b.test")
}

// mailTo is one message from alice to rcpts, after EHLO.
func mailTo(rcpts ...string) []string {
	lines := []string{"MAIL FROM:<alice@example.test>"}
	for _, r := range rcpts {
		lines = append(lines, "RCPT TO:<"+r+">")
	}
	return append(lines, "DATA", "Subject: s", "", "body", ".")
}

// feed sends lines to s and returns the replies they got.
func feed(s *Session, lines ...string) []*sandbox.Reply {
	return sandbox.FeedAll(s, []byte(strings.Join(lines, "\r\n")+"\r\n")).Replies
}

func last(rs []*sandbox.Reply) *sandbox.Reply { return rs[len(rs)-1] }

// kinds counts the events of each kind a recorder saw.
func kinds(rec *sandboxtest.Recorder) map[sandbox.EventKind]int {
	n := map[sandbox.EventKind]int{}
	for _, e := range rec.Events() {
		n[e.Kind]++
	}
	return n
}

// TestStoreUnavailable breaks the store at several points of a delivery:
// the message must be refused with 451, leave no copy in any world, emit
// no acceptance, reset the transaction, and go through once the store
// works again.
func TestStoreUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rcpts  []string
		passes int // copies the store takes before it fails
	}{
		{"at the first copy", []string{"bob@example.test"}, 0},
		{"after a copy", []string{"bob@example.test", "carol@example.test"}, 1},
		{"after a list member", []string{"team@example.test"}, 2},
		// lea's copy goes to the neighbour's store, which works: it must
		// still be taken back when bob's fails in this world's.
		{"after a neighbour's copy", []string{"lea@2nde-b.test", "bob@example.test"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, n := neighborWorld(t, true)
			rec, recN := sandboxtest.Record(w), sandboxtest.Record(n)
			s := NewSession(w, sandboxtest.Peer)
			s.Start()
			feed(s, "EHLO c.test")
			w.Store.(*sandboxtest.FlakyStore).Break(tc.passes)

			r := last(feed(s, mailTo(tc.rcpts...)...))
			if r.Code != 451 || r.Enhanced != "4.3.0" || r.Reason != "smtp.data.store_unavailable" {
				t.Fatalf("got %v (%s), want 451 4.3.0 store_unavailable", r.Lines, r.Reason)
			}
			for name, world := range map[string]*sandbox.World{"this": w, "neighbour": n} {
				if count, _ := world.Store.Usage(); count != 0 {
					t.Errorf("%s world's store keeps %d copies of a refused message", name, count)
				}
			}
			if k := kinds(rec); k[sandbox.EventMessage] != 0 || k[sandbox.EventDelivery] != 0 {
				t.Errorf("refused message emitted %d message and %d delivery events", k[sandbox.EventMessage], k[sandbox.EventDelivery])
			}
			if k := kinds(recN); k[sandbox.EventDelivery] != 0 {
				t.Errorf("the neighbour heard of %d deliveries", k[sandbox.EventDelivery])
			}
			if s.State() != Ready || s.env.From != nil || len(s.env.To) != 0 {
				t.Errorf("after 451: state %s, envelope %+v; want READY and empty", s.State(), s.env)
			}

			w.Store.(*sandboxtest.FlakyStore).Repair()
			r = last(feed(s, mailTo(tc.rcpts...)...))
			if r.Code != 250 || r.Reason != "smtp.data.ok" {
				t.Fatalf("retry got %v, want 250", r.Lines)
			}
			var accepted []string
			for _, e := range rec.Events() {
				if e.Message != nil {
					accepted = append(accepted, e.Message.ID)
				}
			}
			if len(accepted) != 1 || accepted[0] != r.Args["id"] {
				t.Errorf("message events %v, want one for %s", accepted, r.Args["id"])
			}
			if cw, _ := w.Store.Usage(); cw == 0 {
				t.Error("retry stored nothing")
			}
		})
	}
}

// TestStoredBefore250 checks the order: when the 250 goes out, every copy
// is already in its mailbox.
func TestStoredBefore250(t *testing.T) {
	w, n := neighborWorld(t, false)
	var at250 []int
	w.Subscribe(func(e sandbox.Event) {
		if e.Reply != nil && e.Reply.Reason == "smtp.data.ok" {
			at250 = []int{len(w.Store.Messages("bob")), len(n.Store.Messages("lea"))}
		}
	})
	converse(t, w, append([]string{"EHLO c.test"}, mailTo("bob@example.test", "lea@2nde-b.test")...)...)
	if len(at250) != 2 || at250[0] != 1 || at250[1] != 1 {
		t.Errorf("copies of bob and lea when 250 was sent: %v, want [1 1]", at250)
	}
}

// TestNeighborDelivery follows a message to a user of a neighbour world:
// its copy is in that world's store only, traced by that world's host, and
// both worlds hear of the delivery.
func TestNeighborDelivery(t *testing.T) {
	w, n := neighborWorld(t, false)
	rec, recN := sandboxtest.Record(w), sandboxtest.Record(n)
	out := converse(t, w, append([]string{"EHLO c.test"}, mailTo("lea@2nde-b.test", "alice@example.test", "full@2nde-b.test")...)...)
	if !strings.Contains(out, "250 2.0.0 Ok: queued as 12A36E8003D4") {
		t.Fatalf("not accepted:\n%s", out)
	}
	msgs := n.Store.Messages("lea")
	if len(msgs) != 1 {
		t.Fatalf("lea has %d messages in her world", len(msgs))
	}
	if trace := string(msgs[0].Raw[:msgs[0].Trace]); !strings.Contains(trace, "\tby mail.2nde-b.test (smtplab) with ESMTP id 12A36E8003D4\r\n\tfor <lea@2nde-b.test>;") {
		t.Errorf("lea's trace:\n%s", trace)
	}
	// This world keeps alice's copy and the bounce from the neighbour's
	// full mailbox, which comes home to alice; nothing of lea's.
	a := w.Store.Messages("alice")
	if count, _ := w.Store.Usage(); count != 2 || len(a) != 2 {
		t.Fatalf("this world's store holds %d messages, want alice's copy and her bounce", count)
	}
	if !strings.Contains(string(a[0].Raw), "\tby mail.example.test ") || *a[1].Envelope.From != "" {
		t.Errorf("alice's copy:\n%s\nher bounce from <%s>", a[0].Raw, *a[1].Envelope.From)
	}

	var here, there []string
	for _, e := range rec.Events() {
		if d := e.Delivery; d != nil {
			here = append(here, d.Recipient+"→"+d.Mailbox+":"+d.Status)
		}
	}
	for _, e := range recN.Events() {
		if e.Kind != sandbox.EventDelivery || e.Session != "" {
			t.Errorf("the neighbour got a %s event from session %q", e.Kind, e.Session)
			continue
		}
		there = append(there, e.Delivery.Recipient+"→"+e.Delivery.Mailbox+":"+e.Delivery.Status)
	}
	wantHere := "lea@2nde-b.test→lea:delivered alice@example.test→alice:delivered " +
		"full@2nde-b.test→full:bounced alice@example.test→alice:delivered"
	if strings.Join(here, " ") != wantHere {
		t.Errorf("session's deliveries:\n%s\nwant\n%s", strings.Join(here, " "), wantHere)
	}
	if want := "lea@2nde-b.test→lea:delivered full@2nde-b.test→full:bounced"; strings.Join(there, " ") != want {
		t.Errorf("neighbour's deliveries: %s, want %s", strings.Join(there, " "), want)
	}
}

// TestRecipientDomains compares a world with a neighbour and one without:
// only a domain some world owns is local; without a directory, nothing
// changes.
func TestRecipientDomains(t *testing.T) {
	for _, tc := range []struct {
		neighbor bool
		rcpt     string
		code     int
		reason   string
	}{
		{true, "lea@2nde-b.test", 250, "smtp.rcpt.ok.neighbor"},
		{true, "LEA@2NDE-B.TEST", 250, "smtp.rcpt.ok.neighbor"},
		{true, "classe@2nde-b.test", 250, "smtp.rcpt.ok.list"},
		{true, "prof@2nde-b.test", 250, "smtp.rcpt.ok.alias"},
		{true, "alice@2nde-b.test", 550, "smtp.rcpt.unknown"},
		{true, "lea@elsewhere.test", 554, "smtp.rcpt.relay"},
		{true, "alice@example.test", 250, "smtp.rcpt.ok"},
		{false, "lea@2nde-b.test", 554, "smtp.rcpt.relay"},
		{false, "alice@example.test", 250, "smtp.rcpt.ok"},
	} {
		opts := map[string]string{}
		if tc.neighbor {
			opts["neighbor"] = "2nde-b.test"
		}
		w := sandboxtest.OptionWorld(t, opts)
		s := NewSession(w, sandboxtest.Peer)
		s.Start()
		r := last(feed(s, "EHLO c.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<"+tc.rcpt+">"))
		if r.Code != tc.code || r.Reason != tc.reason {
			t.Errorf("neighbor=%v RCPT %s: %d %s, want %d %s", tc.neighbor, tc.rcpt, r.Code, r.Reason, tc.code, tc.reason)
		}
	}
	w, _ := neighborWorld(t, false)
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	if r := last(feed(s, "EHLO c.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<prof@2nde-b.test>")); r.Args["target"] != "hugo@2nde-b.test" {
		t.Errorf("the neighbour's alias points to %q, want hugo@2nde-b.test", r.Args["target"])
	}
}

// TestWithoutBcc checks that every field a reader would show as a blind
// copy leaves the copies, and comes back in Bcc as it was written.
func TestWithoutBcc(t *testing.T) {
	tests := []struct {
		name, header string
		kept, bcc    string // header lines that stay; what comes back apart
	}{
		{"plain", "Bcc: carol@example.test\r\n", "", "Bcc: carol@example.test"},
		{"any case", "bCC: carol@example.test\r\n", "", "bCC: carol@example.test"},
		{"no space after the colon", "Bcc:carol@example.test\r\n", "", "Bcc:carol@example.test"},
		{"space before the colon", "Bcc : carol@example.test\r\n", "", "Bcc : carol@example.test"},
		{"tab before the colon", "Bcc\t: carol@example.test\r\n", "", "Bcc\t: carol@example.test"},
		{"folded", "Bcc: carol@example.test,\r\n dan@example.test,\r\n\teve@example.test\r\n", "",
			"Bcc: carol@example.test,\r\n dan@example.test,\r\n\teve@example.test"},
		{"two fields", "Bcc: carol@example.test\r\nSubject: s\r\nBCC : dan@example.test\r\n", "Subject: s\r\n",
			"Bcc: carol@example.test\r\nBCC : dan@example.test"},
		{"resent", "Resent-Bcc: carol@example.test\r\nRESENT-BCC\t: dan@example.test\r\n", "",
			"Resent-Bcc: carol@example.test\r\nRESENT-BCC\t: dan@example.test"},
		{"after a bad line", "X-Bad: \x1b[31m\x00\r\nBcc: carol@example.test\r\n", "X-Bad: \x1b[31m\x00\r\n",
			"Bcc: carol@example.test"},
		{"bad itself", "Bcc: carol@example.test\x1b\r\n", "", "Bcc: carol@example.test\x1b"},
		{"empty", "Bcc:\r\n", "", "Bcc:"},
		{"other names", "X-Bcc: a\r\nBccx: b\r\n", "X-Bcc: a\r\nBccx: b\r\n", ""},
	}
	const to = "To: bob@example.test\r\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, bcc := withoutBcc([]byte(to + tt.header + "\r\nbody\r\n"))
			if want := to + tt.kept + "\r\nbody\r\n"; string(body) != want {
				t.Errorf("copy:\n%q\nwant\n%q", body, want)
			}
			if bcc != tt.bcc {
				t.Errorf("removed %q, want %q", bcc, tt.bcc)
			}
		})
	}
	// A last header line without CRLF is still a field; "Bcc:" in the body
	// is text.
	for in, want := range map[string]string{
		"To: a\r\nBcc: b":         "To: a\r\n",
		"To: a\r\n\r\nBcc: c\r\n": "To: a\r\n\r\nBcc: c\r\n",
	} {
		if body, _ := withoutBcc([]byte(in)); string(body) != want {
			t.Errorf("withoutBcc(%q) = %q, want %q", in, body, want)
		}
	}
}

// TestBlindCopiesNeverDelivered sends a message whose header hides its
// recipients in every way a reader understands: no copy shows them, each
// copy keeps them apart, and the analysis saw each of them as a Bcc.
func TestBlindCopiesNeverDelivered(t *testing.T) {
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	out := converse(t, w,
		"EHLO client.example.test",
		"MAIL FROM:<alice@example.test>",
		"RCPT TO:<bob@example.test>",
		"RCPT TO:<carol@example.test>",
		"DATA",
		"From: Alice <alice@example.test>",
		"To: bob@example.test",
		"Bcc : carol@example.test,",
		" dan@example.test",
		"X-Junk: \x1b[0m",
		"bcc: eve@example.test",
		"Resent-Bcc: team@example.test",
		"Subject: hi",
		"",
		"body",
		".",
	)
	if !strings.Contains(out, "250 2.0.0 Ok: queued as") {
		t.Fatalf("message not accepted:\n%s", out)
	}
	for _, box := range []string{"bob", "carol"} {
		m := w.Store.Messages(box)[0]
		kept := string(m.Raw[m.Trace:])
		if want := "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nX-Junk: \x1b[0m\r\nSubject: hi\r\n\r\nbody\r\n"; kept != want {
			t.Errorf("%s's copy:\n%q\nwant\n%q", box, kept, want)
		}
		if want := "Bcc : carol@example.test,\r\n dan@example.test\r\nbcc: eve@example.test\r\nResent-Bcc: team@example.test"; m.Bcc != want {
			t.Errorf("%s's removed Bcc = %q, want %q", box, m.Bcc, want)
		}
		if m.Subject != "hi" {
			t.Errorf("%s's subject = %q", box, m.Subject)
		}
	}
	for _, e := range rec.Events() {
		if e.Message == nil {
			continue
		}
		a := e.Message.Analysis
		if want := []string{"carol@example.test", "dan@example.test", "eve@example.test", "team@example.test"}; strings.Join(a.Bcc, " ") != strings.Join(want, " ") {
			t.Errorf("analysis Bcc = %v, want %v", a.Bcc, want)
		}
		for _, v := range a.Verdicts {
			if v.Address == "carol@example.test" && v.Verdict+"/"+v.Field != sandbox.DeliveredHidden+"/Bcc" {
				t.Errorf("carol: %+v", v)
			}
		}
	}
}

// TestCopyBeforeText: the first copy of a message is made in the room left
// before its text, the others apart; every copy reads the trace then the
// text, and the input events, which point into the text, still read what
// the client sent. A text that grew out of its first memory, or that fills
// little of it (a SIZE far above what came), is copied.
func TestCopyBeforeText(t *testing.T) {
	body := "Subject: s\r\n\r\n" + strings.Repeat("line of text\r\n", 60) // fills most of minMessageRoom
	for _, tc := range []struct {
		name, mail string
		rcpts      []string
		copies     int
	}{
		{"one mailbox", "MAIL FROM:<alice@example.test>", []string{"bob@example.test"}, 1},
		{"a list", "MAIL FROM:<alice@example.test>", []string{"team@example.test"}, 3},
		{"a big SIZE", "MAIL FROM:<alice@example.test> SIZE=900000", []string{"bob@example.test"}, 1},
		{"a text bigger than its room", "MAIL FROM:<alice@example.test>", []string{"bob@example.test"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := sandboxtest.NewWorld(sandbox.Limits{})
			rec := sandboxtest.Record(w)
			s := NewSession(w, sandboxtest.Peer)
			s.Start()
			lines := append([]string{"EHLO client.example.test", tc.mail}, rcptLines(tc.rcpts)...)
			text := body
			if tc.name == "a text bigger than its room" {
				text += strings.Repeat("more text\r\n", 40)
			}
			lines = append(lines, "DATA", strings.TrimSuffix(text, "\r\n"), ".")
			if r := last(feed(s, lines...)); r.Code != 250 {
				t.Fatalf("message refused: %v", r.Lines)
			}
			copies := 0
			for _, box := range []string{"alice", "bob", "carol"} {
				for _, m := range w.Store.Messages(box) {
					copies++
					trace := "Return-Path: <alice@example.test>\r\n" +
						"Received: from client.example.test ([192.0.2.1])\r\n" +
						"\tby mail.example.test (smtplab) with ESMTP id 12A36E8003D4\r\n" +
						"\tfor <" + m.Envelope.To[0] + ">; Fri, 02 Jan 2026 03:04:05 +0000\r\n"
					if tc.name == "a list" {
						trace = strings.Replace(trace, m.Envelope.To[0], "team@example.test", 1)
					}
					if string(m.Raw) != trace+text || m.Trace != len(trace) {
						t.Errorf("%s's copy:\n%q\nwant\n%q", box, m.Raw, trace+text)
					}
				}
			}
			if copies != tc.copies {
				t.Errorf("%d copies, want %d", copies, tc.copies)
			}
			var typed []string
			for _, e := range rec.Events() {
				if e.Input != nil && e.Input.Data {
					typed = append(typed, e.Input.Text)
				}
			}
			if got := strings.Join(typed, "\r\n"); got != strings.TrimSuffix(text, "\r\n")+"\r\n." {
				t.Errorf("input events after delivery:\n%q", got)
			}
		})
	}
}

func rcptLines(rcpts []string) []string {
	var out []string
	for _, r := range rcpts {
		out = append(out, "RCPT TO:<"+r+">")
	}
	return out
}

// TestMessageRoom: the room before a text is offered only while the text
// is in its first memory and fills most of it.
func TestMessageRoom(t *testing.T) {
	m := newMessage(100)
	if head, _ := m.room(); head != nil {
		t.Error("room offered before any text")
	}
	m.text = append(m.text, strings.Repeat("x", minMessageRoom)...)
	head, text := m.room()
	if len(head) != traceRoom || len(text) != minMessageRoom || &head[:traceRoom+1][traceRoom] != &text[0] {
		t.Fatalf("full first memory: head %d octets, text %d", len(head), len(text))
	}
	m.text = append(m.text, 'y') // out of its first memory
	if head, text := m.room(); head != nil || len(text) != minMessageRoom+1 {
		t.Errorf("grown text: head %d octets", len(head))
	}
	big := newMessage(maxMessageRoom)
	big.text = append(big.text, "a short text"...)
	if head, _ := big.room(); head != nil {
		t.Error("room offered for a text that fills little of its memory")
	}
}

// stubRelay stands for a world's queue runner: it counts the wake-ups.
type stubRelay struct{ queued int }

func (r *stubRelay) Queued() { r.queued++ }
func (r *stubRelay) Close()  {}

// relayWorld is a test world with a relay and the neighbour 2nde-b.test.
func relayWorld(t *testing.T) (*sandbox.World, *stubRelay) {
	t.Helper()
	w := sandboxtest.OptionWorld(t, map[string]string{"neighbor": "2nde-b.test"})
	r := &stubRelay{}
	w.SetRelay(r)
	return w, r
}

// plainAuth is AUTH PLAIN for a default user, whose password is its name.
func plainAuth(user string) string {
	return "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+user))
}

// TestRelayRules: a domain no world keeps is relayed only for a logged-in
// user or another server of the sandbox, and only by a world with a relay;
// the domains of neighbour worlds are still delivered to directly.
func TestRelayRules(t *testing.T) {
	for _, tc := range []struct {
		name      string
		relay     bool
		transport string
		auth      bool
		rcpt      string
		code      int
		reason    string
	}{
		{"a stranger", true, "test", false, "zoe@elsewhere.test", 554, "smtp.rcpt.relay"},
		{"a logged-in user", true, "test", true, "zoe@elsewhere.test", 250, "smtp.rcpt.ok.relay"},
		{"a server of the sandbox", true, sandbox.TransportRelay, false, "zoe@elsewhere.test", 250, "smtp.rcpt.ok.relay.mta"},
		{"no relay, logged in", false, "test", true, "zoe@elsewhere.test", 554, "smtp.rcpt.relay.auth"},
		{"no relay, a server", false, sandbox.TransportRelay, false, "zoe@elsewhere.test", 554, "smtp.rcpt.relay"},
		{"a neighbour's user", true, "test", false, "lea@2nde-b.test", 250, "smtp.rcpt.ok.neighbor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := sandboxtest.OptionWorld(t, map[string]string{"neighbor": "2nde-b.test"})
			if tc.relay {
				w.SetRelay(&stubRelay{})
			}
			peer := sandboxtest.Peer
			peer.Transport = tc.transport
			s := NewSession(w, peer)
			s.Start()
			lines := []string{"EHLO c.test"}
			if tc.auth {
				lines = append(lines, plainAuth("alice"))
			}
			r := last(feed(s, append(lines, "MAIL FROM:<alice@example.test>", "RCPT TO:<"+tc.rcpt+">")...))
			if r.Code != tc.code || r.Reason != tc.reason {
				t.Errorf("RCPT %s: %v (%s), want %d %s", tc.rcpt, r.Lines, r.Reason, tc.code, tc.reason)
			}
		})
	}
}

// TestQueuedBefore250: the copy for another server is in the queue when
// the 250 goes out, under this server's Received line, without its Bcc;
// the relay is woken and the watchers told.
func TestQueuedBefore250(t *testing.T) {
	w, rl := relayWorld(t)
	rec := sandboxtest.Record(w)
	var at250 int
	w.Subscribe(func(e sandbox.Event) {
		if e.Reply != nil && e.Reply.Reason == "smtp.data.ok" {
			at250 = len(w.Store.Queue())
		}
	})
	out := converse(t, w, "EHLO c.test", plainAuth("alice"), "MAIL FROM:<alice@example.test> BODY=8BITMIME",
		"RCPT TO:<zoe@elsewhere.test>", "RCPT TO:<bob@example.test>", "RCPT TO:<yan@far.test>", "DATA",
		"To: zoe@elsewhere.test", "Bcc: yan@far.test", "Subject: s", "", "body", ".")
	if !strings.Contains(out, "250 2.0.0 Ok: queued as 12A36E8003D4") {
		t.Fatalf("not accepted:\n%s", out)
	}
	if at250 != 1 || rl.queued != 1 {
		t.Fatalf("queue when 250 was sent: %d entries; relay woken %d times", at250, rl.queued)
	}
	q := w.Store.Queue()[0]
	if q.ID != "12A36E8003D4" || q.From != "alice@example.test" || q.Body != "8BITMIME" || len(q.Rcpts) != 2 ||
		q.Rcpts[0].Addr != "zoe@elsewhere.test" || q.Rcpts[1].Addr != "yan@far.test" || !q.NextTry.Equal(sandboxtest.Clock) {
		t.Errorf("queue entry: %+v", q)
	}
	want := "Received: from c.test ([192.0.2.1])\r\n\tby mail.example.test (smtplab) with ESMTPA id 12A36E8003D4; " +
		"Fri, 02 Jan 2026 03:04:05 +0000\r\nTo: zoe@elsewhere.test\r\nSubject: s\r\n\r\nbody\r\n"
	if string(q.Raw) != want {
		t.Errorf("queued text:\n%q\nwant\n%q", q.Raw, want)
	}
	if len(w.Store.Messages("bob")) != 1 {
		t.Error("bob's local copy is missing")
	}
	var events []string
	for _, e := range rec.Events() {
		if e.Queue != nil {
			if e.Session == "" {
				t.Error("a queue event of the session names no session")
			}
			events = append(events, e.Queue.Action+" "+e.Queue.Recipient+" "+e.Queue.Args["domain"])
		}
	}
	if got := strings.Join(events, "; "); got != "queued zoe@elsewhere.test elsewhere.test; queued yan@far.test far.test" {
		t.Errorf("queue events: %s", got)
	}
}

// queueStore is a store whose queue refuses every entry with err.
type queueStore struct {
	sandbox.Store
	err error
}

func (s queueStore) Enqueue(*sandbox.Queued, int64) error { return s.err }

// TestQueueRefuses: a queue that cannot take the message means no 250: a
// queue that is full gets 452, a store that cannot write 451, and the
// local copies already written are taken back.
func TestQueueRefuses(t *testing.T) {
	for _, tc := range []struct {
		err      error
		code     int
		enhanced string
	}{
		{sandbox.ErrStoreFull, 452, "4.3.1"},
		{fmt.Errorf("disk: %w", sandbox.ErrStoreUnavailable), 451, "4.3.0"},
	} {
		w := sandboxtest.NewWorld(sandbox.Limits{})
		w.Store = queueStore{w.Store, tc.err}
		w.SetRelay(&stubRelay{})
		s := NewSession(w, sandboxtest.Peer)
		s.Start()
		r := last(feed(s, "EHLO c.test", plainAuth("alice"), "MAIL FROM:<alice@example.test>",
			"RCPT TO:<bob@example.test>", "RCPT TO:<zoe@elsewhere.test>", "DATA", "Subject: s", "", "b", "."))
		if r.Code != tc.code || r.Enhanced != tc.enhanced {
			t.Errorf("%v: %v", tc.err, r.Lines)
		}
		if n, _ := w.Store.Usage(); n != 0 {
			t.Errorf("%v: %d local copies kept of a refused message", tc.err, n)
		}
	}
	// The world's MaxQueue bounds the queue.
	w := sandboxtest.NewWorld(sandbox.Limits{MaxQueue: 50})
	w.SetRelay(&stubRelay{})
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	if r := last(feed(s, "EHLO c.test", plainAuth("alice"), "MAIL FROM:<alice@example.test>",
		"RCPT TO:<zoe@elsewhere.test>", "DATA", "Subject: s", "", "b", ".")); r.Code != 452 {
		t.Errorf("past MaxQueue: %v", r.Lines)
	}
}

// TestReceivedWith: the Received line names the protocol as RFC 3848 does.
func TestReceivedWith(t *testing.T) {
	tls := sandboxtest.TestTLS
	for _, tc := range []struct {
		name  string
		peer  sandbox.Peer
		lines []string
		with  string
	}{
		{"HELO", sandboxtest.Peer, []string{"HELO c.test"}, "SMTP"},
		{"EHLO", sandboxtest.Peer, []string{"EHLO c.test"}, "ESMTP"},
		{"EHLO and AUTH in clear", sandboxtest.Peer, []string{"EHLO c.test", plainAuth("alice")}, "ESMTPA"},
		{"implicit TLS", sandbox.Peer{Remote: "192.0.2.1:1", TLS: &tls}, []string{"EHLO c.test"}, "ESMTPS"},
		{"TLS and AUTH", sandbox.Peer{Remote: "192.0.2.1:1", TLS: &tls, Service: sandbox.Submission},
			[]string{"EHLO c.test", plainAuth("alice")}, "ESMTPSA"},
		{"HELO under TLS", sandbox.Peer{Remote: "192.0.2.1:1", TLS: &tls}, []string{"HELO c.test"}, "SMTP"},
	} {
		w := sandboxtest.NewWorld(sandbox.Limits{})
		s := NewSession(w, tc.peer)
		s.Start()
		if r := last(feed(s, append(tc.lines, mailTo("bob@example.test")...)...)); r.Code != 250 {
			t.Fatalf("%s: %v", tc.name, r.Lines)
		}
		m := w.Store.Messages("bob")[0]
		if want := "(smtplab) with " + tc.with + " id "; !strings.Contains(string(m.Raw[:m.Trace]), want) {
			t.Errorf("%s: trace\n%s\nlacks %q", tc.name, m.Raw[:m.Trace], want)
		}
	}
	// After STARTTLS, the EHLO said under TLS counts.
	w := sandboxtest.NewWorld(sandbox.Limits{})
	s := NewSession(w, sandbox.Peer{Remote: "192.0.2.1:1", CanStartTLS: true})
	s.Start()
	feed(s, "EHLO c.test", "STARTTLS")
	s.Secured(sandboxtest.TestTLS)
	feed(s, append([]string{"EHLO c.test"}, mailTo("bob@example.test")...)...)
	if m := w.Store.Messages("bob")[0]; !strings.Contains(string(m.Raw[:m.Trace]), "with ESMTPS id") {
		t.Errorf("after STARTTLS:\n%s", m.Raw[:m.Trace])
	}
}

// TestLoopDetection: a message with more than MaxReceived Received lines
// is refused (554 5.4.6, RFC 5321 §6.3), takes no queue id and leaves
// nothing; one with MaxReceived goes through.
func TestLoopDetection(t *testing.T) {
	hops := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("Received: from h%d.test by h%d.test; Fri, 02 Jan 2026 03:04:05 +0000", i, i+1))
		}
		return out
	}
	w := sandboxtest.NewWorld(sandbox.Limits{})
	rec := sandboxtest.Record(w)
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	msg := func(received int) []string {
		return append(append([]string{"MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA"},
			hops(received)...), "Subject: s", "", "b", ".")
	}
	r := last(feed(s, append([]string{"EHLO c.test"}, msg(sandbox.MaxReceived+1)...)...))
	if r.Code != 554 || r.Enhanced != "5.4.6" || r.Reason != "smtp.data.loop" || r.Args["count"] != "101" || r.Args["limit"] != "100" {
		t.Fatalf("101 hops: %v (%s)", r.Lines, r.Reason)
	}
	if n, _ := w.Store.Usage(); n != 0 || kinds(rec)[sandbox.EventMessage] != 0 || s.State() != Ready {
		t.Errorf("a refused loop left %d copies, %d message events, state %s", n, kinds(rec)[sandbox.EventMessage], s.State())
	}
	r = last(feed(s, msg(sandbox.MaxReceived)...))
	if r.Code != 250 || r.Args["id"] != "12A36E8003D4" {
		t.Errorf("100 hops: %v", r.Lines)
	}
}

// TestFullMailboxReport: full@ still accepts, then bounces, and the sender
// now gets a delivery status notification (RFC 3464) from <>; a foreign
// sender's goes through the queue when the world has a relay; <> gets none.
func TestFullMailboxReport(t *testing.T) {
	w, rl := relayWorld(t)
	rec := sandboxtest.Record(w)
	out := converse(t, w, append([]string{"EHLO c.test"}, mailTo("full@example.test")...)...)
	if !strings.Contains(out, "250 2.1.5 Recipient <full@example.test> OK") || !strings.Contains(out, "250 2.0.0 Ok: queued as 12A36E8003D4") {
		t.Fatalf("full@ refused:\n%s", out)
	}
	rs := w.Store.Messages("alice")
	if len(rs) != 1 {
		t.Fatalf("alice has %d messages, want the report", len(rs))
	}
	text := string(rs[0].Raw)
	for _, want := range []string{
		"Return-Path: <>\r\n", "Content-Type: multipart/report; report-type=delivery-status;",
		"<full@example.test>: mailbox full (quota exceeded)",
		"Reporting-MTA: dns; mail.example.test\r\n", "X-Smtplab-Queue-ID: 12A36E8003D4\r\n",
		"Final-Recipient: rfc822; full@example.test\r\nAction: failed\r\nStatus: 5.2.2\r\n",
		"Content-Type: text/rfc822-headers\r\n", "\tby mail.example.test (smtplab) with ESMTP id 12A36E8003D4\r\n\tfor <full@example.test>;",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text[strings.Index(text, "text/rfc822-headers"):], "Return-Path: <alice") {
		t.Error("the returned headers hold the Return-Path, which only final delivery writes")
	}

	// A sender on another server: the report waits in the queue for it.
	feed2 := func(from string) {
		s := NewSession(w, sandboxtest.Peer)
		s.Start()
		feed(s, "EHLO c.test", "MAIL FROM:<"+from+">", "RCPT TO:<full@example.test>", "DATA", "Subject: s", "", "b", ".")
	}
	feed2("x@elsewhere.test")
	q := w.Store.Queue()
	if len(q) != 1 || q[0].From != "" || q[0].Rcpts[0].Addr != "x@elsewhere.test" || rl.queued != 1 {
		t.Errorf("the report for a foreign sender: queue %+v, relay woken %d times", q, rl.queued)
	}
	// The null sender: no report at all.
	feed2("")
	if len(w.Store.Queue()) != 1 || len(w.Store.Messages("alice")) != 1 {
		t.Error("a report was made for a message from <>")
	}
	var got []string
	for _, e := range rec.Events() {
		switch {
		case e.Delivery != nil:
			got = append(got, e.Delivery.Recipient+":"+e.Delivery.Status+":"+e.Delivery.Args["why"])
		case e.Queue != nil:
			got = append(got, e.Queue.Recipient+":"+e.Queue.Action+":"+e.Queue.Reason)
		}
	}
	want := "full@example.test:bounced: alice@example.test:delivered: " +
		"full@example.test:bounced: x@elsewhere.test:queued:queue.queued.report " +
		"full@example.test:dropped:null_sender"
	if strings.Join(got, " ") != want {
		t.Errorf("events:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

package smtp

import (
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

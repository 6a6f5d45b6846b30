package pop3

import (
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// TestNeighborMaildrop logs into a neighbour world's mailbox: the lock and
// the messages are that world's; the session's events stay in its own, and
// the neighbour hears what became of its mailbox.
func TestNeighborMaildrop(t *testing.T) {
	w := sandboxtest.OptionWorld(t, map[string]string{"neighbor": "2nde-b.test", "mail": "lea@2nde-b.test 2"})
	n := w.Neighbor("2nde-b.test")
	rec, recN := sandboxtest.Record(w), sandboxtest.Record(n)
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	send(s, "USER lea@2nde-b.test")
	if got := firstLine(send(s, "PASS plume")); got != "+OK lea@2nde-b.test's maildrop has 2 messages (346 octets)" {
		t.Fatalf("login: %q", got)
	}
	if n.Store.Lock("lea") {
		t.Error("the neighbour's lock on lea is free during the session")
	}
	if !w.Store.Lock("lea") {
		t.Error("the session locked lea in its own world's store")
	}
	w.Store.Unlock("lea")
	send(s, "DELE 1", "QUIT")
	if !n.Store.Lock("lea") {
		t.Error("lea's lock is still held after QUIT")
	}
	if got := len(n.Store.Messages("lea")); got != 1 {
		t.Errorf("lea has %d messages after DELE 1 and QUIT, want 1", got)
	}
	if got := strings.Join(mailboxActions(rec), " "); got != "locked removed unlocked" {
		t.Errorf("session's mailbox events: %s, want locked removed unlocked", got)
	}
	// The neighbour's pages hear of their mailbox too, with no session id
	// (ids mean something only in the world that numbered them).
	if got := strings.Join(mailboxActions(recN), " "); got != "locked removed unlocked" {
		t.Errorf("neighbour's mailbox events: %s, want locked removed unlocked", got)
	}
	for _, e := range recN.Events() {
		if e.Kind != sandbox.EventMailbox || e.Session != "" {
			t.Errorf("the neighbour world got a %s event of session %q", e.Kind, e.Session)
		}
	}
}

// TestLoginDomains: only a domain a neighbour world owns selects that world;
// a world without a directory answers as it always did.
func TestLoginDomains(t *testing.T) {
	for _, tc := range []struct {
		neighbor   bool
		user, pass string
		ok         bool
	}{
		{true, "lea@2nde-b.test", "plume", true},
		{true, "lea@2NDE-B.test", "plume", true},
		{true, "lea@2nde-b.test", "lea", false},
		{true, "lea", "plume", false},
		{true, "alice@2nde-b.test", "alice", false},
		{true, "lea@elsewhere.test", "plume", false},
		{true, "alice", "alice", true},
		{false, "lea@2nde-b.test", "plume", false},
		{false, "alice", "alice", true},
	} {
		opts := map[string]string{}
		if tc.neighbor {
			opts["neighbor"] = "2nde-b.test"
		}
		w := sandboxtest.OptionWorld(t, opts)
		s := NewSession(w, sandboxtest.Peer)
		s.Start()
		out := send(s, "USER "+tc.user, "PASS "+tc.pass)
		if got := strings.Contains(out, "maildrop has"); got != tc.ok {
			t.Errorf("neighbor=%v USER %s PASS %s: logged in %v, want %v\n%s", tc.neighbor, tc.user, tc.pass, got, tc.ok, out)
		}
	}
}

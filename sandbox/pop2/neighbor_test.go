package pop2

import (
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/sandboxtest"
)

// TestNeighborHearsOfItsMailbox: a POP2 session on a class's mailbox tells
// the class's world what became of it, without a session id.
func TestNeighborHearsOfItsMailbox(t *testing.T) {
	w := sandboxtest.OptionWorld(t, map[string]string{"neighbor": "2nde-b.test", "mail": "lea@2nde-b.test 1"})
	n := w.Neighbor("2nde-b.test")
	recN := sandboxtest.Record(n)
	s := NewSession(w, sandboxtest.Peer)
	s.Start()
	sandbox.FeedAll(s, []byte("HELO lea@2nde-b.test plume\r\nQUIT\r\n"))
	var actions []string
	for _, ev := range recN.Events() {
		if ev.Mailbox != nil && ev.Session == "" {
			actions = append(actions, ev.Mailbox.Action)
		}
	}
	if len(actions) < 2 || actions[0] != "locked" || actions[len(actions)-1] != "unlocked" {
		t.Errorf("the class's world heard %v", actions)
	}
}

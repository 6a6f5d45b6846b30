package server

import (
	"strings"
	"time"

	"smtplab/sandbox"
)

// mailboxesMsg is every mailbox of a world, without message texts.
type mailboxesMsg struct {
	T     string    `json:"t"` // "mailboxes"
	Boxes []boxView `json:"boxes"`
}

type boxView struct {
	User     string    `json:"user"`
	Name     string    `json:"name"`
	Address  string    `json:"address"`
	Messages []msgView `json:"messages"`
}

type msgView struct {
	UID     string    `json:"uid"`
	ID      string    `json:"id"`
	Subject string    `json:"subject"`
	From    string    `json:"from"`
	Size    int       `json:"size"`
	Arrived time.Time `json:"arrived"`
	Hidden  bool      `json:"bcc"` // a Bcc header was removed from this copy
}

// mailboxSnapshot lists the practice world's mailboxes and, for a student,
// their own mailbox in the class world — never a classmate's. The class
// box's user is the full address, which is also how the page asks for it.
func mailboxSnapshot(w *sandbox.World, sc *studentClass) mailboxesMsg {
	m := mailboxesMsg{T: "mailboxes", Boxes: []boxView{}}
	if sc != nil {
		cw := sc.room.World
		if e, ok := cw.Lookup(sc.local); ok {
			b := box(cw, e, cw.Address(e.Local))
			for i := range b.Messages {
				b.Messages[i].Hidden = false // a real recipient is not told of a Bcc
			}
			m.Boxes = append(m.Boxes, b)
		}
	}
	for _, u := range w.Users() {
		m.Boxes = append(m.Boxes, box(w, u, u.Local))
	}
	return m
}

func box(w *sandbox.World, u sandbox.Entry, name string) boxView {
	b := boxView{User: name, Name: u.FullName, Address: w.Address(u.Local), Messages: []msgView{}}
	for _, msg := range w.Store.Messages(u.Local) {
		b.Messages = append(b.Messages, msgView{
			UID: msg.UID, ID: msg.ID, Subject: msg.Subject, From: msg.From,
			Size: msg.Size(), Arrived: msg.Arrived, Hidden: msg.Bcc != "",
		})
	}
	return b
}

// boxOf finds the world and mailbox a page names: a bare user is the
// practice world's; an address is the class world's, and only the
// student's own.
func (c *wsConn) boxOf(name string) (*sandbox.World, string, bool) {
	local, domain, isAddress := strings.Cut(name, "@")
	if !isAddress {
		return c.visitor.world, name, true
	}
	sc := c.visitor.studentOf()
	if sc == nil || !strings.EqualFold(domain, sc.room.World.Domain) || !strings.EqualFold(local, sc.local) {
		return nil, "", false
	}
	return sc.room.World, sc.local, true
}

// rawMsg is one message's full text, with what the server added marked.
type rawMsg struct {
	T       string `json:"t"` // "raw"
	Mailbox string `json:"mailbox"`
	UID     string `json:"uid"`
	Raw     string `json:"raw"`
	Trace   int    `json:"trace"` // octets at the start of Raw added by the server
	Bcc     string `json:"bcc,omitempty"`
	// Path is the message's Received trace read as the way it came, the
	// oldest hop first: the page draws it.
	Path []sandbox.ReceivedHop `json:"path,omitempty"`
}

func (c *wsConn) sendRaw(mailbox, uid string) {
	w, local, ok := c.boxOf(mailbox)
	if !ok {
		c.fail("no_message")
		return
	}
	for _, m := range w.Store.Messages(local) {
		if m.UID == uid {
			msg := rawMsg{T: "raw", Mailbox: mailbox, UID: uid, Raw: string(m.Raw), Trace: m.Trace, Bcc: m.Bcc,
				Path: sandbox.ParseReceived(m.Raw)}
			if w != c.visitor.world {
				// In the class world the reader is a real person: the Bcc
				// line the server removed is what they must not see.
				msg.Bcc = ""
			}
			c.sendJSON(msg)
			return
		}
	}
	c.fail("no_message")
}

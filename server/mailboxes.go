package server

import (
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

func mailboxSnapshot(w *sandbox.World) mailboxesMsg {
	m := mailboxesMsg{T: "mailboxes", Boxes: []boxView{}}
	for _, u := range w.Users() {
		b := boxView{User: u.Local, Name: u.FullName, Address: w.Address(u.Local), Messages: []msgView{}}
		for _, msg := range w.Store.Messages(u.Local) {
			b.Messages = append(b.Messages, msgView{
				UID: msg.UID, ID: msg.ID, Subject: msg.Subject, From: msg.From,
				Size: msg.Size(), Arrived: msg.Arrived, Hidden: msg.Bcc != "",
			})
		}
		m.Boxes = append(m.Boxes, b)
	}
	return m
}

// rawMsg is one message's full text, with what the server added marked.
type rawMsg struct {
	T       string `json:"t"` // "raw"
	Mailbox string `json:"mailbox"`
	UID     string `json:"uid"`
	Raw     string `json:"raw"`
	Trace   int    `json:"trace"` // octets at the start of Raw added by the server
	Bcc     string `json:"bcc,omitempty"`
}

func (c *wsConn) sendRaw(mailbox, uid string) {
	for _, m := range c.visitor.world.Store.Messages(mailbox) {
		if m.UID == uid {
			c.sendJSON(rawMsg{T: "raw", Mailbox: mailbox, UID: uid, Raw: string(m.Raw), Trace: m.Trace, Bcc: m.Bcc})
			return
		}
	}
	c.fail("no_message")
}

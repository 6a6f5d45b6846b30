package sandbox

import "time"

// EventKind says what an Event reports.
type EventKind string

const (
	EventOpen     EventKind = "open"     // a client connected
	EventInput    EventKind = "input"    // a line arrived from the client
	EventCommand  EventKind = "command"  // an input line was read as a command
	EventReply    EventKind = "reply"    // the server answered
	EventEnvelope EventKind = "envelope" // MAIL FROM / RCPT TO changed
	EventMessage  EventKind = "message"  // a message was accepted, with its analysis
	EventDelivery EventKind = "delivery" // a copy reached a mailbox, or could not
	EventMailbox  EventKind = "mailbox"  // a mailbox was read, locked or changed by POP
	EventState    EventKind = "state"    // the session's protocol state changed
	EventTLS      EventKind = "tls"      // the connection is now encrypted
	EventClose    EventKind = "close"    // the session ended
	EventReset    EventKind = "reset"    // the whole world was emptied
	EventQueue    EventKind = "queue"    // the outgoing queue took, passed on or gave up a recipient
)

// Event is one thing that happened in a world. Exactly one of the pointer
// fields is set, matching Kind. Events are what transports, tests, the web
// page and the lesson checker observe; nothing else is needed to follow a
// session.
type Event struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Session string    `json:"session,omitempty"`
	Proto   Proto     `json:"proto,omitempty"`
	Kind    EventKind `json:"kind"`

	Open     *Open       `json:"open,omitempty"`
	Input    *Input      `json:"input,omitempty"`
	Command  *Command    `json:"command,omitempty"`
	Reply    *Reply      `json:"reply,omitempty"`
	Envelope *Envelope   `json:"envelope,omitempty"`
	Message  *Accepted   `json:"message,omitempty"`
	Delivery *Delivery   `json:"delivery,omitempty"`
	Mailbox  *MailboxUse `json:"mailbox,omitempty"`
	State    *State      `json:"state,omitempty"`
	TLS      *TLS        `json:"tls,omitempty"`
	Close    *Close      `json:"close,omitempty"`
	Queue    *QueueEvent `json:"queue,omitempty"`
}

// Open describes a new connection.
type Open struct {
	Host      string  `json:"host,omitempty"` // the server's name, for a sandbox with several
	Remote    string  `json:"remote"`         // client address as the transport saw it
	Transport string  `json:"transport"`      // "tcp", "websocket", "test"
	Service   Service `json:"service,omitempty"`
	TLS       *TLS    `json:"tls,omitempty"` // implicit TLS: encrypted from the start
	Via       *Via    `json:"via,omitempty"` // a relay session: where the mail it carries comes from
}

// Via says where a relay session comes from: the server that opened it
// and the message of its queue it carries. With it a watcher links the
// session to the message a client submitted (Accepted.ID is the queue id).
type Via struct {
	Host  string `json:"host"`  // the sending server, e.g. "mail.example.test"
	Queue string `json:"queue"` // the queue id of the message the session carries
}

// Input is one line the client sent, as received.
type Input struct {
	Text    string `json:"text"`
	Data    bool   `json:"data,omitempty"`    // message text (SMTP DATA), not a command
	BareLF  bool   `json:"bareLF,omitempty"`  // ended by LF alone, not CRLF
	TooLong bool   `json:"tooLong,omitempty"` // over the line limit; Text is cut
	// Secret: the line carries credentials (an AUTH exchange, a POP3
	// password). The session's own terminal shows it; other watchers must not.
	Secret bool `json:"secret,omitempty"`
}

// Command is an input line read as a command.
type Command struct {
	Verb  string `json:"verb"`          // upper case, as recognised ("" if none)
	Arg   string `json:"arg,omitempty"` // the rest of the line
	Known bool   `json:"known"`         // the verb exists in this protocol
	Parts []Part `json:"parts,omitempty"`
}

// Part is one piece of a command line, for syntax hints.
type Part struct {
	Kind string `json:"kind"` // "verb", "keyword", "address", "route", "param", "number", "text"
	Text string `json:"text"`
}

// PartSecret is the kind of a part that carries credentials (an AUTH
// initial response): the session's own terminal shows it, other watchers
// must not.
const PartSecret = "secret"

// Envelope is the SMTP transaction's sender and accepted recipients.
type Envelope struct {
	Helo string   `json:"helo,omitempty"`
	From *string  `json:"from"` // nil: no MAIL yet; "" is the null sender <>
	To   []string `json:"to"`
	Size int      `json:"size,omitempty"` // SIZE= as declared
	Body string   `json:"body,omitempty"` // BODY= as declared
	Auth string   `json:"auth,omitempty"` // who the client logged in as (AUTH), if anyone
}

// Clone returns a copy that shares nothing with e.
func (e Envelope) Clone() Envelope {
	c := e
	if e.From != nil && len(e.To) <= 1 {
		// The usual envelope, a sender and a recipient: one allocation.
		one := &struct {
			from string
			to   [1]string
		}{from: *e.From}
		c.From, c.To = &one.from, nil
		if len(e.To) == 1 {
			one.to[0] = e.To[0]
			c.To = one.to[:]
		}
		return c
	}
	if e.From != nil {
		f := *e.From
		c.From = &f
	}
	c.To = append([]string(nil), e.To...)
	return c
}

// Accepted is a message the server took responsibility for.
type Accepted struct {
	ID       string   `json:"id"`
	Envelope Envelope `json:"envelope"`
	Size     int      `json:"size"`
	Analysis Analysis `json:"analysis"`
}

// Delivery reports what became of one envelope recipient's copy.
type Delivery struct {
	MessageID string            `json:"messageId"`
	Recipient string            `json:"recipient"`         // the RCPT TO address
	Mailbox   string            `json:"mailbox,omitempty"` // where the copy went
	UID       string            `json:"uid,omitempty"`
	Status    string            `json:"status"` // "delivered", "bounced", "dropped"
	Reason    string            `json:"reason"` // catalog key
	Args      map[string]string `json:"args,omitempty"`
	// Original is, for a delivery status notification, the queue id of
	// the message it reports on: what links a bounce to that message.
	Original string `json:"original,omitempty"`
}

// Delivery statuses.
const (
	Delivered = "delivered"
	Bounced   = "bounced" // delivery failed; a report went to the sender
	Dropped   = "dropped" // delivery failed and no report could be sent
)

// MailboxUse reports POP access to a mailbox.
type MailboxUse struct {
	Mailbox string   `json:"mailbox"`
	Action  string   `json:"action"` // "locked", "unlocked", "retrieved", "removed"
	UIDs    []string `json:"uids,omitempty"`
}

// State is a protocol state change.
type State struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Close says why a session ended.
type Close struct {
	Reason string `json:"reason"` // "quit", "timeout", "shutdown", "hangup", "full"
}

// Observer receives events. It is called synchronously by the session that
// emits them, possibly from many goroutines at once, so it must be quick and
// safe for concurrent use.
type Observer func(Event)

// QueueEvent reports what a world's outgoing queue did with one recipient
// of a message: took it (queued), kept it for a later attempt (deferred),
// handed it to the next server (relayed), or gave up (failed).
type QueueEvent struct {
	ID        string    `json:"id"` // the message's queue id
	Recipient string    `json:"recipient"`
	Action    string    `json:"action"`
	Attempts  int       `json:"attempts"`          // attempts made so far
	NextTry   time.Time `json:"nextTry,omitzero"`  // when the next attempt is due (queued, deferred)
	Host      string    `json:"host,omitempty"`    // the server tried, if one was found
	Session   string    `json:"session,omitempty"` // the relay session's id in that server's world
	// Reply is what that server answered about the recipient, as received;
	// nil when none came (no server, no answer).
	Reply  *Reply            `json:"reply,omitempty"`
	Reason string            `json:"reason"` // catalog key: why this action
	Args   map[string]string `json:"args,omitempty"`
	// Original is, for a delivery status notification put in the queue,
	// the queue id of the message it reports on.
	Original string `json:"original,omitempty"`
}

// Queue actions.
const (
	QueueQueued   = "queued"
	QueueDeferred = "deferred"
	QueueRelayed  = "relayed"
	QueueFailed   = "failed"
)

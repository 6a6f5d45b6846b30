package sandbox

import (
	"strconv"
	"time"
)

// Protocol limits. Each is enforced by the engines and named in the reply a
// client gets when it goes past it.
const (
	// MaxCommandLine is the longest SMTP command line, CRLF included (RFC 5321 §4.5.3.1.4).
	MaxCommandLine = 512
	// MaxTextLine is the longest line of message text, CRLF included (RFC 5321 §4.5.3.1.6).
	MaxTextLine = 1000
	// MaxLocalPart is the longest local part of an address (RFC 5321 §4.5.3.1.1).
	MaxLocalPart = 64
	// MaxDomain is the longest domain name (RFC 5321 §4.5.3.1.2).
	MaxDomain = 255
	// MaxPath is the longest reverse or forward path, angle brackets included (§4.5.3.1.3).
	MaxPath = 256
	// MaxPOP3Line is the longest POP3 command line, CRLF included (RFC 2449 §4).
	MaxPOP3Line = 255
	// MaxPOP3Arg is the longest POP3 argument (RFC 1939 §3).
	MaxPOP3Arg = 40
	// MaxAuthLine is the longest line of a SASL exchange, CRLF included:
	// RFC 4954 §4 makes servers accept at least 12288 octets for AUTH.
	MaxAuthLine = 12288
	// MaxAuthFailures is how many failed logins a session gets before the
	// server hangs up on it, as real servers do against password guessing.
	MaxAuthFailures = 3
)

// Output bounds. They cost memory, not protocol: what a client is sent is
// never cut, only held back until the previous part is on its way.
const (
	// MaxStepOutput is how many reply octets one call into a session may pile
	// up before the engine pauses and lets the transport send them: ten
	// pipelined RETRs of a 10 MB message go out one at a time.
	MaxStepOutput = 64 << 10
	// MaxStepLines is how many lines one call answers at most: a paste of
	// 150,000 NOOPs is worked through a few hundred lines at a time, each
	// part sent before the next is read, whatever the transport.
	MaxStepLines = 256
	// MaxEventReplyLines and MaxEventReplyOctets bound the part of a reply an
	// event carries (what a terminal, the live view and a lesson keep): the
	// start of a long message and its last line, with a count of the rest.
	MaxEventReplyLines  = 200
	MaxEventReplyOctets = 16 << 10
)

// Defaults for the limits a world may tune.
const (
	// DefaultMaxRecipients is RFC 5321's minimum: a server must buffer 100 recipients.
	DefaultMaxRecipients = 100
	// DefaultMaxMessageSize is the SIZE advertised in EHLO.
	DefaultMaxMessageSize = 10 << 20
	// DefaultMaxMailbox is how much one mailbox may hold.
	DefaultMaxMailbox = 50 << 20
	// DefaultMaxStore is how much all mailboxes of a world may hold together.
	DefaultMaxStore = 200 << 20
	// DefaultCommandTimeout is how long an SMTP server waits for the next command (RFC 5321 §4.5.3.2.7).
	DefaultCommandTimeout = 5 * time.Minute
	// DefaultDataTimeout is how long it waits for the next block of message text (§4.5.3.2.5 asks 3 min of the client).
	DefaultDataTimeout = 3 * time.Minute
	// DefaultAutologout is POP3's idle timer (RFC 1939 §3: at least 10 minutes).
	DefaultAutologout = 10 * time.Minute
	// DefaultAuthFailDelay slows down password guessing after a wrong POP password.
	DefaultAuthFailDelay = time.Second
)

// Mail between servers: the outgoing queue and its retries (RFC 5321
// §4.5.4.1 asks for retries at least 30 minutes apart and a give-up time of
// 4 to 5 days; the sandbox runs the same story in minutes, so that a lesson
// can watch it), and loop detection.
const (
	// DefaultQueueRetry is the wait before the first retry of a deferred
	// message; each retry waits twice as long as the one before.
	DefaultQueueRetry = 30 * time.Second
	// DefaultQueueRetryMax caps the wait between two retries.
	DefaultQueueRetryMax = 2 * time.Minute
	// DefaultQueueLifetime is how long a message may stay in the queue before
	// the server gives up and tells the sender.
	DefaultQueueLifetime = 10 * time.Minute
	// DefaultMaxQueue is how many octets of text a world's queue may hold.
	DefaultMaxQueue = 50 << 20
	// MaxReceived is how many Received lines a message may carry before the
	// server takes it for a mail loop and refuses it (RFC 5321 §6.3: a large
	// threshold, normally at least 100).
	MaxReceived = 100
)

// Limits are the tunable limits of a world.
type Limits struct {
	MaxRecipients  int
	MaxMessageSize int
	MaxMailbox     int64
	MaxStore       int64
	CommandTimeout time.Duration
	DataTimeout    time.Duration
	Autologout     time.Duration
	AuthFailDelay  time.Duration
	// The outgoing queue: first retry, longest wait between retries, how
	// long a message may wait in all, and how many octets the queue holds.
	QueueRetry    time.Duration
	QueueRetryMax time.Duration
	QueueLifetime time.Duration
	MaxQueue      int64
}

func (l Limits) withDefaults() Limits {
	orDefault(&l.MaxRecipients, DefaultMaxRecipients)
	orDefault(&l.MaxMessageSize, DefaultMaxMessageSize)
	orDefault(&l.MaxMailbox, DefaultMaxMailbox)
	orDefault(&l.MaxStore, DefaultMaxStore)
	orDefault(&l.CommandTimeout, DefaultCommandTimeout)
	orDefault(&l.DataTimeout, DefaultDataTimeout)
	orDefault(&l.Autologout, DefaultAutologout)
	// A negative delay turns it off (tests); zero means the default.
	orDefault(&l.AuthFailDelay, DefaultAuthFailDelay)
	l.AuthFailDelay = max(l.AuthFailDelay, 0)
	orDefault(&l.QueueRetry, DefaultQueueRetry)
	orDefault(&l.QueueRetryMax, DefaultQueueRetryMax)
	l.QueueRetryMax = max(l.QueueRetryMax, l.QueueRetry)
	orDefault(&l.QueueLifetime, DefaultQueueLifetime)
	orDefault(&l.MaxQueue, DefaultMaxQueue)
	return l
}

// RetryAfter is how long the queue waits after a message's attempts-th
// failed attempt before the next one: QueueRetry, doubled at each attempt,
// never more than QueueRetryMax (RFC 5321 §4.5.4.1's backing off).
func (l Limits) RetryAfter(attempts int) time.Duration {
	d := l.QueueRetry
	for i := 1; i < attempts && d < l.QueueRetryMax; i++ {
		d *= 2
	}
	return min(d, l.QueueRetryMax)
}

func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// HumanDuration writes d as people do, for replies and explanations:
// "5 min", "3 min", "90 s".
func HumanDuration(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return strconv.Itoa(int(d.Round(time.Second)/time.Second)) + " s"
}

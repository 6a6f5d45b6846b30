// Package smtpclient is the sending side of SMTP (RFC 5321) as an engine:
// it is given a message's envelope and text, writes the commands a relay
// sends (EHLO, or HELO from a server that knows no ESMTP, then MAIL, RCPT,
// DATA, the text, QUIT; STARTTLS first where the server offers it and
// the message asks for it), reads the replies it is fed, and says what became
// of each recipient. Like the server engines it never touches the network:
// whoever drives it moves the bytes, package relay in-process, tests with
// replies of their own.
//
// It sends one command at a time and waits for its reply, without
// PIPELINING, so that a transcript reads as a dialogue.
package smtpclient

import (
	"strconv"
	"strings"
	"time"

	"smtplab/sandbox"
)

// Status says what became of one recipient.
type Status int

const (
	Pending   Status = iota // no reply has decided yet
	Delivered               // the server took responsibility for it (2xx after the final dot)
	Deferred                // a temporary failure (4xx, no answer): try again later
	Failed                  // a permanent failure (5xx): tell the sender
)

func (s Status) String() string {
	return [...]string{"pending", "delivered", "deferred", "failed"}[s]
}

// Stages name the command a reply answered, as a non-delivery report says
// "in reply to RCPT TO command".
const (
	StageGreeting = "greeting"
	StageEHLO     = "EHLO"
	StageStartTLS = "STARTTLS"
	StageHELO     = "HELO"
	StageMail     = "MAIL FROM"
	StageRcpt     = "RCPT TO"
	StageData     = "DATA"
	StageDot      = "end of DATA"
	StageQuit     = "QUIT"
)

// Problems are why a recipient was deferred when no reply decided it.
const (
	ProblemTimeout  = "timeout"   // the server did not answer in time
	ProblemHangup   = "hangup"    // the connection closed
	ProblemBadReply = "bad_reply" // the server's answer was not an SMTP reply
)

// Reply is one server reply as the client read it.
type Reply struct {
	Code     int
	Enhanced string   // the RFC 3463 code of its first line, if it has one
	Lines    []string // as received, without CRLF
}

// Wire is the reply's lines joined by a space, as a report quotes it
// ("550 5.1.1 <bob@other.test>: …").
func (r *Reply) Wire() string { return strings.Join(r.Lines, " ") }

// Result is what became of one recipient, and why.
type Result struct {
	Rcpt   string
	Status Status
	Reply  *Reply // the reply that decided it; nil when none did
	Stage  string // what that reply answered, or what was awaited when none came
	// Problem says why, when no reply decided (ProblemTimeout…).
	Problem string
}

// Message is what the client sends, and as whom.
type Message struct {
	Host string   // the sending server's own name, given in EHLO
	From string   // the reverse-path; "" is the null sender <>
	To   []string // the forward-paths, in order
	Text []byte   // the message, CRLF lines
	Body string   // "8BITMIME" declares BODY=8BITMIME where the server offers it
	// TLS is what the link becomes once a STARTTLS handshake is done: the
	// client asks for it wherever the server offers STARTTLS, and goes on
	// in clear if the server then refuses (opportunistic TLS, RFC 3207, as
	// servers pass mail to each other today). Nil: never.
	TLS *sandbox.TLS
}

// Output is what the client has to send after an input.
type Output struct {
	Send  []byte // commands or message text, CRLF lines
	Close bool   // close the connection once Send is sent
	// StartTLS: the server accepted STARTTLS; run the handshake, then call
	// Secured, whose EHLO starts the session again (RFC 3207 §4.2).
	StartTLS bool
}

// Timeouts for the server's replies (RFC 5321 §4.5.3.2, the minimums a
// client must wait). They cost only when a server goes silent: the
// recipients then wait in the queue for the next attempt.
const (
	GreetingTimeout = 5 * time.Minute  // §4.5.3.2.1, the 220 banner
	MailTimeout     = 5 * time.Minute  // §4.5.3.2.2; also used for EHLO, HELO and QUIT, which it does not list
	RcptTimeout     = 5 * time.Minute  // §4.5.3.2.3
	DataInitTimeout = 2 * time.Minute  // §4.5.3.2.4, the 354
	DataTermTimeout = 10 * time.Minute // §4.5.3.2.6, the reply after the final dot
)

// Bounds on what the client reads.
const (
	// MaxReplyLine is the longest reply line, CRLF included (RFC 5321
	// §4.5.3.1.5); the rest of a longer one is dropped.
	MaxReplyLine = 512
	// MaxReplyLines bounds a multi-line reply: a server sending more is
	// not speaking SMTP, and the client gives up on it.
	MaxReplyLines = 100
)

// state is what the client waits for.
type state int

const (
	awaitGreeting state = iota
	awaitEHLO
	awaitStartTLS
	awaitHELO
	awaitMail
	awaitRcpt
	awaitData
	awaitDot
	awaitQuit
	finished
)

// Client is one SMTP client conversation. It is not safe for concurrent use.
type Client struct {
	msg     Message
	state   state
	stage   string
	lines   sandbox.LineSplitter
	reply   []string // lines of the reply being read
	ext     map[string]string
	results []Result
	next    int   // the recipient whose RCPT goes next
	taken   []int // recipients whose RCPT the server accepted
	out     []byte
	close   bool
	tls     bool // the handshake is due (Output.StartTLS)
	secured bool // the link is encrypted
}

// New starts a client for m. The server speaks first: feed it the banner.
func New(m Message) *Client {
	c := &Client{msg: m, stage: StageGreeting}
	c.lines.Max = MaxReplyLine
	for _, to := range m.To {
		c.results = append(c.results, Result{Rcpt: to})
	}
	return c
}

// Feed reads what the server sent and returns what to send next. Partial
// lines wait for the rest.
func (c *Client) Feed(p []byte) Output {
	c.lines.Feed(p, func(l sandbox.Line) bool {
		c.line(string(l.Text))
		return c.state != finished
	})
	return c.flush()
}

// Timeout is called when the server said nothing for Wait: every recipient
// not yet decided waits for another attempt, and the connection closes.
func (c *Client) Timeout() Output {
	if c.state != finished {
		c.settlePending(Deferred, nil, ProblemTimeout)
		c.finish()
	}
	return c.flush()
}

// Hangup is called when the connection closed under the client.
func (c *Client) Hangup() {
	if c.state != finished {
		c.settlePending(Deferred, nil, ProblemHangup)
		c.state = finished
	}
}

// Wait is how long the client waits for the reply it expects now.
func (c *Client) Wait() time.Duration {
	switch c.state {
	case awaitGreeting:
		return GreetingTimeout
	case awaitRcpt:
		return RcptTimeout
	case awaitData:
		return DataInitTimeout
	case awaitDot:
		return DataTermTimeout
	}
	return MailTimeout
}

// Done reports whether the conversation is over.
func (c *Client) Done() bool { return c.state == finished }

// Results says what became of each recipient, in the order given.
func (c *Client) Results() []Result { return append([]Result(nil), c.results...) }

// Extensions are the EHLO keywords the server offered, upper case, with
// their parameters; nil after HELO.
func (c *Client) Extensions() map[string]string { return c.ext }

// line reads one reply line; a complete reply moves the conversation on.
func (c *Client) line(l string) {
	code, last, ok := replyLine(l)
	if ok && len(c.reply) > 0 {
		first, _, _ := replyLine(c.reply[0])
		ok = code == first
	}
	if !ok || len(c.reply) >= MaxReplyLines {
		c.reply = nil
		c.settlePending(Deferred, nil, ProblemBadReply)
		c.finish()
		return
	}
	c.reply = append(c.reply, l)
	if !last {
		return
	}
	r := &Reply{Code: code, Lines: c.reply, Enhanced: enhanced(code, c.reply[0])}
	c.reply = nil
	c.answer(r)
}

// replyLine reads the code of a reply line and whether it is the reply's
// last: "250-…" has more to come, "250 …" and a bare "250" end it.
func replyLine(l string) (code int, last, ok bool) {
	if len(l) < 3 || l[0] < '2' || l[0] > '5' || !isDigit(l[1]) || !isDigit(l[2]) {
		return 0, false, false
	}
	code, _ = strconv.Atoi(l[:3])
	switch {
	case len(l) == 3:
		return code, true, true
	case l[3] == ' ':
		return code, true, true
	case l[3] == '-':
		return code, false, true
	}
	return 0, false, false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// enhanced finds the RFC 3463 code after the reply code of line, if any:
// its class must be the reply's first digit (RFC 2034 §4).
func enhanced(code int, line string) string {
	if len(line) < 5 {
		return ""
	}
	word, _, _ := strings.Cut(line[4:], " ")
	parts := strings.Split(word, ".")
	if len(parts) != 3 || parts[0] != strconv.Itoa(code/100) {
		return ""
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return word
}

// answer is the state machine: what the client does with each reply.
func (c *Client) answer(r *Reply) {
	if r.Code == 421 && c.state != awaitQuit {
		// The server is closing the channel (RFC 5321 §3.8): whatever was
		// under way is for another attempt, and no QUIT is owed.
		c.settlePending(Deferred, r, "")
		c.finish()
		return
	}
	ok := r.Code/100 == 2
	switch c.state {
	case awaitGreeting:
		if !ok {
			c.giveUp(r)
			return
		}
		c.send(awaitEHLO, StageEHLO, "EHLO "+c.msg.Host)
	case awaitEHLO:
		switch {
		case ok:
			c.ext = extensions(r.Lines[1:])
			if _, offered := c.ext["STARTTLS"]; offered && c.msg.TLS != nil && !c.secured {
				c.send(awaitStartTLS, StageStartTLS, "STARTTLS")
				return
			}
			c.mail()
		case r.Code == 500 || r.Code == 502:
			// A server from before ESMTP (RFC 5321 §3.2): say HELO instead.
			c.send(awaitHELO, StageHELO, "HELO "+c.msg.Host)
		default:
			c.giveUp(r)
		}
	case awaitStartTLS:
		if r.Code == 220 {
			c.tls = true
			return
		}
		c.mail() // refused (454): on in clear, as opportunistic TLS allows
	case awaitHELO:
		if !ok {
			c.giveUp(r)
			return
		}
		c.mail()
	case awaitMail:
		if !ok {
			c.giveUp(r)
			return
		}
		c.rcpt()
	case awaitRcpt:
		i := c.next - 1
		if ok {
			c.taken = append(c.taken, i)
		} else {
			c.settle(i, status(r), r, "")
		}
		c.rcpt()
	case awaitData:
		if r.Code != 354 {
			c.settleTaken(r)
			c.quit()
			return
		}
		c.out = appendText(c.out, c.msg.Text)
		c.stage, c.state = StageDot, awaitDot
	case awaitDot:
		c.settleTaken(r)
		c.quit()
	case awaitQuit:
		c.finish()
	}
}

// mail sends MAIL FROM, with the size of the message where the server
// announced SIZE (RFC 1870), and its body type where it offers 8BITMIME.
func (c *Client) mail() {
	cmd := "MAIL FROM:<" + c.msg.From + ">"
	if _, ok := c.ext["SIZE"]; ok {
		cmd += " SIZE=" + strconv.Itoa(len(c.msg.Text))
	}
	if _, ok := c.ext["8BITMIME"]; ok && c.msg.Body == "8BITMIME" {
		cmd += " BODY=8BITMIME"
	}
	c.send(awaitMail, StageMail, cmd)
}

// rcpt sends the next RCPT TO, or DATA once every recipient was named, or
// QUIT when the server accepted none of them.
func (c *Client) rcpt() {
	switch {
	case c.next < len(c.msg.To):
		c.next++
		c.send(awaitRcpt, StageRcpt, "RCPT TO:<"+c.msg.To[c.next-1]+">")
	case len(c.taken) > 0:
		c.send(awaitData, StageData, "DATA")
	default:
		c.quit()
	}
}

func (c *Client) quit() { c.send(awaitQuit, StageQuit, "QUIT") }

// giveUp ends a conversation the server refused as a whole (banner, EHLO,
// MAIL): every recipient shares the reply, and the client says QUIT.
func (c *Client) giveUp(r *Reply) {
	c.settlePending(status(r), r, "")
	c.quit()
}

func (c *Client) send(next state, stage, cmd string) {
	c.out = append(append(c.out, cmd...), "\r\n"...)
	c.state, c.stage = next, stage
}

func (c *Client) finish() {
	c.state, c.close = finished, true
}

func (c *Client) flush() Output {
	o := Output{Send: c.out, Close: c.close, StartTLS: c.tls}
	c.out, c.close, c.tls = nil, false, false
	return o
}

// Secured is called once the handshake Output.StartTLS asked for is done:
// the client forgets what it learnt in clear and says EHLO again.
func (c *Client) Secured() Output {
	c.secured, c.ext = true, nil
	c.send(awaitEHLO, StageEHLO, "EHLO "+c.msg.Host)
	return c.flush()
}

// TLS is the encryption of the link, nil while in clear.
func (c *Client) TLS() *sandbox.TLS {
	if !c.secured {
		return nil
	}
	return c.msg.TLS
}

// status is what a reply means for the recipients it decides.
func status(r *Reply) Status {
	switch r.Code / 100 {
	case 2:
		return Delivered
	case 4:
		return Deferred
	}
	return Failed
}

func (c *Client) settle(i int, s Status, r *Reply, problem string) {
	c.results[i] = Result{Rcpt: c.results[i].Rcpt, Status: s, Reply: r, Stage: c.stage, Problem: problem}
}

// settleTaken decides the recipients the server accepted, with the reply to
// DATA or to the final dot.
func (c *Client) settleTaken(r *Reply) {
	for _, i := range c.taken {
		c.settle(i, status(r), r, "")
	}
}

// settlePending decides every recipient not decided yet.
func (c *Client) settlePending(s Status, r *Reply, problem string) {
	for i := range c.results {
		if c.results[i].Status == Pending {
			c.settle(i, s, r, problem)
		}
	}
}

// extensions reads the keyword lines of an EHLO reply ("250-SIZE 10485760").
func extensions(lines []string) map[string]string {
	ext := map[string]string{}
	for _, l := range lines {
		if len(l) < 4 {
			continue
		}
		kw, param, _ := strings.Cut(l[4:], " ")
		ext[strings.ToUpper(kw)] = param
	}
	return ext
}

// appendText appends the message as DATA sends it (RFC 5321 §4.5.2): a
// line that starts with a dot gets one more, every line ends with CRLF
// (a bare LF is never sent on: that is how SMTP smuggling starts), and a
// line holding only a dot ends it.
func appendText(b, text []byte) []byte {
	for len(text) > 0 {
		i := 0
		for i < len(text) && text[i] != '\n' {
			i++
		}
		line := text[:i]
		if i < len(text) {
			text = text[i+1:]
		} else {
			text = nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > 0 && line[0] == '.' {
			b = append(b, '.')
		}
		b = append(append(b, line...), "\r\n"...)
	}
	return append(b, ".\r\n"...)
}

package smtpclient

import (
	"bytes"

	"smtplab/sandbox"
)

// Converse runs c against s, a server session of the same process, until
// the conversation ends: what one says is fed to the other, as a
// connection would carry it. seen, if not nil, gets every line, 'C' for
// the client's and 'S' for the server's. s is started here and hung up if
// it is still open at the end. A STARTTLS handshake is in-process too:
// both sides are told it is done, with the client's Message.TLS.
func Converse(c *Client, s sandbox.Session, seen func(from byte, line string)) {
	out := s.Start()
	for !c.Done() {
		in := out.Bytes()
		tell(seen, 'S', in)
		var o Output
		if len(in) > 0 {
			o = c.Feed(in)
			switch {
			case o.StartTLS && out.StartTLS && !s.Closed():
				tell(seen, 'S', s.Secured(*c.msg.TLS).Bytes())
				o = c.Secured()
			case o.StartTLS:
				// A 220 the server did not mean as the go-ahead for a
				// handshake: nothing sensible follows on this link.
				c.Hangup()
			}
		} else if !out.Close && !s.Closed() {
			// In one process a server that answered nothing has nothing
			// more coming: the client's wait is over at once.
			o = c.Timeout()
		}
		tell(seen, 'C', o.Send)
		if (out.Close || s.Closed()) && !c.Done() {
			c.Hangup()
		}
		if o.Close || c.Done() {
			break
		}
		out = sandbox.FeedAll(s, o.Send)
	}
	if !s.Closed() {
		s.Hangup()
	}
}

func tell(seen func(byte, string), from byte, b []byte) {
	if seen == nil || len(b) == 0 {
		return
	}
	for _, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\r\n")), []byte("\r\n")) {
		seen(from, string(l))
	}
}

package shell

import (
	"strings"

	"smtplab/sandbox"
)

// openssl runs s_client's opening: the TCP connection, its STARTTLS
// exchange when asked, the handshake and its report.
func (c *Conn) openssl(l Link) bool {
	d := &c.d
	connected := func() {
		if !d.Quiet {
			l.Print(out("shell.openssl.connected"))
		}
	}
	switch {
	case d.Service.TLS == ImplicitTLS && d.TLS == StartTLS:
		// Both sides wait: openssl for a greeting in clear, the server
		// for a handshake.
		connected()
		c.done.Store(true)
		l.Print(note("shell.note.starttls_on_implicit", "port", itoa(d.Port)))
		return true
	case d.Service.TLS == ImplicitTLS:
		connected()
		c.written = helloSize(d.ServerName) + clientFinishedSize
		c.read = serverFlight(c.cert)
		l.Print(c.handshake()...)
		c.ready.Store(true)
		_, ok := c.open(l)
		return ok
	}
	// What openssl reads and sends before the handshake, it does not print.
	connected()
	l.Aside(true)
	o, ok := c.open(l)
	if !ok {
		l.Aside(false)
		return false
	}
	if !o.Close && d.TLS == StartTLS {
		o = c.upgradeExchange(l)
	}
	l.Aside(false)
	switch {
	case o.Close:
		// The server hung up in clear: the handshake reads nothing.
		c.fail(l, "shell.openssl.eof", 0, "shell.note.closed_in_clear")
	case c.done.Load():
	case d.TLS == ImplicitTLS:
		// The server's greeting, in clear, is no TLS record.
		c.fail(l, "shell.openssl.wrong_version", c.read-RecordHeader, "shell.note.implicit_on_clear")
	case !o.StartTLS:
		c.fail(l, "shell.openssl.wrong_version", -RecordHeader, "shell.note.starttls_refused")
	default:
		// The link has run the handshake the session asked for (Secure).
		c.written += helloSize(d.ServerName) + clientFinishedSize
		c.read += serverFlight(c.cert)
		l.Print(c.handshake()...)
		c.ready.Store(true)
	}
	return true
}

// upgradeExchange is what OpenSSL 3 sends before the handshake with
// -starttls, whatever the server answers: for SMTP an EHLO, then STARTTLS;
// for POP3, STLS. It returns the session's answer to the last command.
func (c *Conn) upgradeExchange(l Link) sandbox.Output {
	send := func(line string) sandbox.Output {
		c.written += len(line)
		o := l.Feed([]byte(line))
		c.read += octets(o)
		return o
	}
	if c.d.StartTLSProto == sandbox.POP3 {
		return send("STLS\r\n")
	}
	o := send("EHLO " + c.d.HeloName + "\r\n")
	if o.Close {
		return o
	}
	if !offersSTARTTLS(o) {
		l.Print(fail("shell.openssl.no_starttls"))
	}
	return send("STARTTLS\r\n")
}

// offersSTARTTLS reports whether an EHLO reply lists STARTTLS, as openssl
// looks for it: anywhere in a line.
func offersSTARTTLS(o sandbox.Output) bool {
	for _, r := range o.Replies {
		for _, line := range r.Lines {
			if strings.Contains(line, "STARTTLS") {
				return true
			}
		}
	}
	return false
}

// fail is openssl's report of a handshake that could not happen: key
// says why (the server's clear text is no TLS record: openssl stops at its
// first octets, a header's worth; or the server hung up). unread is what
// of c.read openssl did not read; why explains it. The connection ends.
func (c *Conn) fail(l Link, key string, unread int, why string) {
	c.done.Store(true)
	lines := []Line{fail(key)}
	if !c.d.Quiet {
		lines = append(lines, out("shell.openssl.failed",
			"read", itoa(c.read-unread), "written", itoa(c.written+helloSize(c.d.ServerName))))
	}
	l.Print(append(lines, note(why, "port", itoa(c.d.Port), "host", c.d.Host))...)
	l.Hangup()
}

// handshake is what openssl prints once the handshake is done: how it
// verified the certificate, then (unless -quiet) the certificate and the
// session.
func (c *Conn) handshake() []Line {
	d, cert := &c.d, c.cert
	var lines []Line
	if d.ServerName == "" {
		lines = append(lines, fail("shell.openssl.no_servername"))
	}
	depth := fail("shell.openssl.depth", "subject", cert.Subject)
	verified := fail("shell.openssl.verify_return")
	code, why := "18", "self-signed certificate"
	switch {
	case d.Trusted:
		code, why = "0", "ok"
		lines = append(lines, depth, verified)
	case cert.SelfSigned:
		lines = append(lines, depth, fail("shell.openssl.verify_error", "num", code, "error", why), verified, depth, verified)
	default:
		// The browser terminal has no store of trusted authorities, and
		// the server sends the certificate alone.
		code, why = "21", "unable to verify the first certificate"
		lines = append(lines, depth, fail("shell.openssl.verify_error", "num", "20", "error", "unable to get local issuer certificate"), verified,
			depth, fail("shell.openssl.verify_error", "num", code, "error", why), verified, depth, verified)
	}
	if d.Quiet {
		return lines
	}
	dash := raw("---")
	lines = append(lines, dash,
		out("shell.openssl.chain"),
		out("shell.openssl.chain.subject", "subject", cert.Subject),
		out("shell.openssl.chain.issuer", "issuer", cert.Issuer),
		out("shell.openssl.chain.key", "type", cert.KeyType, "bits", itoa(cert.KeyBits), "sigalg", cert.SigAlg),
		out("shell.openssl.chain.validity", "from", opensslTime(cert.NotBefore), "until", opensslTime(cert.NotAfter)),
		dash,
		out("shell.openssl.server_cert"))
	lines = append(lines, pemLines(cert.PEM)...)
	lines = append(lines,
		out("shell.openssl.subject", "subject", cert.Subject),
		out("shell.openssl.issuer", "issuer", cert.Issuer),
		dash,
		out("shell.openssl.no_ca_names"))
	if digest := signingDigest(cert); digest != "" {
		lines = append(lines, out("shell.openssl.peer_digest", "digest", digest))
	}
	lines = append(lines,
		out("shell.openssl.peer_type", "type", cert.SigType),
		out("shell.openssl.temp_key"),
		dash,
		out("shell.openssl.bytes", "read", itoa(c.read), "written", itoa(c.written)),
		verification(code, why),
		dash,
		out("shell.openssl.new", "version", opensslVersion, "cipher", tlsCipher),
		out("shell.openssl.public_key", "bits", itoa(cert.KeyBits)),
		out("shell.openssl.session"),
		out("shell.openssl.verify_code", "num", code, "error", why),
		dash)
	return lines
}

// verification is what the report says of the certificate's check.
func verification(code, why string) Line {
	if code == "0" {
		return out("shell.openssl.verification_ok")
	}
	return out("shell.openssl.verification_error", "error", why)
}

// pemLines shows a certificate's PEM by its first and last lines, and
// says how many it left out.
func pemLines(pem []string) []Line {
	if len(pem) <= 4 {
		lines := make([]Line, len(pem))
		for i, p := range pem {
			lines[i] = raw(p)
		}
		return lines
	}
	last := len(pem) - 1
	return []Line{raw(pem[0]), raw(pem[1]),
		note("shell.note.pem", "lines", itoa(last-3)),
		raw(pem[last-1]), raw(pem[last])}
}

// signingDigest is the hash the server's handshake signature uses, "" for
// a key whose signature has none of its own choosing (Ed25519).
func signingDigest(c Certificate) string {
	switch {
	case c.KeyType == "ED25519":
		return ""
	case c.KeyType == "id-ecPublicKey" && c.KeyBits == 384:
		return "SHA384"
	case c.KeyType == "id-ecPublicKey" && c.KeyBits == 521:
		return "SHA512"
	}
	return "SHA256"
}

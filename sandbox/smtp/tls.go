package smtp

import (
	"strings"

	"smtplab/sandbox"
)

// cmdStartTLS asks to switch the connection to TLS (RFC 3207). The reply is
// the last thing sent in clear; the transport then runs the handshake and
// calls Secured.
func (s *Session) cmdStartTLS(arg string) sandbox.Outcome {
	switch {
	case strings.TrimSpace(arg) != "":
		return sandbox.Answer(reply(501, "5.5.4", "starttls.syntax"))
	case s.Encrypted():
		return sandbox.Answer(reply(503, "5.5.1", "starttls.again"))
	case !s.Peer.CanStartTLS:
		return sandbox.Answer(reply(454, "4.7.0", "starttls.unavailable"))
	case s.State() == HaveFrom || s.State() == HaveRcpt:
		return sandbox.Answer(reply(503, "5.5.1", "starttls.in_transaction"))
	case s.login != "":
		// RFC 4954 §4: once authenticated, no new security layer.
		return sandbox.Answer(reply(503, "5.5.1", "starttls.after_auth"))
	}
	return sandbox.Outcome{Reply: reply(220, "2.0.0", "starttls.go"), Then: sandbox.UpgradeTLS}
}

// offerStartTLS is the EHLO keyword while the connection can still be
// upgraded.
func (s *Session) offerStartTLS() string {
	if s.Peer.CanStartTLS && !s.Encrypted() {
		return "STARTTLS"
	}
	return ""
}

// Secured goes on under TLS. RFC 3207 §4.2: the server forgets everything
// the client said in clear, EHLO included; the client starts over with
// EHLO, and gets no new banner.
func (s *Session) Secured(t sandbox.TLS) sandbox.Output {
	s.helo, s.esmtp = "", false
	s.reset(Greeted)
	s.secured = true
	return s.Base.Secured(t)
}

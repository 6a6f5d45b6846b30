package pop3

import "smtplab/sandbox"

// offerSTLS is the CAPA line of STLS (RFC 2595 §4), announced only while
// the command would work: before login, in clear, on a connection the
// transport can upgrade.
func (s *Session) offerSTLS() string {
	if s.State() != Authorization || s.Encrypted() || !s.Peer.CanStartTLS {
		return ""
	}
	return "STLS"
}

// cmdStls asks the transport to start TLS once the +OK is sent. What the
// client sent after STLS in the same write is dropped (RFC 2595 §4): it came
// in clear, and could have been put there by someone on the path.
func (s *Session) cmdStls(arg string) sandbox.Outcome {
	if r := noArgs("STLS", arg); r != nil {
		return sandbox.Answer(r)
	}
	switch {
	case s.Encrypted():
		return sandbox.Answer(fail("stls.active"))
	case !s.Peer.CanStartTLS:
		return sandbox.Answer(fail("stls.unavailable"))
	}
	return sandbox.Outcome{Reply: ok("stls"), Then: sandbox.UpgradeTLS}
}

// Secured goes on under TLS. A name given by USER in clear is forgotten:
// it may have been injected before the handshake, and the login starts
// again, protected.
func (s *Session) Secured(t sandbox.TLS) sandbox.Output {
	s.user = ""
	return s.Base.Secured(t)
}

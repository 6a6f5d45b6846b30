// Package engine is the one place that knows which engine speaks which
// protocol, for callers that start sessions by protocol name: the TCP
// services, the browser terminal, replays and tests.
package engine

import (
	"smtplab/sandbox"
	"smtplab/sandbox/pop2"
	"smtplab/sandbox/pop3"
	"smtplab/sandbox/smtp"
)

// New starts a session of protocol p in world w for the client peer.
func New(w *sandbox.World, p sandbox.Proto, peer sandbox.Peer) sandbox.Session {
	switch p {
	case sandbox.POP3:
		return pop3.NewSession(w, peer)
	case sandbox.POP2:
		return pop2.NewSession(w, peer)
	}
	return smtp.NewSession(w, peer)
}

package tcp

import (
	"smtplab/sandbox"
	smtpengine "smtplab/sandbox/smtp"
)

func newSMTP(w *sandbox.World, p sandbox.Peer) sandbox.Session { return smtpengine.NewSession(w, p) }

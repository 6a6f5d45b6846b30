package relay

import "smtplab/sandbox"

// SetOpen replaces how r starts sessions with the next servers, for tests
// that need a server the engine does not play (one that is full, say).
func (r *Runner) SetOpen(open func(*sandbox.World, sandbox.Peer) sandbox.Session) { r.open = open }

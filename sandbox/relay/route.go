package relay

import (
	"crypto/tls"

	"smtplab/sandbox"
)

var _ sandbox.Router = (*Runner)(nil)

// NextHosts lists the servers the queue would try for domain's mail, in
// the order it would try them; none when the lookup fails or names none.
func (r *Runner) NextHosts(domain string) []string {
	hops, err := r.hops.NextHops(domain)
	if err != nil {
		return nil
	}
	hops, _ = r.usable(hops)
	hosts := make([]string, len(hops))
	for i, h := range hops {
		hosts[i] = h.Host
	}
	return hosts
}

// linkTLS is what both sides of a relay session are told once STARTTLS is
// done. Servers pass mail to each other encrypted where they can today
// (opportunistic TLS, RFC 3207); the two share one process here, so there
// is nothing to encrypt, and the session gets the values a handshake with
// the sandbox's TCP services negotiates.
func linkTLS(host string) sandbox.TLS {
	return sandbox.TLS{
		Version:    tls.VersionName(tls.VersionTLS13),
		Cipher:     tls.CipherSuiteName(tls.TLS_AES_128_GCM_SHA256),
		ServerName: host,
	}
}

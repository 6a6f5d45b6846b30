package relay

import "smtplab/sandbox"

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

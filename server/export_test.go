package server

// LiftRateLimit lets pages send as fast as they like, for the benchmarks
// that measure the server rather than the limit; restore puts it back.
func LiftRateLimit() (restore func()) {
	old := rateLimit
	rateLimit.perSecond, rateLimit.burst = 1e9, 1e9
	return func() { rateLimit = old }
}

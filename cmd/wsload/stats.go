package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted samples: the smallest sample that at least p% of the samples do
// not exceed. No samples give 0.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// summary is what one transport's run measured.
type summary struct {
	transport string
	students  int // connected and typing
	sent      int // lines sent during the run
	replied   int // of which a reply was timed
	elapsed   time.Duration
	p50, p90  time.Duration
	p99, max  time.Duration
	connect   time.Duration // to connect every student
	errors    map[string]int
}

func (s summary) linesPerSecond() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.sent) / s.elapsed.Seconds()
}

// summarize sorts the samples (in place) and fills the percentiles.
func summarize(s summary, samples []time.Duration) summary {
	slices.Sort(samples)
	s.replied = len(samples)
	s.p50 = percentile(samples, 50)
	s.p90 = percentile(samples, 90)
	s.p99 = percentile(samples, 99)
	s.max = percentile(samples, 100)
	return s
}

// tally counts errors by kind, from every student at once.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func (t *tally) add(kind string) {
	t.mu.Lock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[kind]++
	t.mu.Unlock()
}

func (t *tally) snapshot() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.n))
	for k, v := range t.n {
		out[k] = v
	}
	return out
}

// formatErrors lists errors by kind, "none" when there are none.
func formatErrors(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// ms formats a duration in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

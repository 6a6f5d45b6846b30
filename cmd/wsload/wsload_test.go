package main

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var hundred []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose: summarize sorts
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	s := summarize(summary{}, hundred)
	want := map[string][2]time.Duration{
		"p50": {s.p50, 50 * time.Millisecond}, "p90": {s.p90, 90 * time.Millisecond},
		"p99": {s.p99, 99 * time.Millisecond}, "max": {s.max, 100 * time.Millisecond},
	}
	for name, g := range want {
		if g[0] != g[1] {
			t.Errorf("%s of 1..100 ms = %v, want %v", name, g[0], g[1])
		}
	}
	if s.replied != 100 {
		t.Errorf("replied = %d, want 100", s.replied)
	}

	cases := []struct {
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{nil, 99, 0},
		{[]time.Duration{7}, 50, 7},
		{[]time.Duration{7}, 100, 7},
		{[]time.Duration{1, 2}, 50, 1},
		{[]time.Duration{1, 2}, 51, 2},
		{[]time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10}, // too few samples: p99 is the max
		{[]time.Duration{1, 2, 3}, 0.0001, 1},
	}
	for _, c := range cases {
		if got := percentile(c.samples, c.p); got != c.want {
			t.Errorf("percentile(%v, %g) = %v, want %v", c.samples, c.p, got, c.want)
		}
	}

	// One slow reply in a thousand is p99.9, not p99.
	var mostlyFast []time.Duration
	for range 999 {
		mostlyFast = append(mostlyFast, time.Millisecond)
	}
	mostlyFast = append(mostlyFast, time.Second)
	slices.Sort(mostlyFast)
	if got := percentile(mostlyFast, 99); got != time.Millisecond {
		t.Errorf("p99 with one outlier in 1000 = %v, want 1ms", got)
	}
	if got := percentile(mostlyFast, 100); got != time.Second {
		t.Errorf("max = %v, want 1s", got)
	}
}

func TestLoopbackGuard(t *testing.T) {
	ok := map[string]string{ // -url → address dialled
		"http://127.0.0.1:8025":           "127.0.0.1:8025",
		"http://127.1.2.3:8025/sandbox":   "127.1.2.3:8025",
		"http://localhost:8025":           "127.0.0.1:8025",
		"http://LOCALHOST.:9000":          "127.0.0.1:9000",
		"http://[::1]:8025":               "[::1]:8025",
		"http://127.0.0.1":                "127.0.0.1:80",
		"http://[::ffff:127.0.0.1]:8025/": "127.0.0.1:8025",
	}
	for raw, dial := range ok {
		tg, err := parseURL(raw)
		if err != nil {
			t.Errorf("parseURL(%q): %v", raw, err)
			continue
		}
		if tg.dial.String() != dial {
			t.Errorf("parseURL(%q) dials %s, want %s", raw, tg.dial, dial)
		}
	}
	if tg, _ := parseURL("http://localhost:8025"); tg.host != "localhost:8025" {
		t.Errorf("Host/Origin of http://localhost:8025 = %q, want the URL's", tg.host)
	}
	refused := []string{
		"http://10.0.0.1:8025", "http://192.168.1.10:8025", "http://0.0.0.0:8025", "http://[::]:8025",
		"http://example.com:8025", "http://localhost.example.com:8025", "http://127.0.0.1.nip.io:8025",
		"http://[fe80::1%25lo]:8025", "https://127.0.0.1:8025", "ws://127.0.0.1:8025",
		"http://user:pw@127.0.0.1:8025", "127.0.0.1:8025", "http://127.0.0.1:0", "http://127.0.0.1:99999",
	}
	for _, raw := range refused {
		if tg, err := parseURL(raw); err == nil {
			t.Errorf("parseURL(%q) accepted (dials %s), want refused", raw, tg.dial)
		}
	}

	for _, hp := range []string{"127.0.0.1:2525", "localhost:25", "[::1]:2525"} {
		if _, err := parseTarget(hp); err != nil {
			t.Errorf("parseTarget(%q): %v", hp, err)
		}
	}
	for _, hp := range []string{"8.8.8.8:25", "mail.example.com:25", "127.0.0.1", "127.0.0.1:smtp", ":2525", "[::2]:25"} {
		if _, err := parseTarget(hp); err == nil {
			t.Errorf("parseTarget(%q) accepted, want refused", hp)
		}
	}
}

func TestSourcesSpreadOverLoopback(t *testing.T) {
	srcs, err := sources(netip.MustParseAddr("127.0.0.1"), 130, 50)
	if err != nil {
		t.Fatal(err)
	}
	count := map[netip.Addr]int{}
	for _, a := range srcs {
		if !a.IsLoopback() {
			t.Fatalf("source %s is not loopback", a)
		}
		count[a]++
	}
	want := map[netip.Addr]int{
		netip.MustParseAddr("127.0.0.2"): 50, netip.MustParseAddr("127.0.0.3"): 50, netip.MustParseAddr("127.0.0.4"): 30,
	}
	if len(count) != len(want) {
		t.Fatalf("sources use %v, want %v", count, want)
	}
	for a, n := range want {
		if count[a] != n {
			t.Errorf("%s has %d students, want %d", a, count[a], n)
		}
	}
	// Past 127.0.0.255 the next octet goes up.
	srcs, _ = sources(netip.MustParseAddr("127.0.0.1"), 300, 1)
	if got := srcs[299]; got != netip.MustParseAddr("127.0.1.45") {
		t.Errorf("300th source = %s, want 127.0.1.45", got)
	}
}

func TestReplyCode(t *testing.T) {
	ev := []byte(`{"t":"event","ev":{"seq":9,"time":"2026-01-01T00:00:00Z","session":"smtp-1","proto":"smtp","kind":"reply",` +
		`"reply":{"proto":"smtp","code":354,"lines":["354 go"],"meaning":"x","reason":"y"}},"x":{"reply":{"meaning":"m"}}}`)
	if code, ok := replyCode(ev); !ok || code != 354 {
		t.Errorf("replyCode = %d, %v; want 354, true", code, ok)
	}
	cmd := []byte(`{"t":"event","ev":{"seq":8,"session":"smtp-1","kind":"command","command":{"verb":"DATA","parts":[{"kind":"reply","text":"\"code\":250"}]}}}`)
	if _, ok := replyCode(cmd); ok {
		t.Error("a command event was read as a reply")
	}
	if got := msgType(ev); got != "event" {
		t.Errorf("msgType = %q", got)
	}
	if got := msgType([]byte(` {"key":"rate","t":"error"}`)); got != "error" {
		t.Errorf("msgType of a reordered message = %q", got)
	}
}

package dns_test

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"smtplab/sandbox/dns"
	"smtplab/sandbox/network"
)

var resolverAddr = netip.MustParseAddr("192.0.2.53")

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestNextHops(t *testing.T) {
	r := network.Default().Resolver()
	for _, tc := range []struct {
		domain string
		want   []dns.Hop
		err    error
	}{
		{domain: "univ.test", want: []dns.Hop{
			{Host: "mx1.univ.test", Pref: 10, Addr: addr("203.0.113.10")},
			{Host: "mx2.univ.test", Pref: 20, Addr: addr("203.0.113.20")},
		}},
		{domain: "UNIV.Test.", want: []dns.Hop{ // any case, final dot or not
			{Host: "mx1.univ.test", Pref: 10, Addr: addr("203.0.113.10")},
			{Host: "mx2.univ.test", Pref: 20, Addr: addr("203.0.113.20")},
		}},
		{domain: "other.test", want: []dns.Hop{{Host: "mx.other.test", Pref: 10, Addr: addr("198.51.100.25")}}},
		// The DNS does not know that the host is down: the relay finds out.
		{domain: "down.test", want: []dns.Hop{{Host: "mx.down.test", Pref: 10, Addr: addr("203.0.113.50")}}},
		{domain: "nomx.test", want: []dns.Hop{{Host: "nomx.test", Addr: addr("198.51.100.30"), Implicit: true}}},
		{domain: "nullmx.test", err: dns.ErrNullMX},
		{domain: "noaddr.test", err: dns.ErrNoAddress},
		{domain: "nope.test", err: dns.ErrNXDomain},
		{domain: "example.com", err: dns.ErrNXDomain},
	} {
		hops, err := r.NextHops(tc.domain)
		if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("NextHops(%s) error = %v, want %v", tc.domain, err, tc.err)
		}
		if !slices.Equal(hops, tc.want) {
			t.Errorf("NextHops(%s) = %+v, want %+v", tc.domain, hops, tc.want)
		}
	}
}

// TestNextHopsOrder checks the rules a real zone needs beyond the built-in
// file: sorting by preference with ties in zone order, one hop per
// address, exchangers without an address skipped, a null MX among others
// ignored, and a domain with neither MX nor address.
func TestNextHopsOrder(t *testing.T) {
	r, err := dns.NewResolver("ns.test", resolverAddr,
		dns.Zone{Origin: "big.test", Records: []dns.Record{
			{Name: "big.test", Type: dns.TypeMX, Pref: 30, Target: "c.big.test"},
			{Name: "big.test", Type: dns.TypeMX, Pref: 10, Target: "b.big.test"},
			{Name: "big.test", Type: dns.TypeMX, Pref: 10, Target: "a.big.test"},
			{Name: "big.test", Type: dns.TypeMX, Pref: 5, Target: "gone.big.test"},
			{Name: "big.test", Type: dns.TypeMX, Pref: 0, Target: "."},
			{Name: "a.big.test", Type: dns.TypeA, Addr: addr("192.0.2.1")},
			{Name: "b.big.test", Type: dns.TypeA, Addr: addr("192.0.2.2")},
			{Name: "b.big.test", Type: dns.TypeA, Addr: addr("192.0.2.3")},
			{Name: "c.big.test", Type: dns.TypeA, Addr: addr("192.0.2.4")},
		}},
		dns.Zone{Origin: "text.test", Records: []dns.Record{
			{Name: "text.test", Type: dns.TypeTXT, Text: []string{"v=spf1 -all"}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	hops, err := r.NextHops("big.test")
	if err != nil {
		t.Fatal(err)
	}
	want := []dns.Hop{
		{Host: "b.big.test", Pref: 10, Addr: addr("192.0.2.2")},
		{Host: "b.big.test", Pref: 10, Addr: addr("192.0.2.3")},
		{Host: "a.big.test", Pref: 10, Addr: addr("192.0.2.1")},
		{Host: "c.big.test", Pref: 30, Addr: addr("192.0.2.4")},
	}
	if !slices.Equal(hops, want) {
		t.Errorf("NextHops = %+v\nwant %+v", hops, want)
	}
	_, err = r.NextHops("text.test")
	var le *dns.LookupError
	if !errors.Is(err, dns.ErrNoAddress) || !errors.As(err, &le) || le.Name != "text.test" || le.Type != dns.TypeMX {
		t.Errorf("NextHops(text.test) = %v, want a LookupError for text.test MX wrapping ErrNoAddress", err)
	}
}

func TestLookups(t *testing.T) {
	r := network.Default().Resolver()
	mx, err := r.MX("Other.Test")
	if err != nil || len(mx) != 1 || !reflect.DeepEqual(mx[0], dns.Record{Name: "other.test", TTL: 3600, Type: dns.TypeMX, Pref: 10, Target: "mx.other.test"}) {
		t.Errorf("MX(other.test) = %+v, %v", mx, err)
	}
	a, err := r.A("mx1.univ.test")
	if err != nil || len(a) != 1 || a[0].Addr != addr("203.0.113.10") || a[0].TTL != 3600 {
		t.Errorf("A(mx1.univ.test) = %+v, %v", a, err)
	}
	txt, err := r.TXT("other.test")
	if err != nil || len(txt) != 1 || !slices.Equal(txt[0].Text, []string{"v=spf1 ip4:198.51.100.25 -all"}) {
		t.Errorf("TXT(other.test) = %+v, %v", txt, err)
	}
	if a, err := r.A("ns.test"); err != nil || a[0].Addr != resolverAddr {
		t.Errorf("the resolver's own name: %+v, %v", a, err)
	}
	for _, tc := range []struct {
		name string
		look func(string) ([]dns.Record, error)
		err  error
	}{
		{"mx.other.test", r.MX, dns.ErrNoData},
		{"other.test", r.A, dns.ErrNoData},
		{"mx.other.test", r.TXT, dns.ErrNoData},
		{"nope.test", r.MX, dns.ErrNXDomain},
		{"x.mx.other.test", r.A, dns.ErrNXDomain},
		{"test", r.A, dns.ErrNoData}, // it has names below it (RFC 8020)
	} {
		if recs, err := tc.look(tc.name); !errors.Is(err, tc.err) || recs != nil {
			t.Errorf("lookup %s = %v, %v; want %v", tc.name, recs, err, tc.err)
		}
	}
}

func TestQuery(t *testing.T) {
	r := network.Default().Resolver()
	m := r.Query("nope.other.test.", dns.TypeMX)
	if m.RCode != dns.NXDomain || len(m.Answer) != 0 || len(m.Authority) != 1 {
		t.Fatalf("Query(nope.other.test) = %+v", m)
	}
	soa := m.Authority[0]
	if soa.Name != "other.test" || soa.TTL != dns.NegativeTTL || soa.SOA.NS != "ns.test" || soa.SOA.Mbox != "hostmaster.other.test" {
		t.Errorf("negative answer's SOA = %+v %+v", soa, soa.SOA)
	}
	// Header 12 + question 16 (other.test: 12 octets, type and class 4)
	// + MX 19 (owner pointer 2, type, class, TTL, length 10, preference 2,
	// "mx" and a pointer 5) + OPT 11.
	if got := r.Query("other.test", dns.TypeMX).Size(); got != 58 {
		t.Errorf("MX other.test: size %d, want 58", got)
	}
}

func TestZonesChange(t *testing.T) {
	r := network.Default().Resolver()
	z := network.ClassZone("2nde-b.test", "")
	if err := r.Add(z); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(z); !errors.Is(err, dns.ErrZoneExists) {
		t.Errorf("second Add = %v, want ErrZoneExists", err)
	}
	hops, err := r.NextHops("2nde-b.test")
	if err != nil || len(hops) != 1 || hops[0].Host != "mail.2nde-b.test" || hops[0].Pref != network.ClassPref {
		t.Errorf("class domain hops = %+v, %v", hops, err)
	}
	if !slices.Contains(r.Origins(), "2nde-b.test") || r.Origins()[0] != "." {
		t.Errorf("Origins = %v", r.Origins())
	}
	if !r.Remove("2nde-b.test") || r.Remove("2nde-b.test") {
		t.Error("Remove should report the zone once")
	}
	if _, err := r.NextHops("2nde-b.test"); !errors.Is(err, dns.ErrNXDomain) {
		t.Errorf("after Remove: %v, want NXDOMAIN", err)
	}
	if r.Remove(".") {
		t.Error("the root zone was removed")
	}
}

// TestZonesConcurrent adds and removes class zones while lookups and
// commands run; go test -race checks it.
func TestZonesConcurrent(t *testing.T) {
	n := network.Default()
	c := dns.Client{Resolver: n.Resolver(), Now: func() time.Time { return clock }, NewID: func() uint16 { return 1 }}
	const classes, rounds = 4, 50
	var wg sync.WaitGroup
	for i := range classes {
		domain := "class-" + strconv.Itoa(i) + ".test"
		wg.Go(func() {
			for range rounds {
				if err := c.Resolver.Add(network.ClassZone(domain, "")); err != nil {
					t.Error(err)
					return
				}
				c.Resolver.Remove(domain)
			}
		})
		wg.Go(func() {
			for range rounds {
				if _, err := c.Resolver.NextHops(domain); err != nil && !errors.Is(err, dns.ErrNXDomain) {
					t.Error(err)
				}
				if hops, err := c.Resolver.NextHops("univ.test"); err != nil || len(hops) != 2 {
					t.Errorf("univ.test while zones change: %v, %v", hops, err)
				}
				if _, err := c.Dig([]string{"MX", domain}); err != nil {
					t.Error(err)
				}
				c.Resolver.Origins()
			}
		})
	}
	wg.Wait()
}

func TestParseType(t *testing.T) {
	for in, want := range map[string]dns.Type{"mx": dns.TypeMX, "A": dns.TypeA, "txt": dns.TypeTXT,
		"TYPE99": dns.TypeSPF, "type65": 65, "any": dns.TypeANY} {
		if got, ok := dns.ParseType(in); !ok || got != want {
			t.Errorf("ParseType(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"foo", "OPT", "TYPE70000", "", "other.test"} {
		if _, ok := dns.ParseType(in); ok {
			t.Errorf("ParseType(%q) accepted", in)
		}
	}
	if dns.Type(65).String() != "TYPE65" || dns.TypeMX.String() != "MX" {
		t.Error("Type.String")
	}
}

func TestRecordText(t *testing.T) {
	for _, tc := range []struct {
		r    dns.Record
		want string
	}{
		{dns.Record{Name: "a.test", TTL: 60, Type: dns.TypeTXT, Text: []string{`say "hi"`, `back\slash`, "caf\xc3\xa9"}},
			"a.test.\t\t\t60\tIN\tTXT\t\"say \\\"hi\\\"\" \"back\\\\slash\" \"caf\\195\\169\""},
		{dns.Record{Name: "nullmx.test", TTL: 3600, Type: dns.TypeMX, Target: "."},
			"nullmx.test.\t\t3600\tIN\tMX\t0 ."},
		// A name past the TTL column gets one space, as BIND's columns do.
		{dns.Record{Name: "a-rather-long-name.univ.test", TTL: 3600, Type: dns.TypeA, Addr: addr("203.0.113.10")},
			"a-rather-long-name.univ.test. 3600 IN\tA\t203.0.113.10"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

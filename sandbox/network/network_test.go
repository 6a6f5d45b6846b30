package network_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/dns"
	"smtplab/sandbox/network"
)

func TestDefault(t *testing.T) {
	n := network.Default()
	if n.ResolverName != "ns.test" || n.ResolverAddr != netip.MustParseAddr("192.0.2.53") {
		t.Errorf("resolver %s %s", n.ResolverName, n.ResolverAddr)
	}
	var names []string
	for _, d := range n.Domains {
		names = append(names, d.Name)
	}
	want := []string{"example.test", "other.test", "univ.test", "corp.test", "grey.test", "down.test", "nullmx.test", "nomx.test", "noaddr.test"}
	if !slices.Equal(names, want) {
		t.Errorf("domains %v, want %v", names, want)
	}

	practice, _ := n.Domain("EXAMPLE.test.")
	c := practice.Config()
	if !practice.Builtin || c.Domain != sandbox.DefaultDomain || c.Host != "mail.example.test" ||
		!reflect.DeepEqual(c.Entries, sandbox.DefaultEntries()) {
		t.Errorf("practice domain config %+v", c)
	}

	other, ok := n.Domain("other.test")
	if !ok || other.Host != "mx.other.test" || !strings.Contains(other.Banner, "{host}") {
		t.Fatalf("other.test = %+v", other)
	}
	c = other.Config()
	bob := sandbox.Entry{Local: "bob", Kind: sandbox.KindUser, FullName: "Bob Lambert", Password: "bob"}
	if c.Name != "other.test" || c.Domain != "other.test" || c.Host != "mx.other.test" || len(c.Entries) < 3 || !reflect.DeepEqual(c.Entries[0], bob) {
		t.Errorf("other.test config %+v", c)
	}
	for _, e := range c.Entries {
		if e.Kind == sandbox.KindUser && e.Password != e.Local {
			t.Errorf("%s's password is not the user name", e.Local)
		}
	}
	if !slices.ContainsFunc(c.Entries, func(e sandbox.Entry) bool { return e.Local == "postmaster" && e.Kind == sandbox.KindAlias }) {
		t.Error("other.test has no postmaster (RFC 5321 §4.5.1)")
	}
	c.Entries[0].FullName = "changed"
	if again, _ := n.Domain("other.test"); again.Config().Entries[0].FullName != "Bob Lambert" {
		t.Error("Config shares its entries with the network")
	}

	var servers []string
	for _, d := range n.Servers() {
		servers = append(servers, d.Name)
	}
	if want := []string{"example.test", "other.test", "univ.test", "corp.test", "grey.test", "down.test", "nomx.test"}; !slices.Equal(servers, want) {
		t.Errorf("Servers() = %v, want %v", servers, want)
	}
}

func TestServerAt(t *testing.T) {
	n := network.Default()
	for host, want := range map[string]string{
		"mx.other.test": "other.test", "MX2.univ.test.": "univ.test", "mx1.univ.test": "univ.test",
		"nomx.test": "nomx.test", "mail.example.test": "example.test",
		"mx.down.test": "", "nullmx.test": "", "mail.noaddr.test": "", "ns.test": "",
	} {
		d, ok := n.ServerAt(host)
		if ok != (want != "") || d.Name != want {
			t.Errorf("ServerAt(%s) = %q, %v; want %q", host, d.Name, ok, want)
		}
	}
	if !n.Down("mx.down.test") || n.Down("mx.other.test") {
		t.Error("Down")
	}
	if !n.Refuses("mx.down.test") || !n.Refuses("nullmx.test") || n.Refuses("mx2.univ.test") {
		t.Error("Refuses")
	}
}

func TestResolver(t *testing.T) {
	n := network.Default()
	r := n.Resolver()
	// Every server has an address, and its address names it back.
	for _, d := range n.Servers() {
		for _, h := range append([]string{d.Host}, d.Aliases...) {
			a, err := r.A(h)
			if err != nil {
				t.Errorf("%s: %v", h, err)
				continue
			}
			ptr := r.Query(dns.ReverseName(a[0].Addr), dns.TypePTR)
			if len(ptr.Answer) != 1 || ptr.Answer[0].Target != h {
				t.Errorf("reverse of %s: %+v", h, ptr.Answer)
			}
		}
	}
	// Every address is a documentation address (RFC 5737).
	for _, d := range n.Domains {
		for _, rec := range d.Records {
			if rec.Type == dns.TypeA && !slices.ContainsFunc(testNets, func(p netip.Prefix) bool { return p.Contains(rec.Addr) }) {
				t.Errorf("%s: %s outside TEST-NET", rec.Name, rec.Addr)
			}
		}
	}
	// Two resolvers do not share their zones.
	if err := r.Add(network.ClassZone("x.test", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Resolver().MX("x.test"); !errors.Is(err, dns.ErrNXDomain) {
		t.Errorf("a class zone leaked to another resolver: %v", err)
	}
}

var testNets = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
}

func TestClassZone(t *testing.T) {
	pool := netip.MustParsePrefix("203.0.113.128/25")
	seen := map[netip.Addr]bool{}
	for _, d := range []string{"2nde-b.test", "class.test", "bts-sio.test", "x.test", "terminale-3.test"} {
		z := network.ClassZone(d, "")
		if z.Origin != d || len(z.Records) != 2 {
			t.Fatalf("ClassZone(%s) = %+v", d, z)
		}
		mx, a := z.Records[0], z.Records[1]
		if mx.Type != dns.TypeMX || mx.Target != "mail."+d || a.Type != dns.TypeA || a.Name != "mail."+d {
			t.Errorf("ClassZone(%s) records %+v", d, z.Records)
		}
		if !pool.Contains(a.Addr) || a.Addr == pool.Addr() || a.Addr == netip.MustParseAddr("203.0.113.255") {
			t.Errorf("ClassZone(%s) address %s", d, a.Addr)
		}
		if again := network.ClassZone(strings.ToUpper(d)+".", ""); !reflect.DeepEqual(again, z) {
			t.Errorf("ClassZone(%s) differs between calls", d)
		}
		seen[a.Addr] = true
	}
	if len(seen) < 3 {
		t.Errorf("class addresses hardly differ: %v", seen)
	}
	// The built-in file leaves the pool free.
	for _, d := range network.Default().Domains {
		for _, rec := range d.Records {
			if rec.Type == dns.TypeA && pool.Contains(rec.Addr) {
				t.Errorf("%s uses %s, in the class pool", rec.Name, rec.Addr)
			}
		}
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "class.zone")
	src := `$RESOLVER ns.test 192.0.2.53
$DOMAIN lycee.test          ; a school
$SERVER mail.lycee.test
$BANNER "{host} ESMTP ready; say \"hello\""
$USER ana "Ana Lopez"
$USER Ben
@                      300 IN MX 5 mail.lycee.test
mail.lycee.test        IN A 192.0.2.77
_dmarc.lycee.test.     TXT "v=DMARC1; p=none" "second string"
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := network.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := n.Domain("lycee.test")
	if d.Banner != `{host} ESMTP ready; say "hello"` {
		t.Errorf("banner %q", d.Banner)
	}
	if len(d.Entries) != 2 || !reflect.DeepEqual(d.Entries[1], sandbox.Entry{Local: "ben", Kind: sandbox.KindUser, Password: "ben"}) {
		t.Errorf("entries %+v", d.Entries)
	}
	want := []dns.Record{
		{Name: "lycee.test", TTL: 300, Type: dns.TypeMX, Pref: 5, Target: "mail.lycee.test"},
		{Name: "mail.lycee.test", TTL: network.DefaultTTL, Type: dns.TypeA, Addr: netip.MustParseAddr("192.0.2.77")},
		{Name: "_dmarc.lycee.test", TTL: network.DefaultTTL, Type: dns.TypeTXT, Text: []string{"v=DMARC1; p=none", "second string"}},
	}
	if !reflect.DeepEqual(d.Records, want) {
		t.Errorf("records\n%+v\nwant\n%+v", d.Records, want)
	}
	if _, err := network.Load(filepath.Join(t.TempDir(), "missing.zone")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestParseErrors checks that a bad file is refused with the line of the
// problem and a message that names it.
func TestParseErrors(t *testing.T) {
	const head = "$RESOLVER ns.test 192.0.2.53\n$DOMAIN a.test\n"
	for _, tc := range []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unknown directive", head + "$ORIGIN a.test\n", 3, "unknown directive $ORIGIN"},
		{"record first", "$RESOLVER ns.test 192.0.2.53\na.test. IN A 192.0.2.1\n", 2, "must follow a $DOMAIN"},
		{"bad address", head + "a.test. IN A 192.0.2.300\n", 3, "not an IPv4 address"},
		{"real address", head + "a.test. IN A 8.8.8.8\n", 3, "outside the documentation ranges"},
		{"real domain", head + "a.test. IN MX 10 mail.example.com.\n", 3, "end in .test"},
		{"relative name", head + "a.test. IN MX 10 mail\n", 3, "written in full"},
		{"outside domain", head + "b.test. IN A 192.0.2.1\n", 3, "not in the domain a.test"},
		{"bad preference", head + "a.test. IN MX ten mail.a.test.\n", 3, "MX preference"},
		{"MX arity", head + "a.test. IN MX mail.a.test.\n", 3, "preference and a host"},
		{"null MX and others", head + "a.test. IN MX 0 .\na.test. IN MX 10 mx.a.test.\n", 3, "null MX must be the only one"},
		{"null MX preference", head + "a.test. IN MX 10 .\n", 3, "preference 0"},
		{"server without address", head + "$SERVER mail.a.test\n", 3, "no A record"},
		{"down without address", head + "$DOWN mail.a.test\n", 3, "no A record"},
		{"domain twice", head + "$DOMAIN A.test.\n", 3, "declared twice"},
		{"user twice", head + "$SERVER a.test\na.test. IN A 192.0.2.1\n$USER bob\n$USER Bob\n", 6, "listed twice"},
		{"bad user", head + "$SERVER a.test\na.test. IN A 192.0.2.1\n$USER bob@a.test\n", 5, "not a user name"},
		{"alias to nobody", head + "$SERVER a.test\na.test. IN A 192.0.2.1\n$ALIAS postmaster zoe\n", 5, "not a user of a.test"},
		{"builtin and users", head + "$SERVER a.test\na.test. IN A 192.0.2.1\n$USERS builtin\n$USER bob\n", 6, "built-in users"},
		{"users without server", head + "$USER bob\n", 2, "no $SERVER"},
		{"banner unquoted", head + "$SERVER a.test\na.test. IN A 192.0.2.1\n$BANNER hello\n", 5, "double quotes"},
		{"banner too long", head + "$SERVER a.test\na.test. IN A 192.0.2.1\n$BANNER \"" + strings.Repeat("x", network.MaxBanner+1) + "\"\n", 5, "at most"},
		{"greylist not a delay", head + "$SERVER a.test\na.test. IN A 192.0.2.1\n$GREYLIST soon\n", 5, "from 1s to 5m0s"},
		{"greylist too long", head + "$SERVER a.test\na.test. IN A 192.0.2.1\n$GREYLIST 1h\n", 5, "from 1s to 5m0s"},
		{"greylist twice", head + "$SERVER a.test\na.test. IN A 192.0.2.1\n$GREYLIST 40s\n$GREYLIST 1m\n", 6, "given twice"},
		{"quote not closed", head + "a.test. IN TXT \"v=spf1\n", 3, "not closed"},
		{"AAAA", head + "a.test. IN AAAA 2001:db8::1\n", 3, `"AAAA" is not supported`},
		{"TXT unquoted", head + "a.test. IN TXT v=spf1\n", 3, "double quotes"},
		{"TXT too long", head + "a.test. IN TXT \"" + strings.Repeat("x", 256) + "\"\n", 3, "at most 255"},
		{"bad TTL", head + "$TTL forever\n", 3, "TTL"},
		{"parentheses", head + "a.test. IN SOA ( 1 2 )\n", 3, "parentheses"},
		{"no type", head + "a.test. 300 IN\n", 3, "without a type"},
		{"no resolver", "$DOMAIN a.test\n", 1, "no $RESOLVER"},
		{"resolver twice", head + "$RESOLVER ns.test 192.0.2.53\n", 3, "given twice"},
		{"directive arity", head + "$DOMAIN\n", 3, "takes one domain name"},
		{"inner domain", head + "x.b.a.test. IN A 192.0.2.1\n$DOMAIN b.a.test\n", 3, "inside the domain b.a.test"},
		{"long line", head + strings.Repeat("x", network.MaxLine+1) + "\n", 3, "longer than"},
	} {
		_, err := network.Parse("t.zone", strings.NewReader(tc.src))
		var e *network.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v, want a *network.Error", tc.name, err)
			continue
		}
		if e.Line != tc.line || !strings.Contains(e.Msg, tc.msg) || e.File != "t.zone" {
			t.Errorf("%s: %v; want line %d and %q", tc.name, err, tc.line, tc.msg)
		}
		if !strings.HasPrefix(err.Error(), "t.zone:") {
			t.Errorf("%s: %q does not start with the file name", tc.name, err)
		}
	}
}

// TestParseErrorList checks that every problem is reported, in line order.
func TestParseErrorList(t *testing.T) {
	src := "$DOMAIN a.test\na.test. IN A 1.2.3.4\n$BOGUS\na.test. IN MX 0 .\na.test. IN MX 20 b.test.\n"
	_, err := network.Parse("t.zone", strings.NewReader(src))
	var list network.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v, want an ErrorList", err)
	}
	var lines []int
	for _, e := range list {
		lines = append(lines, e.Line)
	}
	if want := []int{1, 2, 3, 4}; !slices.Equal(lines, want) {
		t.Errorf("lines %v, want %v:\n%v", lines, want, err)
	}
}

func TestParseLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("$RESOLVER ns.test 192.0.2.53\n")
	for range network.MaxErrors + 5 {
		b.WriteString("$BOGUS\n")
	}
	_, err := network.Parse("t.zone", strings.NewReader(b.String()))
	var list network.ErrorList
	if !errors.As(err, &list) || len(list) != network.MaxErrors {
		t.Errorf("got %d errors, want at most %d", len(list), network.MaxErrors)
	}
	big := strings.Repeat("; comment\n", network.MaxFileSize/10+1)
	if _, err := network.Parse("t.zone", strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("file too large: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("$RESOLVER ns.test 192.0.2.53\n$DOMAIN b.test\n$SERVER mx.b.test m2.b.test\n$USER bob \"Bob\"\n" +
		"$ALIAS postmaster bob\n$DOWN m2.b.test\nb.test. 60 IN MX 10 mx.b.test.\nmx.b.test. IN A 198.51.100.1\nm2.b.test. IN A 198.51.100.2\n")
	f.Add("$RESOLVER ns.test 192.0.2.53\n$DOMAIN a.test\n@ IN TXT \"a\\\"b\" ; c\n")
	f.Fuzz(func(t *testing.T, src string) {
		n, err := network.Parse("f.zone", strings.NewReader(src))
		if err != nil {
			return
		}
		// Whatever a file declares, its network builds a resolver.
		r := n.Resolver()
		for _, d := range n.Domains {
			r.NextHops(d.Name)
			d.Config()
		}
	})
}

package catalog

import (
	"strings"
	"testing"
)

// TestDNSArea checks the area of the simulated DNS: the programs' fixed
// texts in dns.wire.json, and explanations of its sections and outcomes
// in both locales (package dns checks that each is used).
func TestDNSArea(t *testing.T) {
	kinds := areaFiles(t)["dns"]
	for _, k := range []string{"wire", string(FR), string(EN)} {
		if len(kinds[k]) == 0 {
			t.Errorf("no dns.%s.json, or an empty one", k)
		}
	}
	for _, k := range []string{"dns.dig.header", "dns.host.mx", "dns.nslookup.mx"} {
		if _, ok := kinds["wire"][k]; !ok {
			t.Errorf("dns.wire.json lacks %s", k)
		}
	}
	for _, l := range Locales {
		for k := range kinds[string(l)] {
			if !strings.HasPrefix(k, "dns.section.") && !strings.HasPrefix(k, "dns.outcome.") {
				t.Errorf("%s: %s is neither a dns.section nor a dns.outcome key", l, k)
			}
		}
		for _, k := range []string{"dns.outcome.mx_backup", "dns.outcome.null_mx", "dns.outcome.implicit_mx",
			"dns.outcome.nxdomain", "dns.outcome.nodata", "dns.outcome.down", "dns.section.answer", "dns.section.authority"} {
			if _, ok := Text(l, k, nil); !ok {
				t.Errorf("%s: no text for %s", l, k)
			}
		}
	}
}

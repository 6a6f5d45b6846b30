package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var names = []string{"mail.example.test", "localhost", "127.0.0.1", "::1", "class-pc.lan"}

// clock is a settable time for the tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newClock() *clock { return &clock{time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func load(t *testing.T, c Config) *Cert {
	t.Helper()
	cert, err := Load(c)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cert
}

func TestGenerated(t *testing.T) {
	clk := newClock()
	c := load(t, Config{Names: names, Now: clk.now})
	if c.Origin != Generated || c.File != "" || c.Replaced != "" {
		t.Errorf("origin %q, file %q, replaced %q; want generated in memory", c.Origin, c.File, c.Replaced)
	}
	key, ok := c.TLS.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Errorf("key %T, want ECDSA P-256", c.TLS.PrivateKey)
	}
	if c.Leaf.Subject.CommonName != "mail.example.test" {
		t.Errorf("subject %q", c.Leaf.Subject.CommonName)
	}
	if !c.Leaf.NotAfter.Equal(clk.t.Add(Validity)) || c.Leaf.NotBefore.After(clk.t) {
		t.Errorf("valid %s to %s, want from before %s for %s", c.Leaf.NotBefore, c.Leaf.NotAfter, clk.t, Validity)
	}
	// A client that trusts exactly this certificate accepts it for every name.
	roots := x509.NewCertPool()
	roots.AddCert(c.Leaf)
	for _, n := range names {
		_, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: n, Roots: roots, CurrentTime: clk.t, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			t.Errorf("verify for %s: %v", n, err)
		}
	}
	if c.Leaf.VerifyHostname("mail.elsewhere.test") == nil {
		t.Error("the certificate covers a name it was not made for")
	}
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(c.Fingerprint) || c.Fingerprint != Fingerprint(c.Leaf.Raw) {
		t.Errorf("fingerprint %q", c.Fingerprint)
	}
	if other := load(t, Config{Names: names, Now: clk.now}); other.Fingerprint == c.Fingerprint {
		t.Error("two generated certificates have the same fingerprint")
	}
}

func TestFingerprintFormat(t *testing.T) {
	// SHA-256 of "abc" (FIPS 180-2, appendix B.1).
	want := "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
	if got := Fingerprint([]byte("abc")); got != want {
		t.Errorf("Fingerprint(abc) = %s, want %s", got, want)
	}
}

func TestKeptAndReusedAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // not there yet
	clk := newClock()
	first := load(t, Config{Dir: dir, Names: names, Now: clk.now})
	if first.Origin != Generated || first.File != filepath.Join(dir, CertFile) {
		t.Fatalf("first start: origin %q, file %q", first.Origin, first.File)
	}
	for file, mode := range map[string]fs.FileMode{KeyFile: 0o600, CertFile: 0o644} {
		st, err := os.Stat(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", file, st.Mode().Perm(), mode)
		}
	}
	clk.t = clk.t.Add(100 * 24 * time.Hour)
	second := load(t, Config{Dir: dir, Names: names, Now: clk.now})
	if second.Origin != Reused || second.Fingerprint != first.Fingerprint || second.Replaced != "" {
		t.Errorf("restart: origin %q, fingerprint %s (was %s), replaced %q", second.Origin, second.Fingerprint, first.Fingerprint, second.Replaced)
	}
	// The kept files are what a client is given to trust: they must be
	// the certificate served.
	pair, err := tls.LoadX509KeyPair(second.File, filepath.Join(dir, KeyFile))
	if err != nil || Fingerprint(pair.Certificate[0]) != first.Fingerprint {
		t.Errorf("kept files: %v", err)
	}
}

func TestReplacedWhenNoLongerGood(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config, *clock)
		why    string
	}{
		{"expired", func(_ *Config, c *clock) { c.t = c.t.Add(Validity + time.Hour) }, "it expired on "},
		{"expires soon", func(_ *Config, c *clock) { c.t = c.t.Add(Validity - RenewBefore + time.Hour) }, "it expires soon"},
		{"clock went back", func(_ *Config, c *clock) { c.t = c.t.Add(-48 * time.Hour) }, "it is not valid before"},
		{"new host name", func(cfg *Config, _ *clock) { cfg.Names = append(cfg.Names, "mail.class.test") }, "it does not cover mail.class.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			cfg := Config{Dir: t.TempDir(), Names: names, Now: clk.now}
			first := load(t, cfg)
			tc.change(&cfg, clk)
			next := load(t, cfg)
			if next.Origin != Generated || next.Fingerprint == first.Fingerprint || !strings.HasPrefix(next.Replaced, tc.why) {
				t.Fatalf("origin %q, same fingerprint %v, replaced %q; want a new one because %q", next.Origin, next.Fingerprint == first.Fingerprint, next.Replaced, tc.why)
			}
			if again := load(t, cfg); again.Origin != Reused || again.Fingerprint != next.Fingerprint {
				t.Errorf("the replacement was not kept: origin %q", again.Origin)
			}
		})
	}
	// Just before the renewal margin, the certificate is still reused.
	clk := newClock()
	cfg := Config{Dir: t.TempDir(), Names: names, Now: clk.now}
	load(t, cfg)
	clk.t = clk.t.Add(Validity - RenewBefore - time.Hour)
	if c := load(t, cfg); c.Origin != Reused {
		t.Errorf("%s before the margin: origin %q, replaced %q", time.Hour, c.Origin, c.Replaced)
	}
}

func TestBrokenKeptFilesAreReplaced(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Names: names}
	load(t, cfg)
	os.WriteFile(filepath.Join(dir, CertFile), []byte("not a certificate\n"), 0o644)
	c := load(t, cfg)
	if c.Origin != Generated || !strings.Contains(c.Replaced, "holds no PEM certificate") {
		t.Errorf("origin %q, replaced %q", c.Origin, c.Replaced)
	}
}

func TestTeachersOwnFiles(t *testing.T) {
	// A pair made elsewhere, say by the school, for other names.
	src := t.TempDir()
	made := load(t, Config{Dir: src, Names: []string{"smtp.school.test"}})
	certPath, keyPath := filepath.Join(src, CertFile), filepath.Join(src, KeyFile)
	c := load(t, Config{Dir: t.TempDir(), Names: names, CertFile: certPath, KeyFile: keyPath})
	if c.Origin != Own || c.Fingerprint != made.Fingerprint || c.File != certPath {
		t.Errorf("origin %q, file %q, fingerprint matches %v", c.Origin, c.File, c.Fingerprint == made.Fingerprint)
	}
}

func TestTeachersFilesErrors(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	load(t, Config{Dir: dir, Names: names, Now: clk.now})
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	otherDir := t.TempDir()
	load(t, Config{Dir: otherDir, Names: names, Now: clk.now})
	otherKey := filepath.Join(otherDir, KeyFile)
	missing := filepath.Join(dir, "missing.pem")
	later := *clk
	later.t = later.t.Add(Validity + time.Hour)

	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"missing certificate", Config{CertFile: missing, KeyFile: keyPath}, []string{"cannot read the TLS certificate", missing, "no such file"}},
		{"missing key", Config{CertFile: certPath, KeyFile: missing}, []string{"cannot read the TLS key", missing}},
		{"key given as certificate", Config{CertFile: keyPath, KeyFile: keyPath}, []string{keyPath, "holds no PEM certificate"}},
		{"certificate given as key", Config{CertFile: certPath, KeyFile: certPath}, []string{certPath, "holds no PEM private key"}},
		{"another certificate's key", Config{CertFile: certPath, KeyFile: otherKey}, []string{"the TLS key " + otherKey + " does not go with the certificate " + certPath}},
		{"expired", Config{CertFile: certPath, KeyFile: keyPath, Now: later.now}, []string{"the certificate in " + certPath + " expired on "}},
		{"certificate without key", Config{CertFile: certPath}, []string{"both its certificate file and its key file"}},
		{"key without certificate", Config{KeyFile: keyPath}, []string{"both its certificate file and its key file"}},
		{"no names", Config{}, []string{"at least one host name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.Now == nil {
				tc.cfg.Now = clk.now
			}
			c, err := Load(tc.cfg)
			if err == nil {
				t.Fatalf("loaded %q, want an error", c.Fingerprint)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestServerConfig(t *testing.T) {
	c := load(t, Config{Names: names})
	cfg := c.Config()
	if cfg.MinVersion != tls.VersionTLS12 || len(cfg.Certificates) != 1 {
		t.Errorf("min version %x, %d certificates", cfg.MinVersion, len(cfg.Certificates))
	}
}

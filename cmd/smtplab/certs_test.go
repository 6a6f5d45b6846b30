package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"smtplab/certs"
)

func TestTLSFlags(t *testing.T) {
	c, err := parseConfig(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Submission != "127.0.0.1:2587" || c.Submissions != "127.0.0.1:2465" || c.POP3S != "127.0.0.1:1995" || c.TLSCert != "" || c.TLSKey != "" {
		t.Errorf("defaults: submission %q, submissions %q, pop3s %q, cert %q, key %q", c.Submission, c.Submissions, c.POP3S, c.TLSCert, c.TLSKey)
	}
	env := map[string]string{"SMTPLAB_SUBMISSIONS": "off", "SMTPLAB_POP3S": "127.0.0.1:3995", "SMTPLAB_TLS_CERT": "/etc/c.pem", "SMTPLAB_TLS_KEY": "/etc/k.pem"}
	c, err = parseConfig([]string{"-submission", "127.0.0.1:3587"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Submission != "127.0.0.1:3587" || c.Submissions != "off" || c.POP3S != "127.0.0.1:3995" || c.TLSCert != "/etc/c.pem" || c.TLSKey != "/etc/k.pem" {
		t.Errorf("flags and environment: %+v", c)
	}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-tls-cert", "c.pem"}, nil, "-tls-cert needs -tls-key too"},
		{[]string{"-tls-key", "k.pem"}, nil, "-tls-key needs -tls-cert too"},
		{nil, map[string]string{"SMTPLAB_TLS_KEY": "k.pem"}, "SMTPLAB_TLS_KEY needs -tls-cert too"},
	} {
		_, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v %v: error %v, want %q", tc.args, tc.env, err, tc.want)
		}
	}
}

var certLog = regexp.MustCompile(`msg="TLS certificate" origin=(\w+) .* file=(\S+) sha256=([0-9A-F:]+)`)

// servedFingerprint is the fingerprint of the certificate an implicit-TLS
// service presents, checked against the file a client would trust.
func servedFingerprint(t *testing.T, addr, caFile string) string {
	t.Helper()
	roots := x509.NewCertPool()
	if pem, err := os.ReadFile(caFile); err != nil || !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("certificate file %s: %v", caFile, err)
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: ioTimeout}, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: "mail.example.test"})
	if err != nil {
		t.Fatalf("TLS to %s: %v", addr, err)
	}
	defer c.Close()
	return certs.Fingerprint(c.ConnectionState().PeerCertificates[0].Raw)
}

// TestCertificateKeptAcrossRestarts: the first start makes a certificate
// and logs its fingerprint; the services present it; the next start on
// the same data folder presents the same one, so mail programs that
// trusted it keep working.
func TestCertificateKeptAcrossRestarts(t *testing.T) {
	data := t.TempDir()
	args := append([]string{"-data", data}, tlsArgs...)
	first := startApp(t, args...)
	m := certLog.FindStringSubmatch(first.logs.String())
	if m == nil || m[1] != "generated" || m[2] != filepath.Join(data, certs.CertFile) {
		t.Fatalf("first start does not log a generated certificate in %s:\n%s", data, first.logs)
	}
	fp := m[3]
	if got := servedFingerprint(t, first.addr(t, "submissions"), m[2]); got != fp {
		t.Errorf("served %s, logged %s", got, fp)
	}
	for _, want := range []string{
		`service=submission addr=127.0.0.1:` + first.port(t, "submission") + ` tls=starttls try="openssl s_client -starttls smtp -connect 127.0.0.1:` + first.port(t, "submission"),
		`service=submissions addr=127.0.0.1:` + first.port(t, "submissions") + ` tls=implicit try="openssl s_client -connect 127.0.0.1:` + first.port(t, "submissions"),
		`service=pop3s addr=127.0.0.1:` + first.port(t, "pop3s") + ` tls=implicit try="openssl s_client -connect 127.0.0.1:` + first.port(t, "pop3s"),
	} {
		if !strings.Contains(first.logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, first.logs)
		}
	}
	if err := first.shutdown(); err != nil {
		t.Fatal(err)
	}
	second := startApp(t, args...)
	m = certLog.FindStringSubmatch(second.logs.String())
	if m == nil || m[1] != "reused" || m[3] != fp {
		t.Fatalf("restart does not reuse the certificate %s:\n%s", fp, second.logs)
	}
	if got := servedFingerprint(t, second.addr(t, "pop3s"), m[2]); got != fp {
		t.Errorf("after the restart pop3s serves %s, want %s", got, fp)
	}
}

// TestTeachersCertificate: -tls-cert and -tls-key are what the services
// present, whatever the data folder holds.
func TestTeachersCertificate(t *testing.T) {
	dir := t.TempDir()
	own, err := certs.Load(certs.Config{Dir: dir, Names: []string{"mail.example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	a := startApp(t, append([]string{"-data", t.TempDir(), "-tls-cert", own.File, "-tls-key", filepath.Join(dir, certs.KeyFile)}, tlsArgs...)...)
	if m := certLog.FindStringSubmatch(a.logs.String()); m == nil || m[1] != "own" || m[3] != own.Fingerprint {
		t.Fatalf("the log does not show the teacher's certificate %s:\n%s", own.Fingerprint, a.logs)
	}
	if got := servedFingerprint(t, a.addr(t, "submissions"), own.File); got != own.Fingerprint {
		t.Errorf("served %s, want the teacher's %s", got, own.Fingerprint)
	}
}

// TestBadCertificateStopsTheStart: a certificate that cannot be read is
// an error at start, naming the file, and no service stays open.
func TestBadCertificateStopsTheStart(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	notPEM := writeFile(t, "cert.txt", "not a certificate\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{"-tls-cert", missing, "-tls-key", missing}, "smtplab: TLS certificate: cannot read the TLS certificate: open " + missing + ": no such file or directory\n"},
		{"not PEM", []string{"-tls-cert", notPEM, "-tls-key", notPEM}, "smtplab: TLS certificate: " + notPEM + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			code := run(ctx, append(append([]string(nil), loopbackArgs...), tc.args...), noEnv, &stderr)
			if code != 1 || stderr.String() != tc.want {
				t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr.String(), tc.want)
			}
		})
	}
}

// TestNoCertificateWithoutTLS: with every service that speaks TLS off,
// no certificate is made.
func TestNoCertificateWithoutTLS(t *testing.T) {
	a := startApp(t, "-smtp", "off", "-pop3", "off")
	if a.cert != nil || strings.Contains(a.logs.String(), "TLS certificate") {
		t.Errorf("a certificate was made for POP2 alone:\n%s", a.logs)
	}
	if info := a.tlsInfo(); info.Fingerprint != "" {
		t.Errorf("the pages would show TLS: %+v", info)
	}
}

// TestMemoryOnlyCertificate: with -data off the certificate lives in
// memory, and the log says a restart changes it.
func TestMemoryOnlyCertificate(t *testing.T) {
	a := startApp(t, tlsArgs...)
	if a.cert == nil || a.cert.File != "" || a.cert.Origin != certs.Generated {
		t.Fatalf("certificate %+v", a.cert)
	}
	if !strings.Contains(a.logs.String(), `file="none (-data off): a restart makes a new one, with a new fingerprint" sha256=`+a.cert.Fingerprint) {
		t.Errorf("the log does not say the certificate is in memory only:\n%s", a.logs)
	}
	info := a.tlsInfo()
	if info.Fingerprint != a.cert.Fingerprint || !info.SelfSigned || info.Submission != a.ports["submission"] ||
		info.Submissions != a.ports["submissions"] || info.POP3 != a.ports["pop3"] || info.POP3S != a.ports["pop3s"] {
		t.Errorf("for the pages: %+v, ports %v", info, a.ports)
	}
}

// TestHomeShowsTheFingerprint: the home page gives the fingerprint and
// the TLS ports, in both languages.
func TestHomeShowsTheFingerprint(t *testing.T) {
	a := startApp(t, append([]string{"-http", "127.0.0.1:0"}, tlsArgs...)...)
	for lang, want := range map[string][]string{
		"fr": {"Empreinte SHA-256", "port " + a.port(t, "submissions") + ", SSL/TLS"},
		"en": {"SHA-256 fingerprint", "port " + a.port(t, "submission") + ", STARTTLS"},
	} {
		req, _ := http.NewRequest("GET", "http://"+a.httpAddr+"/", nil)
		req.Header.Set("Accept-Language", lang)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		page := string(b)
		for _, w := range append(want, a.cert.Fingerprint, `aria-labelledby="tls-title"`) {
			if !strings.Contains(page, w) {
				t.Errorf("%s home page lacks %q", lang, w)
			}
		}
	}
}

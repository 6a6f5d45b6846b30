// Package certs provides the certificate smtplab's TLS services present:
// a self-signed one made on first start for the sandbox's host names and
// kept in the data folder, or a teacher's own pair of PEM files. Mail
// programs show a certificate's SHA-256 fingerprint; Fingerprint gives it
// in the same form, so a student can compare the two.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Validity is how long a generated certificate is valid. Some mail
// programs refuse server certificates valid for longer than 398 days, even
// ones trusted by hand.
const Validity = 397 * 24 * time.Hour

// RenewBefore is how long before its end a generated certificate is
// replaced at start, so that a class never meets an expired one.
const RenewBefore = 30 * 24 * time.Hour

// backdate starts a generated certificate's validity a little in the past,
// for clients whose clock is slightly behind the server's.
const backdate = time.Hour

// serialBits is the size of a generated certificate's random serial number
// (RFC 5280 allows at most 20 octets).
const serialBits = 128

// File names of the generated pair in the data folder.
const (
	CertFile = "tls-cert.pem"
	KeyFile  = "tls-key.pem"
)

// Origin says where the certificate in use came from.
type Origin string

const (
	Generated Origin = "generated" // made now, and saved if there is a folder
	Reused    Origin = "reused"    // made at an earlier start, read from the folder
	Own       Origin = "own"       // the teacher's files (-tls-cert, -tls-key)
)

// Config says where the certificate comes from.
type Config struct {
	// Dir is the folder that keeps the generated pair; "" keeps it in
	// memory only, and a restart makes a new one.
	Dir string
	// Names are the host names and IP addresses a generated certificate
	// covers; the first one is its subject.
	Names []string
	// CertFile and KeyFile name a teacher's own PEM files; both or neither.
	CertFile, KeyFile string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Cert is the certificate the TLS services present.
type Cert struct {
	TLS  tls.Certificate
	Leaf *x509.Certificate
	// Fingerprint is the SHA-256 of the certificate, in the colon-separated
	// upper-case hex that mail programs and openssl show.
	Fingerprint string
	Origin      Origin
	// File is the PEM certificate on disk, to give to a client to trust;
	// "" when the certificate is in memory only.
	File string
	// Replaced says why a pair found in Dir was not reused ("" if none was
	// there, or it was reused).
	Replaced string
}

// Load returns the teacher's pair if c names one, else the generated pair
// kept in c.Dir if it is still good for c.Names, else a new one (saved in
// c.Dir when there is one).
func Load(c Config) (*Cert, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.CertFile != "" && c.KeyFile != "":
		return loadOwn(c)
	case c.CertFile != "" || c.KeyFile != "":
		return nil, errors.New("a TLS certificate needs both its certificate file and its key file")
	case len(c.Names) == 0:
		return nil, errors.New("a certificate needs at least one host name")
	case c.Dir == "":
		return generate(c)
	}
	return loadKept(c)
}

// loadOwn reads the teacher's files. Every mistake is an error that names
// the file: a wrong certificate is better refused at start than by each
// student's mail program.
func loadOwn(c Config) (*Cert, error) {
	cert, err := readPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, err
	}
	if err := current(cert.Leaf, c.Now(), 0); err != nil {
		return nil, fmt.Errorf("the certificate in %s %w", c.CertFile, err)
	}
	cert.Origin, cert.File = Own, c.CertFile
	return cert, nil
}

// loadKept reuses the pair in c.Dir, or replaces it and says why.
func loadKept(c Config) (*Cert, error) {
	certPath, keyPath := filepath.Join(c.Dir, CertFile), filepath.Join(c.Dir, KeyFile)
	var why string
	cert, err := readPair(certPath, keyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// first start
	case err != nil:
		why = err.Error()
	default:
		why = fitness(cert.Leaf, c)
	}
	if err == nil && why == "" {
		cert.Origin, cert.File = Reused, certPath
		return cert, nil
	}
	if cert, err = generate(c); err != nil {
		return nil, err
	}
	if err := save(cert, certPath, keyPath); err != nil {
		return nil, err
	}
	cert.File, cert.Replaced = certPath, why
	return cert, nil
}

// fitness says why a kept certificate no longer serves, or "".
func fitness(leaf *x509.Certificate, c Config) string {
	if err := current(leaf, c.Now(), RenewBefore); err != nil {
		return "it " + err.Error()
	}
	for _, n := range c.Names {
		if leaf.VerifyHostname(n) != nil {
			return "it does not cover " + n
		}
	}
	return ""
}

// current is nil if leaf is valid at now and still margin later.
func current(leaf *x509.Certificate, now time.Time, margin time.Duration) error {
	switch {
	case now.Before(leaf.NotBefore):
		return fmt.Errorf("is not valid before %s", leaf.NotBefore.UTC().Format(time.DateTime))
	case !now.Before(leaf.NotAfter):
		return fmt.Errorf("expired on %s", leaf.NotAfter.UTC().Format(time.DateTime))
	case !now.Add(margin).Before(leaf.NotAfter):
		return fmt.Errorf("expires soon, on %s", leaf.NotAfter.UTC().Format(time.DateTime))
	}
	return nil
}

// readPair reads a PEM certificate and its key. A missing file's error
// wraps fs.ErrNotExist.
func readPair(certPath, keyPath string) (*Cert, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("cannot read the TLS certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("cannot read the TLS key: %w", err)
	}
	if b, _ := pem.Decode(certPEM); b == nil || b.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", certPath)
	}
	if b, _ := pem.Decode(keyPEM); b == nil || !strings.HasSuffix(b.Type, "PRIVATE KEY") {
		return nil, fmt.Errorf("%s holds no PEM private key (-----BEGIN PRIVATE KEY-----)", keyPath)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("the TLS key %s does not go with the certificate %s: %w", keyPath, certPath, err)
	}
	return newCert(pair), nil
}

func newCert(pair tls.Certificate) *Cert {
	// X509KeyPair fills Leaf since Go 1.23.
	return &Cert{TLS: pair, Leaf: pair.Leaf, Fingerprint: Fingerprint(pair.Leaf.Raw)}
}

// generate makes a self-signed ECDSA P-256 certificate for c.Names.
func generate(c Config) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("cannot make a TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), serialBits))
	if err != nil {
		return nil, fmt.Errorf("cannot make a certificate serial number: %w", err)
	}
	now := c.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: c.Names[0], Organization: []string{"smtplab"}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(Validity),
		// A server's certificate, not an authority's: a client told to
		// trust this file (OpenSSL's -CAfile, GnuTLS, Go, curl --cacert)
		// accepts it as it is, and Thunderbird offers its usual exception
		// for a self-signed certificate.
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, n := range c.Names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("cannot make the TLS certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("cannot read the new TLS certificate: %w", err)
	}
	cert := newCert(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf})
	cert.Origin = Generated
	return cert, nil
}

// save writes the pair, the key readable by its owner only. Each file is
// written aside and renamed, so a crash never leaves half a key.
func save(c *Cert, certPath, keyPath string) error {
	key, err := x509.MarshalPKCS8PrivateKey(c.TLS.PrivateKey)
	if err != nil {
		return fmt.Errorf("cannot encode the TLS key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return fmt.Errorf("cannot make the folder of the TLS certificate: %w", err)
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		return err
	}
	return writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Leaf.Raw}), 0o644)
}

func writeFile(path string, data []byte, perm fs.FileMode) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return fmt.Errorf("cannot save %s: %w", path, err)
	}
	// WriteFile keeps the mode of a file that was already there.
	if err := os.Chmod(tmp, perm); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot save %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot save %s: %w", path, err)
	}
	return nil
}

// Fingerprint is the SHA-256 of a DER certificate as mail programs show
// it: "AB:CD:…", 32 pairs of upper-case hex digits.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	b.Grow(len(h) + len(h)/2)
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// Config returns the TLS settings of a server presenting c: TLS 1.2 or
// later (RFC 8996 retired the older versions).
func (c *Cert) Config() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.TLS}, MinVersion: tls.VersionTLS12}
}

package shell

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"time"
)

// Certificate is what openssl s_client shows of the certificate a server
// presents, in OpenSSL's own words.
type Certificate struct {
	Subject    string // one line, as OpenSSL 3 prints a name: "O = smtplab, CN = mail.example.test"
	Issuer     string
	SelfSigned bool
	KeyType    string // "id-ecPublicKey", "rsaEncryption", "ED25519"
	KeyBits    int
	SigAlg     string // "ecdsa-with-SHA256"
	SigType    string // what the server signs its handshake with: "ECDSA", "RSA-PSS", "Ed25519"
	NotBefore  time.Time
	NotAfter   time.Time
	PEM        []string // the certificate as PEM, line by line
	Size       int      // octets of its DER encoding
	sigSize    int      // octets of a handshake signature with its key
}

// Describe reads what openssl shows of c.
func Describe(c *x509.Certificate) Certificate {
	d := Certificate{
		Subject: oneLine(c.Subject),
		Issuer:  oneLine(c.Issuer),
		// As OpenSSL sees it: issued by itself and signed by its own key,
		// whatever its key usage says.
		SelfSigned: bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil,
		SigAlg:     sigAlgName(c.SignatureAlgorithm),
		NotBefore:  c.NotBefore,
		NotAfter:   c.NotAfter,
		Size:       len(c.Raw),
	}
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		d.KeyType, d.KeyBits, d.SigType = "id-ecPublicKey", k.Curve.Params().BitSize, "ECDSA"
		d.sigSize = 2*((d.KeyBits+7)/8) + 8 // an ASN.1 pair of integers
	case *rsa.PublicKey:
		d.KeyType, d.KeyBits, d.SigType = "rsaEncryption", k.N.BitLen(), "RSA-PSS"
		d.sigSize = (d.KeyBits + 7) / 8
	case ed25519.PublicKey:
		d.KeyType, d.KeyBits, d.SigType = "ED25519", 253, "Ed25519"
		d.sigSize = ed25519.SignatureSize
	}
	p := strings.TrimSuffix(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})), "\n")
	d.PEM = strings.Split(p, "\n")
	return d
}

// shortNames are OpenSSL's short names of the attributes of a name.
var shortNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "street",
	"2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.5": "serialNumber", "2.5.4.17": "postalCode",
	"1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC",
}

// oneLine writes a name as OpenSSL 3 prints it: its attributes in the
// order of the certificate, "CN = value", separated by commas.
func oneLine(n pkix.Name) string {
	var parts []string
	for _, a := range n.Names {
		key, ok := shortNames[a.Type.String()]
		if !ok {
			key = a.Type.String()
		}
		v, _ := a.Value.(string)
		if strings.ContainsAny(v, ",+=;<>#\"") {
			v = `"` + v + `"`
		}
		parts = append(parts, key+" = "+v)
	}
	return strings.Join(parts, ", ")
}

// sigAlgName is OpenSSL's name of a signature algorithm.
func sigAlgName(a x509.SignatureAlgorithm) string {
	switch a {
	case x509.ECDSAWithSHA256:
		return "ecdsa-with-SHA256"
	case x509.ECDSAWithSHA384:
		return "ecdsa-with-SHA384"
	case x509.ECDSAWithSHA512:
		return "ecdsa-with-SHA512"
	case x509.SHA256WithRSA:
		return "RSA-SHA256"
	case x509.SHA384WithRSA:
		return "RSA-SHA384"
	case x509.SHA512WithRSA:
		return "RSA-SHA512"
	case x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS:
		return "RSASSA-PSS"
	case x509.PureEd25519:
		return "ED25519"
	}
	return a.String()
}

// opensslTime is how OpenSSL prints a validity date.
func opensslTime(t time.Time) string { return t.UTC().Format("Jan _2 15:04:05 2006 GMT") }

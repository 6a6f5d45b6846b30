package shell

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"

	"smtplab/sandbox"
)

// The browser terminal's link is a WebSocket, not the engine's TCP: its
// TLS is simulated, with the values a real handshake with the sandbox's
// TCP services has (Go's crypto/tls and the sandbox's ECDSA certificate,
// with OpenSSL 3 as the client).
var (
	tlsVersion = tls.VersionName(tls.VersionTLS13)               // what the session is told: "TLS 1.3"
	tlsCipher  = tls.CipherSuiteName(tls.TLS_AES_128_GCM_SHA256) // "TLS_AES_128_GCM_SHA256"
)

// opensslVersion is how OpenSSL names TLS 1.3.
const opensslVersion = "TLSv1.3"

// TLS record framing, for what an eavesdropper sees.
const (
	// RecordOverhead is what TLS 1.3 adds to each record's plaintext: the
	// content type byte that ends TLSInnerPlaintext and the AEAD tag, 16
	// octets with AES-GCM (RFC 8446 §5.2).
	RecordOverhead = 1 + 16
	// RecordHeader is a record's type, legacy version and length (RFC 8446 §5.1).
	RecordHeader = 5
	// MaxRecordPlaintext is the most plaintext one record carries (RFC 8446 §5.1).
	MaxRecordPlaintext = 1 << 14
	// recordSample is how many octets of a record's payload are shown.
	recordSample = 12
)

// The sizes of a handshake, as OpenSSL 3.0 s_client reports them against
// the sandbox's TCP services: what it writes, and the server's flight
// around its certificate and signature.
const (
	clientHelloSize    = 297 // a ClientHello without the server name extension
	sniExtensionSize   = 9   // that extension, besides the name itself
	clientFinishedSize = 64  // ChangeCipherSpec and the encrypted Finished
	serverFlightBase   = 287 // ServerHello, ChangeCipherSpec, EncryptedExtensions, Finished…
)

// Record is one TLS record, or a run of them, as someone on the path sees it.
type Record struct {
	From   string `json:"from"`             // "client" or "server"
	Type   string `json:"type"`             // "handshake" or "data"
	Length int    `json:"length"`           // the length field of the (first) record: octets after its header
	Count  int    `json:"count"`            // records in the run (a long message needs several)
	Octets int    `json:"octets"`           // on the wire, headers included
	Head   string `json:"head"`             // the (first) record's header, in hex
	Sample string `json:"sample,omitempty"` // the first octets of an encrypted payload, in hex
	// ServerName is the name a ClientHello carries in clear (SNI).
	ServerName string `json:"serverName,omitempty"`
}

// Client and Server say who sent a record.
const (
	Client = "client"
	Server = "server"
)

// Sealed is the run of application data records that carries plaintext
// octets under TLS 1.3: ciphertext as long as the plaintext, plus
// RecordOverhead, in records of at most MaxRecordPlaintext.
func Sealed(from string, plaintext int) Record {
	count := max(1, (plaintext+MaxRecordPlaintext-1)/MaxRecordPlaintext)
	first := min(plaintext, MaxRecordPlaintext) + RecordOverhead
	return Record{
		From: from, Type: "data", Length: first, Count: count,
		Octets: plaintext + count*(RecordHeader+RecordOverhead),
		Head:   header(0x17, 0x0303, first), Sample: noise(min(first, recordSample)),
	}
}

// Handshake is what the path sees of a TLS 1.3 handshake with cert: the
// client's hello, whose server name anyone can read, then the server's
// flight, its certificate already encrypted.
func Handshake(serverName string, cert Certificate) []Record {
	hello := helloSize(serverName)
	flight := serverFlight(cert)
	return []Record{
		{From: Client, Type: "handshake", Length: hello - RecordHeader, Count: 1, Octets: hello,
			Head: header(0x16, 0x0301, hello-RecordHeader), ServerName: serverName},
		{From: Server, Type: "handshake", Length: flight - RecordHeader, Count: 1, Octets: flight,
			Head: header(0x16, 0x0303, flight-RecordHeader)},
	}
}

func helloSize(serverName string) int {
	if serverName == "" {
		return clientHelloSize
	}
	return clientHelloSize + sniExtensionSize + len(serverName)
}

func serverFlight(c Certificate) int { return serverFlightBase + c.sigSize + c.Size }

// header is a record header in hex: type, version, length.
func header(typ byte, version uint16, length int) string {
	return hex.EncodeToString([]byte{typ, byte(version >> 8), byte(version), byte(length >> 8), byte(length)})
}

// noise is n random octets in hex: ciphertext looks like nothing else.
func noise(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tls is what the session is told of the handshake of d.
func (d *Dial) tls() sandbox.TLS {
	return sandbox.TLS{Version: tlsVersion, Cipher: tlsCipher, ServerName: d.ServerName}
}

package pop3

// MaxLoginFailures is how many wrong logins (PASS, APOP or AUTH) a session
// may try; the server hangs up after the last one, as RFC 1939 §4 allows.
const MaxLoginFailures = 3

// MaxPlainField is the longest authorization identity, user name or
// password a PLAIN response must be able to carry (RFC 4616 §2).
const MaxPlainField = 255

// MaxSASLLine is the longest line a client may answer a "+ " challenge
// with, CRLF included: a PLAIN message of three fields of MaxPlainField
// octets and their two NULs, in base64. A command line, AUTH with its
// initial response included, stays within sandbox.MaxPOP3Line (RFC 2449 §4):
// a client with longer credentials sends them after the challenge.
const MaxSASLLine = (3*MaxPlainField+2+2)/3*4 + 2

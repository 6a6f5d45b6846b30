package relay_test

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"os/exec"
	"strings"
	"testing"

	"smtplab/sandbox"
	"smtplab/sandbox/smtp"
)

// newRelaySession is a session another server of the sandbox opens with w.
func newRelaySession(w *sandbox.World) sandbox.Session {
	return smtp.NewSession(w, sandbox.Peer{Remote: "198.51.100.99", Transport: sandbox.TransportRelay})
}

// feed starts s and sends it lines; it returns everything s answered.
func feed(s sandbox.Session, lines ...string) string {
	out := string(s.Start().Bytes())
	return out + string(sandbox.FeedAll(s, []byte(strings.Join(lines, "\r\n")+"\r\n")).Bytes())
}

// report is a delivery status notification as a reader takes it apart.
type report struct {
	notice     string
	fields     fields   // per-message fields
	recipients []fields // per-recipient fields
	headers    string
}

// fields are the fields of one group of a message/delivery-status part,
// found by name in any case.
type fields map[string]string

func (f fields) get(name string) string { return f[textproto.CanonicalMIMEHeaderKey(name)] }

// parseReport reads text as RFC 6522 and RFC 3464 describe it, with the
// standard library's MIME reader.
func parseReport(t *testing.T, text []byte) report {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	if msg.Header.Get("Auto-Submitted") != "auto-replied" {
		t.Errorf("Auto-Submitted: %q", msg.Header.Get("Auto-Submitted"))
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts []*multipart.Part
	var bodies []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part %d: %v", len(parts)+1, err)
		}
		b, _ := io.ReadAll(p)
		parts, bodies = append(parts, p), append(bodies, string(b))
	}
	types := []string{"text/plain", "message/delivery-status", "text/rfc822-headers"}
	if len(parts) != len(types) {
		t.Fatalf("%d parts, want %d", len(parts), len(types))
	}
	for i, want := range types {
		if got, _, _ := mime.ParseMediaType(parts[i].Header.Get("Content-Type")); got != want {
			t.Errorf("part %d is %s, want %s", i+1, got, want)
		}
	}
	r := report{notice: bodies[0], headers: bodies[2]}
	// message/delivery-status: groups of header-like fields, separated by
	// empty lines (RFC 3464 §2.1).
	tp := textproto.NewReader(bufio.NewReader(strings.NewReader(bodies[1])))
	for i := 0; ; i++ {
		h, err := tp.ReadMIMEHeader()
		if len(h) > 0 {
			f := fields{}
			for k := range h {
				f[k] = h.Get(k)
			}
			if i == 0 {
				r.fields = f
			} else {
				r.recipients = append(r.recipients, f)
			}
		}
		if err != nil {
			break
		}
	}
	return r
}

// checkWithPython parses the report with Python's email package, as a
// mail program written in Python would, when python3 is installed.
func checkWithPython(t *testing.T, text []byte, rcpt, status string) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: report not checked with Python's email package")
		return
	}
	const script = `
import email, sys
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
assert m.get_content_type() == "multipart/report", m.get_content_type()
assert m.get_param("report-type") == "delivery-status"
parts = list(m.iter_parts())
assert [p.get_content_type() for p in parts] == ["text/plain", "message/delivery-status", "text/rfc822-headers"], [p.get_content_type() for p in parts]
groups = parts[1].get_payload()
assert groups[0]["Reporting-MTA"].startswith("dns;"), groups[0]["Reporting-MTA"]
r = groups[1]
print(r["Final-Recipient"], r["Action"], r["Status"])
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "rfc822; "+rcpt+" failed "+status; got != want {
		t.Errorf("python3 read %q, want %q", got, want)
	}
}

package sandbox

import (
	"reflect"
	"strings"
	"testing"
)

func crlf(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

func envelope(from string, to ...string) Envelope { return Envelope{From: &from, To: to} }

func verdictMap(a Analysis) map[string]string {
	m := map[string]string{}
	for _, v := range a.Verdicts {
		m[v.Address] = v.Verdict + "/" + v.Field + "/" + v.VisibleTo
	}
	return m
}

func warningKeys(a Analysis) []string {
	var k []string
	for _, w := range a.Warnings {
		k = append(k, w.Key)
	}
	return k
}

func TestAnalyzeVerdicts(t *testing.T) {
	env := envelope("alice@example.test", "bob@example.test", "carol@example.test", "dan@example.test")
	text := crlf(
		"From: Alice <alice@example.test>",
		"To: Bob <bob@example.test>",
		"Cc: eve@example.test",
		"Bcc: carol@example.test",
		"Date: Fri, 2 Jan 2026 03:04:05 +0000",
		"Message-ID: <1@example.test>",
		"Subject: =?UTF-8?Q?R=C3=A9union?=",
		"",
		"body")
	a := Analyze(env, text)
	want := map[string]string{
		"bob@example.test":   "delivered-listed/To/all",
		"carol@example.test": "delivered-hidden/Bcc/self",
		"dan@example.test":   "delivered-hidden//none",
		"eve@example.test":   "listed-not-delivered/Cc/all",
	}
	if got := verdictMap(a); !reflect.DeepEqual(got, want) {
		t.Errorf("verdicts = %v\nwant %v", got, want)
	}
	if a.Subject != "Réunion" {
		t.Errorf("subject = %q", a.Subject)
	}
	if got := warningKeys(a); !reflect.DeepEqual(got, []string{"bcc_removed"}) {
		t.Errorf("warnings = %v", got)
	}
}

func TestAnalyzeWarnings(t *testing.T) {
	tests := []struct {
		name string
		env  Envelope
		text []byte
		want []string
	}{
		{"no header at all", envelope("a@x.test", "b@x.test"), crlf("Hello there", "", "bye"),
			[]string{"no_header"}},
		{"no empty line after headers", envelope("a@x.test", "b@x.test"),
			crlf("From: a@x.test", "To: b@x.test", "Date: Fri, 2 Jan 2026 03:04:05 +0000", "Message-ID: <1@x>", "Hello Bob"),
			[]string{"no_blank_line"}},
		{"missing date, id; from differs", envelope("a@x.test", "b@x.test"),
			crlf("From: boss@y.test", "To: b@x.test", "", "hi"),
			[]string{"missing_date", "missing_message_id", "from_differs"}},
		{"no recipient headers, reply-to", envelope("a@x.test", "b@x.test"),
			crlf("From: a@x.test", "Reply-To: c@x.test", "Date: Fri, 2 Jan 2026 03:04:05 +0000", "Message-ID: <1@x>", "", "hi"),
			[]string{"reply_to", "no_recipient_headers"}},
		{"8-bit without 8BITMIME", envelope("a@x.test", "b@x.test"),
			crlf("From: a@x.test", "To: b@x.test", "Date: Fri, 2 Jan 2026 03:04:05 +0000", "Message-ID: <1@x>", "", "déjà"),
			[]string{"eight_bit"}},
		{"bad address list", envelope("a@x.test", "b@x.test"),
			crlf("From: a@x.test", "To: b@x.test", "Cc: <<broken", "Date: Fri, 2 Jan 2026 03:04:05 +0000", "Message-ID: <1@x>", "", "hi"),
			[]string{"bad_address_list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := warningKeys(Analyze(tt.env, tt.text)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings = %v, want %v", got, tt.want)
			}
		})
	}
	ok := Analyze(Envelope{From: new(string), To: []string{"b@x.test"}, Body: "8BITMIME"},
		crlf("From: a@x.test", "To: b@x.test", "Date: Fri, 2 Jan 2026 03:04:05 +0000", "Message-ID: <1@x>", "", "déjà"))
	if len(ok.Warnings) != 0 {
		t.Errorf("8BITMIME message with 8-bit text: warnings %v", warningKeys(ok))
	}
}

func TestSplitHeader(t *testing.T) {
	h := SplitHeader(crlf("Subject: a", " folded", "X-Y: z", "", "body"))
	if h.Lines != 3 || !h.Separated || h.Fields.Get("Subject") != "a folded" || h.BadLine != "" {
		t.Errorf("header = %+v", h)
	}
	h = SplitHeader(crlf("Subject: a", "not a header"))
	if h.Lines != 1 || h.Separated || h.BadLine != "not a header" {
		t.Errorf("header = %+v", h)
	}
}

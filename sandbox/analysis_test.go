package sandbox

import (
	"reflect"
	"slices"
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
	if h.Lines != 3 || !h.Separated || h.Get("Subject") != "a folded" || h.BadLine != "" {
		t.Errorf("header = %+v", h)
	}
	h = SplitHeader(crlf("Subject: a", "not a header"))
	if h.Lines != 1 || h.Separated || h.BadLine != "not a header" {
		t.Errorf("header = %+v", h)
	}
	h = SplitHeader(crlf("Subject : obsolete", "To: a@x.test", "Subject: again", "", "body"))
	if h.Lines != 3 || !reflect.DeepEqual(h.Values("subject"), []string{"obsolete", "again"}) || h.List[0].Name != "Subject" {
		t.Errorf("header = %+v", h)
	}
	if SplitHeader(crlf("Sub ject: a", "", "b")).BadLine != "Sub ject: a" {
		t.Error("a space inside a field name is no obsolete syntax")
	}
}

// TestAnalyzeBlindFields checks that the analysis reads as blind copies the
// very fields the copies lose (withoutBcc): any case, the obsolete space
// before the colon, folded, repeated, Resent-Bcc, after a bad line.
func TestAnalyzeBlindFields(t *testing.T) {
	env := envelope("alice@example.test", "bob@example.test", "carol@example.test", "dan@example.test")
	head := []string{"From: alice@example.test", "To: bob@example.test",
		"Date: Fri, 2 Jan 2026 03:04:05 +0000", "Message-ID: <1@example.test>"}
	tests := []struct {
		name  string
		lines []string
		bcc   []string
		warn  []string
	}{
		{"upper case", []string{"BCC: carol@example.test"}, []string{"carol@example.test"}, []string{"bcc_removed"}},
		{"space before the colon", []string{"Bcc : carol@example.test"}, []string{"carol@example.test"}, []string{"bcc_removed"}},
		{"tab before the colon", []string{"bcc\t: carol@example.test"}, []string{"carol@example.test"}, []string{"bcc_removed"}},
		{"folded", []string{"Bcc: carol@example.test,", "\tdan@example.test"},
			[]string{"carol@example.test", "dan@example.test"}, []string{"bcc_removed"}},
		{"two fields", []string{"Bcc: carol@example.test", "Subject: s", "Bcc: dan@example.test"},
			[]string{"carol@example.test", "dan@example.test"}, []string{"bcc_removed"}},
		{"resent", []string{"Resent-Bcc: carol@example.test", "resent-bcc : dan@example.test"},
			[]string{"carol@example.test", "dan@example.test"}, []string{"bcc_removed"}},
		{"after a bad line", []string{"Subject: a\x1b[31mred", "Bcc: carol@example.test"},
			[]string{"carol@example.test"}, []string{"bad_field", "bcc_removed"}},
		{"empty, as RFC 5322 allows", []string{"Bcc:"}, nil, []string{"bcc_removed"}},
		{"bad itself", []string{"Bcc: carol@example.test\x00"}, nil, []string{"bad_field", "bcc_removed"}},
		{"not a Bcc", []string{"X-Bcc: carol@example.test", "Bccx: dan@example.test"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := append(append(append([]string{}, head...), tt.lines...), "", "body")
			a := Analyze(env, crlf(lines...))
			if !reflect.DeepEqual(a.Bcc, tt.bcc) {
				t.Errorf("Bcc = %q, want %q", a.Bcc, tt.bcc)
			}
			if got := warningKeys(a); !reflect.DeepEqual(got, tt.warn) {
				t.Errorf("warnings = %v, want %v", got, tt.warn)
			}
			v := verdictMap(a)
			for _, ad := range tt.bcc {
				if v[ad] != "delivered-hidden/Bcc/self" {
					t.Errorf("%s: verdict %s, want delivered-hidden/Bcc/self", ad, v[ad])
				}
			}
			if v["bob@example.test"] != "delivered-listed/To/all" {
				t.Errorf("bob: verdict %s: the fields around lost", v["bob@example.test"])
			}
		})
	}
}

// TestBadFieldLosesOnlyItself puts a control character in one header field
// (its first line or a continuation): the fields before and after it are
// still read, and the warning names the bad line, escaped.
func TestBadFieldLosesOnlyItself(t *testing.T) {
	for _, bad := range [][]string{
		{"X-Mailer: \x1b[2Jtelnet"},
		{"Comments: nul\x00here"},
		{"Keywords: a,", " b\x7f"},
	} {
		lines := append([]string{"From: Alice <alice@example.test>"}, bad...)
		lines = append(lines, "To: bob@example.test", "Subject: still here", "", "body")
		a := Analyze(envelope("alice@example.test", "bob@example.test"), crlf(lines...))
		if a.Subject != "still here" || !reflect.DeepEqual(a.From, []string{"alice@example.test"}) || !reflect.DeepEqual(a.To, []string{"bob@example.test"}) {
			t.Errorf("%q: subject %q, from %v, to %v", bad, a.Subject, a.From, a.To)
		}
		if got := warningKeys(a); !reflect.DeepEqual(got, []string{"bad_field", "missing_date", "missing_message_id"}) {
			t.Errorf("%q: warnings %v", bad, got)
		}
		named := a.Warnings[0].Args["line"]
		if want := bad[len(bad)-1]; named != Visible(want, 200) || !strings.Contains(named, `\x`) {
			t.Errorf("%q: bad_field warning names %q", bad, named)
		}
	}
}

// TestTypedLineWarnings checks the warnings about lines as typed in DATA,
// which the SMTP engine adds to the analysis: their keys are warning keys,
// and the line is shown with its spaces and control characters visible.
func TestTypedLineWarnings(t *testing.T) {
	tests := []struct {
		got  Warning
		want Warning
	}{
		{EndLineNearMiss(3, " ."), Warning{Key: "end_line_near_miss", Args: Args("line", "3", "text", "\u2423.")}},
		{EndLineNearMiss(4, "\t. "), Warning{Key: "end_line_near_miss", Args: Args("line", "4", "text", `\x09.`+"\u2423")}},
		{EndLineNearMiss(5, ". "), Warning{Key: "end_line_space_after", Args: Args("line", "5", "text", ".\u2423", "kept", "\u2423")}},
		{CommandInData(6, "quit", "QUIT"), Warning{Key: "command_in_data", Args: Args("line", "6", "text", "quit", "verb", "QUIT")}},
		{DotUnstuffed(7, ".sig\x1b"), Warning{Key: "dot_unstuffed", Args: Args("line", "7", "text", `.sig\x1B`, "kept", `sig\x1B`)}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("got %v, want %v", tt.got, tt.want)
		}
		if !slices.Contains(WarningKeys, tt.got.Key) {
			t.Errorf("%s is not in WarningKeys", tt.got.Key)
		}
	}
}

// TestHeaderGet: fields are found by name in any case, as net/mail's
// canonical names find them; a bad field is not found, and the first of
// repeated fields wins.
func TestHeaderGet(t *testing.T) {
	h := SplitHeader(crlf("MESSAGE-ID: <1@x>", "Subject: one", "X-Bad: a\x01b", "subject: two", "", "body"))
	if got := h.Get("Message-Id"); got != "<1@x>" {
		t.Errorf(`Get("Message-Id") = %q`, got)
	}
	if got := h.Get("Subject"); got != "one" {
		t.Errorf(`Get("Subject") = %q`, got)
	}
	if got, all := h.Get("X-Bad"), h.Values("x-bad"); got != "" || all != nil {
		t.Errorf("a bad field is found: %q, %q", got, all)
	}
	if got := h.Values("SUBJECT"); !reflect.DeepEqual(got, []string{"one", "two"}) {
		t.Errorf(`Values("SUBJECT") = %q`, got)
	}
	if got := h.Get("Date"); got != "" {
		t.Errorf(`Get("Date") = %q`, got)
	}
}

// TestHas8bit: an octet above 127 is found wherever it is, at the start,
// inside or after the eight-octet words.
func TestHas8bit(t *testing.T) {
	for n := range 20 {
		text := []byte(strings.Repeat("a", n))
		if has8bit(text) {
			t.Fatalf("%d ASCII octets: 8-bit", n)
		}
		for i := range n {
			text[i] = 0x80
			if !has8bit(text) {
				t.Errorf("%d octets, 0x80 at %d: not found", n, i)
			}
			text[i] = 'a'
		}
	}
}

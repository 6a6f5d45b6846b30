package sandbox_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
)

// relayed is the trace of a message the sandbox relayed, as mx.other.test
// stores it: the newest hop on top, each field folded as the engine folds it.
const relayed = "Return-Path: <alice@example.test>\r\n" +
	"Received: from mail.example.test ([192.0.2.25])\r\n" +
	"\tby mx.other.test (smtplab) with ESMTP id BBDB8DEF81A4\r\n" +
	"\tfor <bob@other.test>; Fri, 04 Dec 2026 01:10:46 +0000\r\n" +
	"Received: from pc.example.test ([192.0.2.1])\r\n" +
	"\tby mail.example.test (smtplab) with ESMTPSA id 45CC96F8F8D8\r\n" +
	"\tfor <bob@other.test>; Fri, 04 Dec 2026 01:10:45 +0000\r\n" +
	"Subject: hi\r\n" +
	"\r\n" +
	"Received: from body.example (this is the body, not a trace)\r\n"

func TestParseReceivedSandboxTrace(t *testing.T) {
	hops := sandbox.ParseReceived([]byte(relayed))
	want := []sandbox.ReceivedHop{{
		From: "pc.example.test", FromInfo: "[192.0.2.1]", By: "mail.example.test", ByInfo: "smtplab",
		With: "ESMTPSA", ID: "45CC96F8F8D8", For: "bob@other.test",
		DateText: "Fri, 04 Dec 2026 01:10:45 +0000", Date: time.Date(2026, 12, 4, 1, 10, 45, 0, time.UTC),
	}, {
		From: "mail.example.test", FromInfo: "[192.0.2.25]", By: "mx.other.test", ByInfo: "smtplab",
		With: "ESMTP", ID: "BBDB8DEF81A4", For: "bob@other.test",
		DateText: "Fri, 04 Dec 2026 01:10:46 +0000", Date: time.Date(2026, 12, 4, 1, 10, 46, 0, time.UTC),
	}}
	if len(hops) != len(want) {
		t.Fatalf("%d hops, want %d (the body's line is no trace): %+v", len(hops), len(want), hops)
	}
	for i := range want {
		got := hops[i]
		if !got.Date.Equal(want[i].Date) {
			t.Errorf("hop %d: date %v, want %v", i, got.Date, want[i].Date)
		}
		got.Date, got.Raw = want[i].Date, ""
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("hop %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	if !strings.HasPrefix(hops[0].Raw, "from pc.example.test ([192.0.2.1]) by mail.example.test") {
		t.Errorf("raw not unfolded: %q", hops[0].Raw)
	}
}

// TestParseReceivedEngine reads the lines the engine itself writes: a
// message sent with HELO, then with EHLO and AUTH, read back from the
// store, each with one hop saying so.
func TestParseReceivedEngine(t *testing.T) {
	for _, c := range []struct {
		greet []string
		with  string
	}{
		{[]string{"HELO pc.example.test"}, "SMTP"},
		{[]string{"EHLO pc.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl"}, "ESMTPA"},
	} {
		w := sandboxtest.NewWorld(sandbox.Limits{})
		s := engine.New(w, sandbox.SMTP, sandboxtest.Peer)
		s.Start()
		lines := append(c.greet, "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA", "Subject: x", "", "Hi.", ".", "QUIT")
		sandbox.FeedAll(s, []byte(strings.Join(lines, "\r\n")+"\r\n"))
		msgs := w.Store.Messages("bob")
		if len(msgs) != 1 {
			t.Fatalf("%s: bob has %d messages", c.with, len(msgs))
		}
		hops := sandbox.ParseReceived(msgs[0].Raw)
		if len(hops) != 1 {
			t.Fatalf("%s: %d hops in\n%s", c.with, len(hops), msgs[0].Raw)
		}
		h := hops[0]
		if h.From != "pc.example.test" || h.By != w.Host || h.With != c.with || h.ID != msgs[0].ID ||
			h.For != "bob@example.test" || h.Date.IsZero() || !strings.HasPrefix(h.FromInfo, "[") {
			t.Errorf("%s: %+v", c.with, h)
		}
	}
}

// TestParseReceivedRealServers reads lines as real servers write them:
// Postfix, Gmail, Exim (comments inside clauses, an unbracketed for),
// Microsoft (a protocol of several words), and a local submission with no
// from at all.
func TestParseReceivedRealServers(t *testing.T) {
	header := "Received: by mail.example.org (Postfix, from userid 1000)\n" +
		"\tid 4XyZ12AbCdz; Mon, 28 Oct 2024 09:14:03 +0100 (CET)\n" +
		"Received: from AM0PR02MB1234.eurprd02.prod.outlook.com (2603:10a6:208:1::1)\n" +
		" by AM9PR02MB5678.eurprd02.prod.outlook.com (2603:10a6:20b:2::2) with\n" +
		" Microsoft SMTP Server (version=TLS1_2,\n" +
		" cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8093.21; Mon, 28 Oct\n" +
		" 2024 08:13:59 +0000\n" +
		"Received: from [198.51.100.7] (helo=laptop.example; comment)\n" +
		"\tby mx.example.net with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384\n" +
		"\t(Exim 4.96) (envelope-from <ann@example.net>) id 1tABCD-000123-4x\n" +
		"\tfor carl@example.net; Mon, 28 Oct 2024 08:13:50 +0000\n" +
		"Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\n" +
		"        by mx.google.com with SMTPS id a640c23a62f3a-a9e0d8b3c1bsor1234567.1.2024.10.28.01.13.45\n" +
		"        for <carl@example.net>\n" +
		"        (Google Transport Security);\n" +
		"        Mon, 28 Oct 2024 01:13:45 -0700 (PDT)\n" +
		"Subject: hello\n\nbody\n"
	hops := sandbox.ParseReceived([]byte(header))
	if len(hops) != 4 {
		t.Fatalf("%d hops: %+v", len(hops), hops)
	}
	gmail, exim, ms, postfix := hops[0], hops[1], hops[2], hops[3]
	check := func(name string, got, want sandbox.ReceivedHop) {
		t.Helper()
		if got.From != want.From || got.FromInfo != want.FromInfo || got.By != want.By || got.ByInfo != want.ByInfo ||
			got.With != want.With || got.ID != want.ID || got.For != want.For {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
		if got.Date.IsZero() {
			t.Errorf("%s: date %q not read", name, got.DateText)
		}
	}
	check("gmail", gmail, sandbox.ReceivedHop{From: "mail-sor-f41.google.com", FromInfo: "mail-sor-f41.google.com. [209.85.220.41]",
		By: "mx.google.com", With: "SMTPS", ID: "a640c23a62f3a-a9e0d8b3c1bsor1234567.1.2024.10.28.01.13.45", For: "carl@example.net"})
	check("exim", exim, sandbox.ReceivedHop{From: "[198.51.100.7]", FromInfo: "helo=laptop.example; comment",
		By: "mx.example.net", With: "esmtpsa", ID: "1tABCD-000123-4x", For: "carl@example.net"})
	check("microsoft", ms, sandbox.ReceivedHop{From: "AM0PR02MB1234.eurprd02.prod.outlook.com", FromInfo: "2603:10a6:208:1::1",
		By: "AM9PR02MB5678.eurprd02.prod.outlook.com", ByInfo: "2603:10a6:20b:2::2", With: "Microsoft SMTP Server", ID: "15.20.8093.21"})
	check("postfix", postfix, sandbox.ReceivedHop{By: "mail.example.org", ByInfo: "Postfix, from userid 1000", ID: "4XyZ12AbCdz"})
	if want := time.Date(2024, 10, 28, 8, 13, 45, 0, time.UTC); !gmail.Date.Equal(want) {
		t.Errorf("gmail's date %v, want %v", gmail.Date, want)
	}
}

// TestParseReceivedTolerant: a line that follows no grammar is kept, in
// its place, with its text; a comment left open or a date that cannot be
// read loses only itself.
func TestParseReceivedTolerant(t *testing.T) {
	header := "Received: from a.example by b.example; not a date\r\n" +
		"Received: something odd happened here\r\n" +
		"Received: from c.example (unclosed by d.example; Mon, 28 Oct 2024 08:00:00 +0000\r\n" +
		"Received: \r\n"
	hops := sandbox.ParseReceived([]byte(header))
	if len(hops) != 4 {
		t.Fatalf("%d hops: %+v", len(hops), hops)
	}
	if h := hops[0]; h.From != "" || h.By != "" || h.Raw != "" {
		t.Errorf("empty field: %+v", h)
	}
	if h := hops[1]; h.From != "c.example" || h.By != "" || h.DateText != "" {
		// The open comment swallows the rest, the semicolon and the date too.
		t.Errorf("open comment: %+v", h)
	}
	if h := hops[2]; h.From != "" || h.By != "" || h.Raw != "something odd happened here" {
		t.Errorf("odd line: %+v", h)
	}
	if h := hops[3]; h.From != "a.example" || h.By != "b.example" || h.DateText != "not a date" || !h.Date.IsZero() {
		t.Errorf("bad date: %+v", h)
	}
}

// TestParseReceivedBounded: a header holding more Received fields than a
// server accepts gives the newest MaxReceived, oldest first still.
func TestParseReceivedBounded(t *testing.T) {
	var b strings.Builder
	for i := sandbox.MaxReceived + 20; i > 0; i-- {
		b.WriteString("Received: from h" + strconv.Itoa(i-1) + ".example by h" + strconv.Itoa(i) + ".example; Mon, 28 Oct 2024 08:00:00 +0000\r\n")
	}
	hops := sandbox.ParseReceived([]byte(b.String()))
	if len(hops) != sandbox.MaxReceived {
		t.Fatalf("%d hops", len(hops))
	}
	if last := hops[len(hops)-1]; last.By != "h"+strconv.Itoa(sandbox.MaxReceived+20)+".example" {
		t.Errorf("the newest hop is %+v", last)
	}
	if first := hops[0]; first.By != "h21.example" {
		t.Errorf("the oldest hop kept is %+v", first)
	}
}

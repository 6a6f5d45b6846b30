package lessons

import (
	"strings"
	"testing"
)

// submit is a submission on port 587, encrypted and logged in as alice,
// of one message for each recipient, all from from.
func submit(from string, rcpts ...string) []string {
	lines := []string{"openssl s_client -connect mail.example.test:587 -starttls smtp -crlf -ign_eof",
		"EHLO client.example.test", "AUTH PLAIN AGFsaWNlAGFsaWNl"}
	for _, r := range rcpts {
		lines = append(lines, "MAIL FROM:<"+from+">", "RCPT TO:<"+r+">", "DATA",
			"From: alice@example.test", "To: "+r, "Subject: To "+r, "", "Hello.", ".")
	}
	return append(lines, "QUIT")
}

// networkSessions are a student's sessions with the servers of the
// network: a message delivered by hand to mx1.univ.test; a submission
// relayed to bob@other.test, refused by other.test for henri (a report
// to alice), the same from the null sender (no report), one waiting for
// down.test; then POP3 as bob@other.test and as alice, and POP2 as carol.
var networkSessions = append(append([]string{
	"telnet mx1.univ.test 25", "EHLO mail.example.test",
	"MAIL FROM:<alice@example.test>", "RCPT TO:<ines@univ.test>", "DATA",
	"From: alice@example.test", "To: ines@univ.test", "Subject: Seminar", "", "Room 204.", ".", "QUIT",
},
	append(submit("alice@example.test", "bob@other.test", "henri@other.test"), submit("", "henri@other.test", "zoe@down.test")...)...),
	"telnet mail.example.test 110", "USER bob@other.test", "PASS bob", "RETR 1", "QUIT",
	"telnet mail.example.test 110", "USER alice", "PASS alice", "RETR 1", "QUIT",
	"telnet mail.example.test 109", "HELO carol carol", "QUIT",
)

// TestNetworkKeys checks the conditions about the network: host= (the
// server a session talks to), user= on a reply (who the session logged in
// as) and on deliveries and mailboxes of another domain, queue, and a
// delivery's rcpt= and because=. The relay sessions between the servers
// are not the student's: session, command, reply and message ignore them.
func TestNetworkKeys(t *testing.T) {
	w, evs := play(t, networkSessions...)
	facts := Facts{Events: evs, World: w}
	for line, want := range map[string]bool{
		"session host=mx1.univ.test":                                               true,
		"session host=mx-a.corp.test|mx1.univ.test":                                true,
		"session host=mx.other.test":                                               false, // only the relay's sessions
		"session proto=pop2 host=mail.example.test":                                true,
		"reply verb=EHLO code=250 host=mx1.univ.test":                              true,
		"reply verb=EHLO code=250 host=mx-a.corp.test":                             false,
		"reply verb=RCPT code=250 host=mx.other.test":                              false, // the relay's
		"reply verb=RCPT code=550":                                                 false, // mx.other.test said it to mail.example.test
		"command verb=EHLO count=3":                                                true,  // mx1, and openssl's own EHLO and yours, twice
		"command verb=EHLO count=6":                                                false, // the relay sessions' EHLO are not the student's
		"message host=mx1.univ.test rcpt=ines@univ.test":                           true,
		"message host=mail.example.test rcpt=ines@univ.test":                       false,
		"message host=mx.other.test":                                               false, // the relayed copy
		"message host=mail.example.test rcpt=bob@other.test auth=yes tls=starttls": true,

		"queue action=queued count=4":                                             true,
		"queue action=queued count=5":                                             false,
		"queue action=relayed rcpt=bob@other.test host=mx.other.test":             true,
		"queue action=relayed rcpt=bob":                                           true, // a local part, of any domain
		"queue action=relayed rcpt=henri@other.test":                              false,
		"queue action=failed rcpt=henri@other.test count=2":                       true,
		"queue action=failed because=queue.failed.reply host=mx.other.test":       true,
		"queue action=failed because=queue.failed.null_mx":                        false,
		"queue action=deferred rcpt=zoe@down.test because=queue.deferred.refused": true,
		"queue action=deferred host=mx.other.test":                                false,

		"delivery status=delivered user=ines@univ.test":                               true,
		"delivery status=delivered user=ines":                                         false, // example.test has no ines
		"delivery status=delivered user=bob@other.test":                               true,
		"delivery status=delivered user=bob":                                          false, // Bob Durand got nothing
		"delivery status=delivered user=alice because=delivery.bounce":                true,
		"delivery status=delivered user=alice@example.test because=delivery.bounce":   true,
		"delivery status=delivered user=alice because=delivery.ok":                    false,
		"delivery status=bounced rcpt=henri@other.test because=delivery.relay_failed": true,
		"delivery status=dropped rcpt=henri@other.test because=delivery.relay_failed": true,
		"delivery status=dropped rcpt=bob@other.test":                                 false,
		"delivery status=dropped rcpt=zoe@down.test":                                  false, // it waits

		"mailbox user=bob@other.test":         true,
		"mailbox user=bob@other.test count=2": false,
		"mailbox user=bob":                    false,
		"mailbox user=alice@example.test":     true,
		"mailbox user=ines@univ.test":         true,
		"mailbox user=someone@nowhere.test":   false,

		"reply verb=RETR code=+OK user=bob@other.test":     true,
		"reply verb=RETR code=+OK user=alice":              true,
		"reply verb=RETR code=+OK user=alice@example.test": true, // the own domain, written or not
		"reply verb=RETR code=+OK user=bob":                false,
		"reply verb=PASS code=+OK user=bob@other.test":     false, // as PASS found the session: not logged in yet
		"reply verb=QUIT code=+OK user=bob@other.test":     true,
		"reply verb=QUIT code=+ user=carol proto=pop2":     true, // POP2: HELO names the user and logs in
		"reply verb=MAIL code=250 user=alice tls=starttls": true, // SMTP AUTH
		"reply verb=MAIL code=250 user=carol":              false,
	} {
		if got := cond(t, line).Holds(facts); got != want {
			t.Errorf("%s: holds = %v, want %v", line, got, want)
		}
	}
}

// TestNetworkKeyValues: what host=, user=, action= and the new keys of
// delivery and queue accept.
func TestNetworkKeyValues(t *testing.T) {
	for line, want := range map[string]string{
		"session host=mx1.univ.test":               "",
		"reply host=mx-a.corp.test|mx-b.corp.test": "",
		"message host=MX1.univ.test":               `bad value "MX1.univ.test" for host`,
		"session host=localhost":                   `bad value "localhost" for host`,
		"session host=mx1.univ.test|":              `bad value "mx1.univ.test|" for host`,
		"command host=mx1.univ.test":               `condition command has no key "host"`,
		"reply user=bob@other.test":                "",
		"mailbox user=bob@other.test":              "",
		"delivery user=bob@":                       `bad value "bob@" for user`,
		"queue action=relayed rcpt=bob@other.test host=mx.other.test because=queue.relayed count=2": "",
		"queue action=bounced": `bad value "bounced" for action`,
		"queue user=alice":     `condition queue has no key "user"`,
		"delivery rcpt=henri@other.test because=delivery.bounce": "",
		"message user=alice": `condition message has no key "user"`,
	} {
		_, err := parseCondition(line)
		if want == "" && err != "" || want != "" && !strings.Contains(err, want) {
			t.Errorf("%s: error %q, want %q", line, err, want)
		}
	}
}

// TestNetworkWhy: the checker says which server a step wants, who should
// have logged in, and what the queue has not done yet.
func TestNetworkWhy(t *testing.T) {
	for _, tc := range []struct {
		goal []string
		want string
		args map[string]string
	}{
		{[]string{"reply verb=EHLO code=250 host=mx1.univ.test"}, "why.host", map[string]string{"host": "mx1.univ.test"}},
		{[]string{"session host=mx-a.corp.test|mx-b.corp.test"}, "why.host", map[string]string{"host": "mx-a.corp.test / mx-b.corp.test"}},
		{[]string{"message host=nomx.test"}, "why.host", nil},
		{[]string{"reply verb=RETR code=+OK user=bob@other.test"}, "why.reply.user", map[string]string{"user": "bob@other.test"}},
		{[]string{"queue action=relayed rcpt=zoe@down.test"}, "why.queue.relayed", map[string]string{"rcpt": "zoe@down.test"}},
		{[]string{"queue action=failed rcpt=bob@other.test"}, "why.queue.failed", nil},
		{[]string{"delivery status=dropped rcpt=bob@other.test"}, "why.delivery.dropped", map[string]string{"user": "bob@other.test"}},
	} {
		whys := whyOf(t, tc.goal, append(submit("alice@example.test", "bob@other.test", "zoe@down.test"),
			"telnet mail.example.test 25", "EHLO mail.example.test", "MAIL FROM:<alice@example.test>", "RCPT TO:<bob@example.test>", "DATA",
			"From: alice@example.test", "To: bob@example.test", "Subject: x", "", "x", ".", "QUIT",
			"telnet mail.example.test 110", "USER bob", "PASS bob", "RETR 1", "QUIT")...)
		if len(whys) == 0 || whys[0].Key != tc.want {
			t.Errorf("%s: whys %+v, want %s", tc.goal, whys, tc.want)
			continue
		}
		for k, v := range tc.args {
			if whys[0].Args[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.goal, k, whys[0].Args[k], v)
			}
		}
	}
}

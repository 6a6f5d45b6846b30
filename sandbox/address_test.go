package sandbox

import (
	"net/mail"
	"testing"
)

// TestSimpleAddress: whatever value the fast path takes, net/mail reads
// as one address, the same; the others are left to net/mail.
func TestSimpleAddress(t *testing.T) {
	for _, v := range []string{
		"alice@example.test", "Alice Martin <alice@example.test>", "a.b-c_d+e@sub.example.test",
		"Bob <BOB@Example.TEST>", "R2D2 <r2@d2.test>",
		// left to net/mail:
		"<alice@example.test>", "Alice  Martin <a@x.test>", "alice@example.test, bob@example.test",
		"\"Alice\" <a@x.test>", "a..b@x.test", ".a@x.test", "a@x.test.", "Alice<a@x.test>",
		"=?utf-8?q?Al=C3=AFce?= <a@x.test>", "alice", "a@", "@x.test", "Alice Martin <a@x.test> ",
		"Al\u00efce <a@x.test>", "a@[127.0.0.1]", "Alice Martin <a@x.test>>",
	} {
		got, ok := simpleAddress(v)
		if !ok {
			continue
		}
		list, err := mail.ParseAddressList(v)
		if err != nil || len(list) != 1 || list[0].Address != got {
			t.Errorf("simpleAddress(%q) = %q; net/mail: %v, %v", v, got, list, err)
		}
	}
}

func FuzzSimpleAddress(f *testing.F) {
	f.Add("Alice Martin <alice@example.test>")
	f.Add("alice@example.test")
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := simpleAddress(v)
		if !ok {
			return
		}
		list, err := mail.ParseAddressList(v)
		if err != nil || len(list) != 1 || list[0].Address != got {
			t.Errorf("simpleAddress(%q) = %q; net/mail: %v, %v", v, got, list, err)
		}
	})
}

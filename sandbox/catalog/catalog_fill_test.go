package catalog

import "testing"

func TestFill(t *testing.T) {
	args := map[string]string{"addr": "bob@example.test", "n": "2", "brace": "{n}"}
	for in, want := range map[string]string{
		"<{addr}> has {n} messages": "<bob@example.test> has 2 messages",
		"{unknown} stays":           "{unknown} stays",
		"no placeholders":           "no placeholders",
		"unclosed {addr":            "unclosed {addr",
		"{brace} is not refilled":   "{n} is not refilled",
		"{}{addr}":                  "{}bob@example.test",
	} {
		if got := Fill(in, args); got != want {
			t.Errorf("Fill(%q) = %q, want %q", in, got, want)
		}
	}
}

package sandbox

import (
	"slices"
	"testing"
)

// TestEnvelopeCloneSharesNothing: a change to the copy never shows in the
// envelope, nor the other way round, whatever its shape.
func TestEnvelopeCloneSharesNothing(t *testing.T) {
	from := func(s string) *string { return &s }
	for _, e := range []Envelope{
		{},
		{From: from("")},
		{From: from("a@x.test")},
		{From: from("a@x.test"), To: []string{"b@x.test"}},
		{From: from("a@x.test"), To: []string{"b@x.test", "c@x.test"}},
		{To: []string{"b@x.test"}},
	} {
		was := e
		was.To = slices.Clone(e.To)
		c := e.Clone()
		if (c.From == nil) != (e.From == nil) || c.From != nil && *c.From != *e.From || !slices.Equal(c.To, e.To) || (c.To == nil) != (e.To == nil) {
			t.Errorf("Clone(%+v) = %+v", e, c)
			continue
		}
		if c.From != nil {
			*c.From = "changed@x.test"
		}
		for i := range c.To {
			c.To[i] = "changed@x.test"
		}
		c.To = append(c.To, "more@x.test")
		e.To = append(e.To, "later@x.test")
		if e.From != nil && *e.From == "changed@x.test" || !slices.Equal(e.To[:len(was.To)], was.To) {
			t.Errorf("changing the copy changed %+v", e)
		}
		if c.To[len(c.To)-1] != "more@x.test" {
			t.Errorf("changing the envelope changed the copy: %q", c.To)
		}
	}
}

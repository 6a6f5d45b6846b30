package server

import (
	"strings"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// eventMsg is an engine event as the page receives it, with everything a
// student is told about it already written in the page's language.
type eventMsg struct {
	T  string        `json:"t"` // "event"
	Ev sandbox.Event `json:"ev"`
	X  *explanation  `json:"x,omitempty"`
}

// explanation is the localized text that goes with one event.
type explanation struct {
	Reply    *catalog.Explanation `json:"reply,omitempty"`
	Command  string               `json:"command,omitempty"` // what the verb does
	Parts    []string             `json:"parts,omitempty"`   // a label per part of the command
	State    string               `json:"state,omitempty"`   // what the new state waits for
	Verdicts []verdictText        `json:"verdicts,omitempty"`
	Warnings []string             `json:"warnings,omitempty"`
	Delivery string               `json:"delivery,omitempty"`
}

type verdictText struct {
	Label   string `json:"label"`
	Long    string `json:"long"`
	Visible string `json:"visible"`
}

// explain wraps ev with its explanation in locale l.
func explain(ev sandbox.Event, l catalog.Locale) eventMsg {
	m := eventMsg{T: "event", Ev: ev}
	var x explanation
	text := func(key string, args map[string]string) string {
		t, _ := catalog.Text(l, key, args)
		return t
	}
	proto := strings.ToLower(string(ev.Proto))
	switch {
	case ev.Reply != nil:
		r := catalog.Explain(l, ev.Reply.Meaning, ev.Reply.Enhanced, ev.Reply.Reason, ev.Reply.Args)
		x.Reply = &r
	case ev.Command != nil:
		x.Command = text("command."+proto+"."+ev.Command.Verb, nil)
		for _, p := range ev.Command.Parts {
			x.Parts = append(x.Parts, text("part."+p.Kind, nil))
		}
	case ev.State != nil:
		x.State = text("state."+proto+"."+ev.State.To, nil)
	case ev.Message != nil:
		for _, v := range ev.Message.Analysis.Verdicts {
			x.Verdicts = append(x.Verdicts, verdictText{
				Label:   text("verdict."+v.Verdict, nil),
				Long:    text("verdict."+v.Verdict+".long", sandbox.Args("addr", v.Address, "field", v.Field)),
				Visible: text("visible."+v.VisibleTo, nil),
			})
		}
		for _, w := range ev.Message.Analysis.Warnings {
			x.Warnings = append(x.Warnings, text("warning."+w.Key, w.Args))
		}
	case ev.Delivery != nil:
		key := ev.Delivery.Reason
		if why := ev.Delivery.Args["why"]; ev.Delivery.Status == sandbox.Dropped && why != "" {
			key = "delivery.dropped." + why
		}
		x.Delivery = text(key, ev.Delivery.Args)
	default:
		return m
	}
	m.X = &x
	return m
}

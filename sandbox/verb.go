package sandbox

import "slices"

// Then says what a session does once a command's reply is sent.
type Then int

const (
	Continue   Then = iota // wait for the next command
	Quit                   // the client said goodbye: close after the reply
	Abort                  // the server gives up on the client: close after the reply
	UpgradeTLS             // start TLS after the reply (STARTTLS, STLS)
)

// Outcome is what a command decided: its reply and what comes next. A
// handler says "close" or "start TLS" here, never through its reply code.
type Outcome struct {
	Reply *Reply
	Then  Then
}

// Answer is the outcome of a command that leaves the session as it goes on.
func Answer(r *Reply) Outcome { return Outcome{Reply: r} }

// Verb declares one command of an engine: its name, where it may be used,
// what runs it and how it is advertised. An engine declares each of its
// commands once, in a Verbs; lookups, HELP topics, EHLO keywords, CAPA lines
// and the tests' lists of commands are derived from that one list.
type Verb[S any] struct {
	Name string
	// States the command runs in. In any other, the engine answers with its
	// out-of-sequence reply without running it. Empty: every state.
	States []string
	// Rest: the argument is the rest of the line, spaces included (a
	// password may contain them).
	Rest bool
	Run  func(s S, arg string) Outcome
	// Hidden verbs (retired, or real but not offered) are answered but never
	// suggested, listed in HELP or advertised.
	Hidden bool
	// Advertise, when set, is the keyword the session announces for this
	// command right now (an EHLO line, a CAPA line), or "" when it does not
	// offer it in the session's current circumstances.
	Advertise func(s S) string
}

// In reports whether the command may run in state.
func (v *Verb[S]) In(state string) bool {
	return len(v.States) == 0 || slices.Contains(v.States, state)
}

// Verbs is an engine's table of commands, in the order they are declared.
type Verbs[S any] struct {
	list  []*Verb[S]
	index map[string]*Verb[S]
}

// DeclareVerbs builds the table. Names are upper case; a name declared twice
// is a programming error.
func DeclareVerbs[S any](vs ...Verb[S]) *Verbs[S] {
	t := &Verbs[S]{index: make(map[string]*Verb[S], len(vs))}
	for i := range vs {
		v := &vs[i]
		if _, dup := t.index[v.Name]; dup {
			panic("sandbox: verb declared twice: " + v.Name)
		}
		t.list = append(t.list, v)
		t.index[v.Name] = v
	}
	return t
}

// Lookup finds the command named name (upper case).
func (t *Verbs[S]) Lookup(name string) (*Verb[S], bool) {
	v, ok := t.index[name]
	return v, ok
}

// Names lists the commands a student may be told about, in order.
func (t *Verbs[S]) Names() []string {
	var names []string
	for _, v := range t.list {
		if !v.Hidden {
			names = append(names, v.Name)
		}
	}
	return names
}

// AllNames lists every command the engine answers, hidden ones included.
func (t *Verbs[S]) AllNames() []string {
	names := make([]string, len(t.list))
	for i, v := range t.list {
		names[i] = v.Name
	}
	return names
}

// Advertised lists the keywords the commands announce for session s, in
// the order they are declared.
func (t *Verbs[S]) Advertised(s S) []string {
	var kw []string
	for _, v := range t.list {
		if v.Advertise == nil || v.Hidden {
			continue
		}
		if k := v.Advertise(s); k != "" {
			kw = append(kw, k)
		}
	}
	return kw
}

// Nearest suggests the command one typo away from verb, if there is one.
// Short words are left alone: too many of them are one edit from a verb.
func (t *Verbs[S]) Nearest(verb string) string {
	if len(verb) < 3 {
		return ""
	}
	for _, v := range t.list {
		if !v.Hidden && OneEditApart(verb, v.Name) {
			return v.Name
		}
	}
	return ""
}

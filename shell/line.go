package shell

import (
	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

// Kind says what a printed line is, for the terminal to show it.
type Kind string

const (
	// Prompt is the command line as typed, after the shell's prompt.
	Prompt Kind = "prompt"
	// Out is a program's output, in English as the real program prints it.
	Out Kind = "out"
	// Err is a program's error output, in English as printed.
	Err Kind = "err"
	// Note is smtplab's own explanation, in the reader's language.
	Note Kind = "note"
)

// Line is one line for the terminal to print. Its text is a catalog key
// (a wire text for Out and Err, an explanation for Note) with its
// arguments, rendered for the reader's language by Text; or Raw, printed
// as it is (what the student typed, a line of a certificate).
type Line struct {
	Kind Kind              `json:"kind"`
	Key  string            `json:"key,omitempty"`
	Args map[string]string `json:"args,omitempty"`
	Raw  string            `json:"raw,omitempty"`
}

// Text is the line as the terminal prints it in locale l. A note may hold
// several lines, separated by "\n".
func (ln Line) Text(l catalog.Locale) string {
	switch {
	case ln.Key == "":
		return ln.Raw
	case ln.Kind == Note:
		t, ok := catalog.Text(l, ln.Key, ln.Args)
		if !ok {
			return catalog.Missing + ln.Key + "]"
		}
		return t
	}
	return catalog.Wire(ln.Key, ln.Args)
}

func out(key string, kv ...string) Line  { return Line{Kind: Out, Key: key, Args: args(kv)} }
func fail(key string, kv ...string) Line { return Line{Kind: Err, Key: key, Args: args(kv)} }
func note(key string, kv ...string) Line { return Line{Kind: Note, Key: key, Args: args(kv)} }
func raw(text string) Line               { return Line{Kind: Out, Raw: text} }

func args(kv []string) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	return sandbox.Args(kv...)
}

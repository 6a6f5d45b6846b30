package shell

import (
	"errors"

	"smtplab/sandbox/dns"
)

// lookup runs dig, host or nslookup (argv[0]) against the sandbox's DNS:
// what the program prints, as it prints it, then the explanation of each
// part of it, in the reader's language, under the output. A command line
// the program refuses prints its error, and why.
func (sh *Shell) lookup(argv []string) Result {
	o, err := sh.DNS.Run(argv)
	if ue, ok := errors.AsType[*dns.UsageError](err); ok {
		lines := make([]Line, 0, len(ue.Lines)+1)
		for _, l := range ue.Lines {
			lines = append(lines, Line{Kind: Err, Raw: l})
		}
		return Result{Lines: append(lines, explanation(ue.Note)...)}
	}
	lines := make([]Line, 0, len(o.Lines)+len(o.Notes))
	for _, l := range o.Lines {
		lines = append(lines, raw(l))
	}
	for _, n := range o.Notes {
		lines = append(lines, explanation(n)...)
	}
	return Result{Lines: lines}
}

// explanation is a note of the DNS programs as a line of the terminal:
// none when it has no text.
func explanation(n dns.Note) []Line {
	if n.Key == "" {
		return nil
	}
	return []Line{{Kind: Note, Key: n.Key, Args: n.Args}}
}

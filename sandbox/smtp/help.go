package smtp

import (
	"strconv"
	"strings"

	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
)

func (s *Session) cmdHelp(arg string) *sandbox.Reply {
	topic := strings.ToUpper(strings.TrimSpace(arg))
	switch {
	case topic == "":
		var offered []string
		for _, v := range helpTopics() {
			if !isRetired(v) {
				offered = append(offered, v)
			}
		}
		return reply(214, "2.0.0", "help", "host", s.Host(),
			"commands", strings.Join(offered, " "), "retired", strings.Join(retiredVerbs, " "))
	case topic == "STATUS":
		return s.status()
	}
	for _, t := range helpTopics() {
		if t == topic {
			return reply(214, "2.0.0", "help."+strings.ToLower(t))
		}
	}
	return reply(504, "5.5.4", "help.unknown", "topic", echo(topic))
}

// status is the 211 system status reply, to HELP STATUS.
func (s *Session) status() *sandbox.Reply {
	count, octets := s.World.Store.Usage()
	var users []string
	for _, u := range s.World.Users() {
		users = append(users, u.Local)
	}
	return reply(211, "2.0.0", "status",
		"host", s.Host(), "domain", s.World.Domain, "users", strings.Join(users, " "),
		"messages", strconv.Itoa(count), "octets", strconv.FormatInt(octets, 10), "state", s.State())
}

func (s *Session) cmdVrfy(arg string) *sandbox.Reply {
	e, addr, r := s.lookupArg(arg, "vrfy", true)
	if r != nil {
		return r
	}
	switch e.Kind {
	case sandbox.KindUser:
		return reply(250, "2.1.5", "vrfy.ok", "name", e.FullName, "addr", addr)
	case sandbox.KindAlias:
		t, _ := s.World.Lookup(e.Target)
		return reply(250, "2.1.5", "vrfy.ok.alias", "name", t.FullName, "addr", s.World.Address(t.Local), "alias", addr)
	case sandbox.KindList:
		return reply(252, "2.0.0", "vrfy.list", "addr", addr)
	case sandbox.KindForward:
		return reply(251, "2.1.5", "vrfy.forward", "addr", addr, "target", s.World.Address(e.Target))
	case sandbox.KindMoved:
		return reply(551, "5.1.6", "vrfy.moved", "addr", addr, "target", e.Target)
	}
	return reply(250, "2.1.5", "vrfy.ok.special", "addr", addr)
}

func (s *Session) cmdExpn(arg string) *sandbox.Reply {
	e, addr, r := s.lookupArg(arg, "expn", false)
	if r != nil {
		return r
	}
	switch e.Kind {
	case sandbox.KindList:
		var texts []string
		for _, m := range e.Members {
			u, _ := s.World.Lookup(m)
			texts = append(texts, catalog.Wire("smtp.expn.member", sandbox.Args("name", u.FullName, "addr", s.World.Address(m))))
		}
		return lines(250, "2.1.5", "expn.ok", sandbox.Args("addr", addr, "count", strconv.Itoa(len(texts))), texts)
	case sandbox.KindUser:
		return reply(250, "2.1.5", "expn.user", "name", e.FullName, "addr", addr)
	}
	return reply(550, "5.1.1", "expn.not_list", "addr", addr)
}

// lookupArg resolves the argument of VRFY or EXPN: a user name, an address,
// or (for VRFY) a word of someone's full name.
func (s *Session) lookupArg(arg, cmd string, byName bool) (sandbox.Entry, string, *sandbox.Reply) {
	q := strings.TrimSpace(arg)
	q = strings.TrimSuffix(strings.TrimPrefix(q, "<"), ">")
	if q == "" {
		return sandbox.Entry{}, "", reply(501, "5.5.4", cmd+".syntax")
	}
	local := q
	if l, d, ok := cutAddress(q); ok {
		if !s.World.IsLocalDomain(d) {
			return sandbox.Entry{}, "", reply(550, "5.7.1", cmd+".foreign", "addr", echo(q), "domain", s.World.Domain)
		}
		local = l
	}
	if e, ok := s.World.Lookup(local); ok {
		return e, s.World.Address(e.Local), nil
	}
	if byName {
		var found []sandbox.Entry
		for _, e := range s.World.Users() {
			for _, w := range strings.Fields(e.FullName) {
				if strings.EqualFold(w, q) {
					found = append(found, e)
					break
				}
			}
		}
		switch len(found) {
		case 1:
			return found[0], s.World.Address(found[0].Local), nil
		case 0:
		default:
			return sandbox.Entry{}, "", reply(553, "5.1.4", "vrfy.ambiguous", "query", echo(q), "count", strconv.Itoa(len(found)))
		}
	}
	return sandbox.Entry{}, "", reply(550, "5.1.1", cmd+".unknown", "query", echo(q))
}

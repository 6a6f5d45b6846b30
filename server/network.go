package server

import (
	"strings"

	"smtplab/sandbox"
	"smtplab/sandbox/dns"
	"smtplab/sandbox/network"
)

// Each visitor's practice world is the home of a small network (package
// network): other.test, univ.test… each with its own server, made in the
// visitor's sandbox the first time mail or the terminal goes there, so a
// student's mail to bob@other.test is relayed through a session they can
// watch, and never seen by anyone else.

// networkOf returns the network the server runs its visitors' worlds in,
// and the resolver every one of them shares.
func (s *Server) networkOf() (*network.Network, *dns.Resolver) {
	return s.cfg.Network, s.cfg.Resolver
}

// startNetwork brings the network to life around a visitor's practice
// world; onWorld is told of each other server's world as it is made.
func (s *Server) startNetwork(home *sandbox.World, onWorld func(*sandbox.World)) *network.Live {
	n, r := s.networkOf()
	return n.Start(home, r, network.Options{
		NewWorld: func(c sandbox.Config) *sandbox.World {
			store := sandbox.NewMemoryStore()
			store.Budget = s.mail
			c.Name = home.Name + "/" + c.Domain
			c.Store, c.Limits = store, s.visitorLimits()
			return sandbox.NewWorld(c)
		},
		Outside: s.classServer,
		OnWorld: onWorld,
	})
}

// classServer is the world of the class whose server is host, if any.
func (s *Server) classServer(host string) *sandbox.World {
	if s.cfg.Classroom == nil {
		return nil
	}
	for _, r := range s.cfg.Classroom.Classes() {
		if strings.EqualFold(r.World.Host, host) {
			return r.World
		}
	}
	return nil
}

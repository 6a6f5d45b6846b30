package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// target is a loopback address the load may be sent to: dial is the
// IP:port actually dialled, host is the host:port the requests name (the
// Host and Origin headers).
type target struct {
	dial netip.AddrPort
	host string
}

// loopbackHost checks that host (an IP literal or "localhost", no port) is
// a loopback address and returns the IP to dial. Names other than
// localhost are refused without being resolved: a name could lead
// anywhere, and this command must never load a machine other than its own.
func loopbackHost(host string) (netip.Addr, error) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return netip.MustParseAddr("127.0.0.1"), nil
	}
	ip, err := netip.ParseAddr(strings.Trim(h, "[]"))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("host %q is not an IP address or localhost; only loopback targets are allowed", host)
	}
	if ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("host %q: zoned addresses are not loopback", host)
	}
	ip = ip.Unmap()
	if !ip.IsLoopback() {
		return netip.Addr{}, fmt.Errorf("host %q is not a loopback address; wsload only loads this machine", host)
	}
	return ip, nil
}

// parseTarget checks a -tcp address (HOST:PORT).
func parseTarget(hostport string) (target, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return target{}, fmt.Errorf("%q: want HOST:PORT: %w", hostport, err)
	}
	ip, err := loopbackHost(host)
	if err != nil {
		return target{}, err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return target{}, fmt.Errorf("%q: bad port %q", hostport, port)
	}
	return target{dial: netip.AddrPortFrom(ip, uint16(p)), host: hostport}, nil
}

// parseURL checks a -url (http://HOST:PORT, an optional path is ignored).
func parseURL(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, err
	}
	if u.Scheme != "http" {
		return target{}, fmt.Errorf("%q: want an http:// URL (smtplab serves plain HTTP on loopback)", raw)
	}
	if u.User != nil {
		return target{}, errors.New("the URL must not carry credentials")
	}
	hostport := u.Host
	if u.Port() == "" {
		hostport = net.JoinHostPort(u.Hostname(), "80")
	}
	t, err := parseTarget(hostport)
	if err != nil {
		return target{}, err
	}
	t.host = u.Host
	return t, nil
}

// sources returns the local address for each of n clients, at most perAddr
// per address: 127.0.0.2, 127.0.0.3, … (the whole 127.0.0.0/8 is loopback
// on Linux). For an IPv6 target there is one loopback address only, so
// every client uses it (invalid Addr: let the system choose).
func sources(dial netip.Addr, n, perAddr int) ([]netip.Addr, error) {
	out := make([]netip.Addr, n)
	if !dial.Is4() {
		return out, nil
	}
	if perAddr <= 0 {
		perAddr = 1
	}
	groups := (n + perAddr - 1) / perAddr
	if groups > 250*256 {
		return nil, fmt.Errorf("%d clients need more than 127.0.0.0/8 has", n)
	}
	for i := range out {
		g := i / perAddr
		// 127.0.0.2 onwards: 127.0.0.1 is left to everyone else.
		k := g + 2
		out[i] = netip.AddrFrom4([4]byte{127, byte(k >> 16), byte(k >> 8), byte(k)})
	}
	return out, nil
}

package main

import (
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestOutOfDescriptors starts smtplab with few file descriptors, takes them
// all with idle clients, and checks that the next client is told why it is
// turned away, that /healthz says what is wrong, and that once the clients
// leave every service answers again: running out of descriptors is a
// passing state, not the end of the services.
func TestOutOfDescriptors(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) not found")
	}
	p := startBinary(t, []string{prlimit, "--nofile=48:48", "--"},
		"-smtp", "127.0.0.1:0", "-pop3", "127.0.0.1:0", "-pop2", "127.0.0.1:0", "-http", "127.0.0.1:0")
	addrs := p.addrs

	// Idle SMTP clients until one is refused with 421 instead of a banner.
	var held []*lineConn
	defer func() {
		for _, c := range held {
			c.c.Close()
		}
	}()
	refused := ""
	for i := 0; i < 60 && refused == ""; i++ {
		c := dialLines(t, addrs["smtp"])
		held = append(held, c)
		if l := c.line(); strings.HasPrefix(l, "421 ") {
			refused = l
		} else if !strings.HasPrefix(l, "220 ") {
			t.Fatalf("client %d got %q", i, l)
		}
	}
	if !strings.HasPrefix(refused, "421 4.3.2 ") {
		t.Fatalf("48 descriptors and 60 clients, yet nobody was refused with 421 4.3.2")
	}
	if !strings.Contains(p.stderr.String(), "cannot accept clients") {
		t.Error("the log does not say the service cannot accept clients")
	}

	for _, c := range held {
		c.c.Close()
	}
	held = nil
	// Every service answers again, and the log says so.
	for _, svc := range []struct{ name, banner string }{{"smtp", "220 "}, {"pop3", "+OK "}, {"pop2", "+ "}} {
		var got string
		waitFor(t, svc.name+" to answer again", func() bool {
			nc, err := net.DialTimeout("tcp", addrs[svc.name], time.Second)
			if err != nil {
				return false
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(2 * time.Second))
			b := make([]byte, 512)
			n, _ := nc.Read(b)
			got = string(b[:n])
			return strings.HasPrefix(got, svc.banner)
		})
	}
	r, err := http.Get("http://" + addrs["http"] + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Errorf("/healthz after recovery: %d", r.StatusCode)
	}
}

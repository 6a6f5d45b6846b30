package main

import (
	"io"
	"testing"

	"smtplab/shell"
)

// TestEveryServiceServed: each of the sandbox's services (the one list,
// shell.Services) has its flag and is on by default, on 127.0.0.1, with
// the protocol, role and encryption the list gives.
func TestEveryServiceServed(t *testing.T) {
	cfg, err := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	svcs := (&app{cfg: cfg}).services()
	if len(svcs) != len(shell.Services) {
		t.Fatalf("%d services, want %d", len(svcs), len(shell.Services))
	}
	for i, s := range shell.Services {
		got := svcs[i]
		if got.name != s.Name || !enabled(got.addr) || got.role != s.Role || got.tls != s.TLS {
			t.Errorf("service %s: %+v", s.Name, got)
		}
		if host := got.addr[:len("127.0.0.1:")]; host != "127.0.0.1:" {
			t.Errorf("service %s listens on %s by default, not on 127.0.0.1", s.Name, got.addr)
		}
	}
}

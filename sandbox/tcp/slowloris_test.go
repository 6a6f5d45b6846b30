package tcp

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/engine"
	"smtplab/sandbox/sandboxtest"
)

// TestSlowlorisTimesOut: a client that sends a byte now and then but never
// a whole line times out as one that sends nothing, on each service, and a
// POP3 login held that way lets go of the mailbox lock.
func TestSlowlorisTimesOut(t *testing.T) {
	for _, tc := range []struct {
		proto  sandbox.Proto
		prefix string // a complete command first, then the dribble
		want   string // the timeout reply
	}{
		{sandbox.SMTP, "HELO c.test\r\n", "421 4.4.2 "},
		{sandbox.POP3, "USER alice\r\nPASS alice\r\n", "-ERR "},
		{sandbox.POP2, "", "- "},
	} {
		t.Run(string(tc.proto), func(t *testing.T) {
			w := sandboxtest.NewWorld(sandbox.Limits{CommandTimeout: 400 * time.Millisecond, DataTimeout: 400 * time.Millisecond, Autologout: 400 * time.Millisecond})
			rec := sandboxtest.Record(w)
			s := &Server{Name: string(tc.proto), NewSession: func(p sandbox.Peer) sandbox.Session { return engine.New(w, tc.proto, p) }}
			if err := s.Listen("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			go s.Serve()
			t.Cleanup(func() { s.Shutdown(t.Context()) })
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			rd := bufio.NewReader(c)
			c.Write([]byte(tc.prefix))
			got := make(chan string, 16)
			go func() {
				for {
					l, err := rd.ReadString('\n')
					if err != nil {
						close(got)
						return
					}
					got <- l
				}
			}()
			// A byte every 100 ms, never a line end, for up to 3 s.
			deadline := time.After(3 * time.Second)
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case l, ok := <-got:
					if !ok {
						t.Fatal("closed without the timeout reply")
					}
					if strings.HasPrefix(l, tc.want) && timedOut(rec) {
						if tc.proto == sandbox.POP3 && !w.Store.Lock("alice") {
							t.Error("the dribbling POP3 session still holds alice's lock")
						}
						return
					}
				case <-tick.C:
					c.Write([]byte("N"))
				case <-deadline:
					t.Fatal("a client sending a byte every 100 ms kept a 400 ms idle timer from ever firing")
				}
			}
		})
	}
}

func timedOut(rec *sandboxtest.Recorder) bool {
	for _, ev := range rec.Events() {
		if ev.Close != nil && ev.Close.Reason == "timeout" {
			return true
		}
	}
	return false
}

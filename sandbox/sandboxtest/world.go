package sandboxtest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"smtplab/sandbox"
)

// GoldenDir replays every transcript in dir (e.g. "../testdata/pop3")
// against sessions made by newSession. observe, if not nil, sees every
// event of every transcript's world.
func GoldenDir(t *testing.T, dir string, newSession func(*sandbox.World, sandbox.Peer) sandbox.Session, observe sandbox.Observer) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts in %s: %v", dir, err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			Golden(t, f, func(opts map[string]string) *sandbox.World {
				w := OptionWorld(t, opts)
				if observe != nil {
					w.Subscribe(observe)
				}
				return w
			}, newSession)
		})
	}
}

// OptionPeer is the client a transcript asks for with its option lines:
//
//	option transport starttls     the transport can start TLS (STARTTLS, STLS)
//	option transport tls          the connection is TLS from the start (RFC 8314)
//	option service submission     the session is on a submission port (RFC 6409)
func OptionPeer(opts map[string]string) sandbox.Peer {
	p := Peer
	switch opts["transport"] {
	case "starttls":
		p.CanStartTLS = true
	case "tls":
		t := TestTLS
		p.TLS = &t
	}
	p.Service = sandbox.Service(opts["service"])
	return p
}

// OptionWorld makes the world a transcript asks for with its option lines:
//
//	option max-message-size 200   the SIZE the world advertises
//	option max-store 1000         how much all mailboxes may hold
//	option mail alice 3 bob 1     test messages waiting in mailboxes
//	option locked alice           another session holds alice's mailbox
//	option neighbor 2nde-b.test   another world of the sandbox owns that
//	                              domain (NeighborEntries), as a class's does
//	option store flaky            the store is a FlakyStore, working for now
//	option store-fails-after 1    a FlakyStore that takes one more copy, then
//	                              fails until ! repair-store
//
// A mailbox named lea@2nde-b.test, in mail and locked, is lea's in the
// neighbour world.
func OptionWorld(t testing.TB, opts map[string]string) *sandbox.World {
	t.Helper()
	atoi := func(k string) int {
		if opts[k] == "" {
			return 0
		}
		n, err := strconv.Atoi(opts[k])
		if err != nil {
			t.Fatalf("option %s: %v", k, err)
		}
		return n
	}
	cfg := sandbox.Config{Name: "test", Limits: sandbox.Limits{
		MaxMessageSize: atoi("max-message-size"), MaxStore: int64(atoi("max-store")),
	}}
	if domains := strings.Fields(opts["neighbor"]); len(domains) > 0 {
		cfg.Directory = neighbors(domains)
	}
	flaky := NewFlakyStore(sandbox.NewMemoryStore())
	if opts["store"] == "flaky" || opts["store-fails-after"] != "" {
		cfg.Store = flaky
	}
	w := newWorld(cfg, 0x12A36E8003D4)
	f := strings.Fields(opts["mail"])
	for i := 0; i+1 < len(f); i += 2 {
		n, err := strconv.Atoi(f[i+1])
		if err != nil {
			t.Fatalf("option mail: bad count %q", f[i+1])
		}
		home, box := MailboxOf(t, w, f[i])
		FillMailbox(t, home, box, n)
	}
	for _, name := range strings.Fields(opts["locked"]) {
		if home, box := MailboxOf(t, w, name); !home.Store.Lock(box) {
			t.Fatalf("option locked: %s already locked", name)
		}
	}
	if opts["store-fails-after"] != "" {
		flaky.Break(atoi("store-fails-after")) // after the test mail is in
	}
	return w
}

// neighbors makes a world for each domain and returns the directory that
// finds them. The worlds' own ids start far from the main world's, so a
// transcript shows at a glance which world made a message.
func neighbors(domains []string) func(string) *sandbox.World {
	worlds := map[string]*sandbox.World{}
	for i, d := range domains {
		worlds[d] = newWorld(sandbox.Config{
			Name: "neighbor-" + d, Domain: d, Entries: NeighborEntries(),
		}, 0xB00000000001+uint64(i)<<32)
	}
	return func(domain string) *sandbox.World { return worlds[domain] }
}

// NeighborEntries are the addresses of a neighbour world: two students, the
// class list, an alias and a mailbox that is always full. The passwords are
// not the names, so a login that works proves the neighbour's entry was used.
func NeighborEntries() []sandbox.Entry {
	return []sandbox.Entry{
		{Local: "lea", Kind: sandbox.KindUser, FullName: "Léa Girard", Password: "plume"},
		{Local: "hugo", Kind: sandbox.KindUser, FullName: "Hugo Roux", Password: "craie"},
		{Local: "classe", Kind: sandbox.KindList, FullName: "2nde B", Members: []string{"lea", "hugo"}},
		{Local: "prof", Kind: sandbox.KindAlias, Target: "hugo"},
		{Local: "full", Kind: sandbox.KindUser, Password: "full", Quota: sandbox.FullQuota},
	}
}

// MailboxOf resolves a mailbox name of a transcript: "alice" is w's,
// "lea@2nde-b.test" lea's in the neighbour world of 2nde-b.test.
func MailboxOf(t testing.TB, w *sandbox.World, name string) (*sandbox.World, string) {
	t.Helper()
	local, domain, ok := strings.Cut(name, "@")
	if !ok {
		return w, name
	}
	n := w.Neighbor(domain)
	if n == nil {
		t.Fatalf("mailbox %s: no neighbour world owns %s", name, domain)
	}
	return n, local
}

// FillMailbox delivers n test messages to box and returns them. The second
// has body lines starting with a dot, one of them a lone dot, to show how
// each protocol sends them.
func FillMailbox(t testing.TB, w *sandbox.World, box string, n int) []*sandbox.Message {
	t.Helper()
	var out []*sandbox.Message
	for i := 1; i <= n; i++ {
		m := TestMessage(w, box, i)
		if err := w.Store.Deliver(m, 1<<20, 1<<30); err != nil {
			t.Fatalf("deliver to %s: %v", box, err)
		}
		out = append(out, m)
	}
	return out
}

// TestMessage is the i-th test message for box.
func TestMessage(w *sandbox.World, box string, i int) *sandbox.Message {
	id := w.NewID()
	var b strings.Builder
	fmt.Fprintf(&b, "From: Bob Durand <bob@%s>\r\n", w.Domain)
	fmt.Fprintf(&b, "To: %s@%s\r\n", box, w.Domain)
	fmt.Fprintf(&b, "Subject: Test message %d\r\n", i)
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", id, w.Domain)
	b.WriteString("\r\n")
	fmt.Fprintf(&b, "Hello %s,\r\n", box)
	if i == 2 {
		b.WriteString(".\r\n..two dots\r\n.hidden\r\n")
	}
	fmt.Fprintf(&b, "this is message %d.\r\n", i)
	b.WriteString("Bye\r\n")
	return &sandbox.Message{
		ID: id, Mailbox: box, Arrived: w.Now(), Raw: []byte(b.String()),
		Subject: fmt.Sprintf("Test message %d", i), From: "bob@" + w.Domain,
	}
}

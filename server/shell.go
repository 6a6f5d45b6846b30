package server

import (
	"crypto/x509"
	"encoding/json"
	"strings"
	"sync"

	"smtplab/certs"
	"smtplab/sandbox"
	"smtplab/sandbox/catalog"
	"smtplab/sandbox/dns"
	"smtplab/shell"
)

// The browser terminal's shell runs here: the page sends each line typed
// at the prompt ({"t":"shell"}), the server answers with what to print
// ({"t":"shell","lines":…}) and opens the session the command asks for,
// the client program (package shell) between the student's lines and the
// engine. What the programs print is kept in the terminal's transcript
// with the events, so a reload shows it again, in the page's language;
// so is what an eavesdropper sees of an encrypted session ({"t":"tap"}).

// The addresses telnet says it tries for the sandbox's servers, from
// TEST-NET-1 (RFC 5737): no real host has them.
const (
	practiceAddress = "192.0.2.25"
	classAddress    = "192.0.2.26"
	loopback        = "127.0.0.1"
)

// shellState is the shell's side of one terminal.
type shellState struct {
	mu      sync.Mutex
	conn    *shell.Conn     // the open connection's client program, nil at the prompt
	capture *sandbox.Output // what the session answers the program's own Feed
	sealed  bool            // the session is encrypted: what passes is records
	cert    shell.Certificate
}

// shellMsg is what the page is told to print, as kept in the transcript:
// lines with their catalog keys, written in the page's language when sent.
type shellMsg struct {
	T     string       `json:"t"` // "shell"
	Lines []shell.Line `json:"lines,omitempty"`
	// Aside: the session's events that follow are the client program's
	// own exchange, which it does not print; false: they are over.
	Aside *bool `json:"aside,omitempty"`
}

// shellOut is a shellMsg as the page receives it.
type shellOut struct {
	T     string     `json:"t"` // "shell"
	Lines []lineText `json:"lines,omitempty"`
	Aside *bool      `json:"aside,omitempty"`
	Clear bool       `json:"clear,omitempty"`
	// End says the command is over: "prompt" (the prompt is back) or
	// "session" (a connection is open, of protocol Proto).
	End   string `json:"end,omitempty"`
	Proto string `json:"proto,omitempty"`
}

type lineText struct {
	Text string     `json:"text"`
	Kind shell.Kind `json:"kind"`
}

// tapMsg is what someone on the path sees of one step of an encrypted
// session: records, never the text they carry.
type tapMsg struct {
	T       string         `json:"t"` // "tap"
	Records []shell.Record `json:"records"`
}

// shellOf is the shell of visitor v's terminals: the servers it reaches
// are the practice world's, the other servers of the visitor's network
// and, for a student, the class's. Its dig, host and nslookup ask the
// network's DNS (a visitor without a network has none); its mailq lists
// the practice world's queue.
func (s *Server) shellOf(v *visitor) *shell.Shell {
	sh := &shell.Shell{
		Resolver:    shell.ResolverFunc(func(name string) (shell.Host, bool) { return s.resolve(v, name) }),
		Ports:       map[int]string{},
		Certificate: s.terminalCert(),
		Host:        s.cfg.World.Host,
		// As OpenSSL 3: without -ign_eof or -quiet, a line starting with
		// R, Q or k is openssl's own command; the lessons say so.
		CommandLetters: true,
		Queue:          v.world.Store.Queue,
		Now:            v.world.Now,
	}
	if v.net != nil {
		n := v.net.Network()
		sh.DNS = &dns.Client{Resolver: v.net.Resolver(), Now: v.world.Now,
			// The practice server and a class's answer, though the
			// network's file may not name them.
			Down: func(host string) bool {
				host = strings.TrimSuffix(host, ".")
				return n.Refuses(host) && !hostOf(v.world, host) && s.classServer(host) == nil
			}}
	}
	for name, port := range map[string]int{
		"smtp": s.cfg.Ports.SMTP, "pop3": s.cfg.Ports.POP3, "pop2": s.cfg.Ports.POP2,
		"submission": s.cfg.TLS.Submission, "submissions": s.cfg.TLS.Submissions, "pop3s": s.cfg.TLS.POP3S,
	} {
		if port > 0 {
			sh.Ports[port] = name
		}
	}
	return sh
}

// resolve finds the server a host name reaches for visitor v: the
// practice server under its names (and the loopback ones), or the class's.
func (s *Server) resolve(v *visitor, name string) (shell.Host, bool) {
	all := shell.AllServices()
	if sc := v.studentOf(); sc != nil {
		if hostOf(sc.room.World, name) {
			return shell.Host{Address: classAddress, Server: "class", Services: all}, true
		}
	}
	switch name {
	case "localhost", "127.0.0.1", "::1":
		address := loopback
		if name == "::1" {
			address = name
		}
		return shell.Host{Address: address, Server: "", Services: all}, true
	case "mail", "smtp", "pop", "pop3":
		return shell.Host{Address: practiceAddress, Server: "", Services: all}, true
	}
	if hostOf(s.cfg.World, name) {
		return shell.Host{Address: practiceAddress, Server: "", Services: all}, true
	}
	return s.networkHost(v, name)
}

// networkHost is one of the other mail servers of the visitor's network
// (mx.other.test…), at the address the DNS gives it. They are MTAs:
// they listen on port 25 only.
func (s *Server) networkHost(v *visitor, name string) (shell.Host, bool) {
	if v.net == nil {
		return shell.Host{}, false
	}
	host := strings.ToLower(strings.TrimSuffix(name, "."))
	recs, err := v.net.Resolver().A(host)
	if err != nil || len(recs) == 0 {
		return shell.Host{}, false
	}
	h := shell.Host{Address: recs[0].Addr.String(), Server: networkServer + host}
	if v.net.ServerByHost(host) != nil {
		h.Services, h.Name = []string{"smtp"}, host
	}
	return h, true // a host that is down has an address, and refuses
}

// networkServer starts the handle of a network host in a Dial.
const networkServer = "host:"

// hostOf reports whether name is one of w's server names: its host, its
// domain, or smtp., pop. and pop3. before the domain.
func hostOf(w *sandbox.World, name string) bool {
	if strings.EqualFold(name, w.Host) || strings.EqualFold(name, w.Domain) {
		return true
	}
	for _, p := range []string{"smtp.", "pop.", "pop3."} {
		if strings.EqualFold(name, p+w.Domain) {
			return true
		}
	}
	return false
}

// terminalCert is what the terminal's TLS presents: the TLS services'
// certificate, or, with none on, one made for the occasion, in memory.
func (s *Server) terminalCert() shell.Certificate {
	s.termCert.once.Do(func() {
		leaf := s.cfg.Cert
		if leaf == nil {
			if c, err := certs.Load(certs.Config{Names: []string{s.cfg.World.Host, "localhost", "127.0.0.1", "::1"}}); err == nil {
				leaf = c.Leaf
			} else {
				s.log.Warn("no certificate for the browser terminal's TLS", "err", err)
				leaf = &x509.Certificate{}
			}
		}
		s.termCert.c = shell.Describe(leaf)
	})
	return s.termCert.c
}

// certCache holds the terminal's certificate, described once.
type certCache struct {
	once sync.Once
	c    shell.Certificate
}

// shellLine runs a line typed at the terminal's prompt.
func (c *wsConn) shellLine(line, remote string) {
	t := c.terminal
	if t.session() != nil {
		c.fail("already_open")
		return
	}
	sh := c.s.shellOf(c.visitor)
	r := sh.Run(line)
	l := &termLink{t: t, c: c, remote: remote}
	if r.Clear {
		t.clear()
		c.sendJSON(shellOut{T: "shell", Clear: true})
	} else {
		l.Print(r.Lines...)
	}
	end := shellOut{T: "shell", End: "prompt"}
	if r.Dial != nil {
		conn := sh.Conn(r.Dial)
		t.sh.mu.Lock()
		t.sh.conn, t.sh.cert = conn, sh.Certificate
		t.sh.mu.Unlock()
		opened := conn.Open(l)
		if !opened {
			c.fail("already_open")
		}
		if opened && !conn.Done() && t.session() != nil {
			end.End, end.Proto = "session", string(r.Dial.Service.Proto)
		} else {
			t.forget(conn)
		}
	}
	c.sendJSON(end)
}

// typed sends lines typed in the open connection, through its program.
func (t *terminal) typed(c *wsConn, lines []string) {
	if conn := t.shellConn(); conn != nil {
		conn.Type(&termLink{t: t, c: c}, lines)
		return
	}
	t.input(lines)
}

// hungUp drops the open connection, as Ctrl+] does.
func (t *terminal) hungUp(c *wsConn) {
	if conn := t.shellConn(); conn != nil {
		conn.Hangup(&termLink{t: t, c: c})
		t.forget(conn)
		return
	}
	t.hangup()
}

func (t *terminal) shellConn() *shell.Conn {
	t.sh.mu.Lock()
	defer t.sh.mu.Unlock()
	return t.sh.conn
}

// forget lets go of conn once it is over.
func (t *terminal) forget(conn *shell.Conn) {
	t.sh.mu.Lock()
	if t.sh.conn == conn {
		t.sh.conn = nil
	}
	t.sh.mu.Unlock()
}

// startTLS is the handshake a session asked for: the client program says
// what it negotiates. A session opened without one (the page's "open")
// never asks.
func (t *terminal) startTLS() (sandbox.TLS, error) {
	conn := t.shellConn()
	if conn == nil {
		return sandbox.TLS{}, errNoTLS
	}
	return conn.Secure(), nil
}

// ended is told the session is over (the server closed it, it timed out,
// the client hung up): its program says so, once.
func (t *terminal) ended() {
	conn := t.shellConn()
	if conn == nil {
		return
	}
	t.printShell(shellMsg{T: "shell", Lines: conn.Closed()})
	if conn.Done() {
		t.forget(conn)
	}
}

// captured adds what one call into the session answered to the capture
// under way, if any: the program reads it.
func (t *terminal) captured(out sandbox.Output) {
	t.sh.mu.Lock()
	defer t.sh.mu.Unlock()
	if o := t.sh.capture; o != nil {
		if len(out.Replies) > 0 {
			o.Replies = out.Replies
		}
		o.StartTLS = o.StartTLS || out.StartTLS
		o.Close = o.Close || out.Close
	}
}

// capturing runs call and returns what the session answered meanwhile.
func (t *terminal) capturing(call func()) sandbox.Output {
	var o sandbox.Output
	t.sh.mu.Lock()
	t.sh.capture = &o
	t.sh.mu.Unlock()
	call()
	t.sh.mu.Lock()
	t.sh.capture = nil
	t.sh.mu.Unlock()
	return o
}

// printShell keeps m in the transcript and sends it to the page showing
// the terminal. Lines with nothing to print are not kept.
func (t *terminal) printShell(m shellMsg) {
	if len(m.Lines) == 0 && m.Aside == nil {
		return
	}
	j, err := json.Marshal(m)
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.log.add(j)
	if t.sink != nil {
		sendKept(t.sink, j)
	}
}

// tapped passes on what an eavesdropper sees of one step's events: once
// the session is encrypted, the records that carry its lines, one run for
// what the client sent together and one for the server's answer, as each
// side writes them; nothing while it is in clear (the page shows those
// lines as they are).
func (t *terminal) tapped(evs []sandbox.Event) {
	t.sh.mu.Lock()
	var recs []shell.Record
	client, server := 0, 0
	flush := func() {
		if client > 0 {
			recs = append(recs, shell.Sealed(shell.Client, client))
		}
		if server > 0 {
			recs = append(recs, shell.Sealed(shell.Server, server))
		}
		client, server = 0, 0
	}
	for _, ev := range evs {
		switch ev.Kind {
		case sandbox.EventOpen:
			t.sh.sealed = ev.Open.TLS != nil
			if t.sh.sealed {
				recs = append(recs, shell.Handshake(ev.Open.TLS.ServerName, t.sh.cert)...)
			}
		case sandbox.EventTLS:
			flush()
			t.sh.sealed = true
			recs = append(recs, shell.Handshake(ev.TLS.ServerName, t.sh.cert)...)
		case sandbox.EventInput:
			if t.sh.sealed {
				if server > 0 {
					flush()
				}
				client += len(ev.Input.Text) + lineEnd(ev.Input)
			}
		case sandbox.EventReply:
			if t.sh.sealed {
				server += ev.Reply.Octets() + ev.Reply.OmittedOctets
			}
		case sandbox.EventClose:
			flush()
			t.sh.sealed = false
		}
	}
	flush()
	t.sh.mu.Unlock()
	if len(recs) == 0 {
		return
	}
	j, err := json.Marshal(tapMsg{T: "tap", Records: recs})
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.log.add(j)
	if t.sink != nil {
		t.sink.enqueue(outItem{raw: j})
	}
}

// lineEnd is the octets that ended an input line: CRLF, or LF alone.
func lineEnd(in *sandbox.Input) int {
	if in.BareLF {
		return 1
	}
	return 2
}

// kept reports whether j, from the transcript, is one of the page
// messages kept beside the events ({"t":…}), not an event.
func kept(j []byte) bool { return len(j) > 5 && string(j[:5]) == `{"t":` }

// sendKept sends a page message kept in the transcript: the shell's lines
// written in the page's language, a tap as it is.
func sendKept(c *wsConn, j []byte) {
	var m shellMsg
	if json.Unmarshal(j, &m) != nil || m.T != "shell" {
		c.enqueue(outItem{raw: append([]byte(nil), j...)})
		return
	}
	c.sendJSON(m.localized(c.locale))
}

func (m shellMsg) localized(l catalog.Locale) shellOut {
	out := shellOut{T: "shell", Aside: m.Aside}
	for _, ln := range m.Lines {
		out.Lines = append(out.Lines, lineText{Text: ln.Text(l), Kind: ln.Kind})
	}
	return out
}

// termLink is what the terminal's connections run over (shell.Link).
type termLink struct {
	t      *terminal
	c      *wsConn
	remote string
}

func (l *termLink) Open(server any, p sandbox.Proto, peer sandbox.Peer) (sandbox.Output, bool) {
	name, _ := server.(string)
	w := l.c.visitor.worldFor(name)
	peer.Remote, peer.Transport = l.remote, "websocket"
	var ok bool
	o := l.t.capturing(func() {
		ok = l.t.open(w, func() sandbox.Session { return l.c.s.cfg.NewSession(w, p, peer) })
	})
	return o, ok
}

func (l *termLink) Feed(p []byte) sandbox.Output {
	return l.t.capturing(func() {
		if d := l.t.session(); d != nil {
			d.Feed(p)
		}
	})
}

func (l *termLink) Hangup() { l.t.hangup() }

func (l *termLink) Print(lines ...shell.Line) { l.t.printShell(shellMsg{T: "shell", Lines: lines}) }

func (l *termLink) Aside(on bool) { l.t.printShell(shellMsg{T: "shell", Aside: &on}) }

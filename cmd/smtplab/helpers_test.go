package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/tcp"
)

// ioTimeout bounds every read and write of a test client, so a server that
// stops answering fails the test instead of hanging it.
const ioTimeout = 10 * time.Second

// noEnv is an empty environment: the tests never depend on the SMTPLAB_*
// variables of whoever runs them.
func noEnv(string) string { return "" }

// testApp is the real smtplab, started in process on loopback.
type testApp struct {
	*app
	logs     *syncBuffer
	stopOnce sync.Once
	stopErr  error
}

// loopbackArgs puts the SMTP, POP3 and POP2 services on a free loopback
// port and the others off: the TLS-only services are for the tests that
// ask for them (tlsArgs). Later flags win, so callers can append "-smtp",
// "off".
var loopbackArgs = []string{"-http", "off", "-smtp", "127.0.0.1:0", "-pop3", "127.0.0.1:0", "-pop2", "127.0.0.1:0",
	"-submission", "off", "-submissions", "off", "-pop3s", "off"}

// tlsArgs puts the TLS-only services on free loopback ports.
var tlsArgs = []string{"-submission", "127.0.0.1:0", "-submissions", "127.0.0.1:0", "-pop3s", "127.0.0.1:0"}

// offByDefault are the services that a smtplab started by startBinary
// leaves off unless its arguments name them: their default ports are fixed,
// and tests run in parallel.
var offByDefault = []string{"submission", "submissions", "pop3s"}

// init runs in the process startBinary starts too, before main reads the
// environment (startBinary passes none of the caller's).
func init() {
	if os.Getenv(runMainEnv) != "1" {
		return
	}
	for _, name := range offByDefault {
		if os.Getenv(envName(name)) == "" {
			os.Setenv(envName(name), Off)
		}
	}
}

// startApp starts smtplab with loopbackArgs followed by args, and stops it
// when the test ends. Its log is shown if the test failed.
func startApp(t testing.TB, args ...string) *testApp {
	t.Helper()
	logs := &syncBuffer{}
	return startAppLog(t, logs, logs, args...)
}

func startAppLog(t testing.TB, w io.Writer, logs *syncBuffer, args ...string) *testApp {
	t.Helper()
	cfg, err := parseConfig(append(append([]string(nil), loopbackArgs...), args...), noEnv, io.Discard)
	if err != nil {
		t.Fatalf("parseConfig: %v", err)
	}
	return startConfig(t, cfg, w, logs)
}

func startConfig(t testing.TB, cfg config, w io.Writer, logs *syncBuffer) *testApp {
	t.Helper()
	a := &testApp{app: newApp(cfg, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: mustLevel(cfg.LogLevel)}))), logs: logs}
	if err := a.start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := a.shutdown(); err != nil {
			t.Errorf("stop: %v", err)
		}
		if t.Failed() && logs != nil {
			t.Logf("smtplab log:\n%s", logs)
		}
	})
	return a
}

// shutdown stops the app once; later calls return the first result.
func (a *testApp) shutdown() error {
	a.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.stopErr = a.stop(ctx)
	})
	return a.stopErr
}

// addr is the loopback address of a TCP service.
func (a *testApp) addr(t testing.TB, service string) string {
	t.Helper()
	port, ok := a.ports[service]
	if !ok {
		t.Fatalf("service %s is not listening (ports: %v)", service, a.ports)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// port is the bound port of a service, as a string for command lines.
func (a *testApp) port(t testing.TB, service string) string {
	t.Helper()
	_, p, _ := net.SplitHostPort(a.addr(t, service))
	return p
}

// server finds the TCP server of a service.
func (a *testApp) server(t testing.TB, service string) *tcp.Server {
	t.Helper()
	for _, s := range a.tcp {
		if s.Name == service {
			return s
		}
	}
	t.Fatalf("no TCP server named %s", service)
	return nil
}

// waitSessions polls until the service has n open sessions: the way to know
// that the server has seen a client hang up.
func (a *testApp) waitSessions(t testing.TB, service string, n int) {
	t.Helper()
	s := a.server(t, service)
	waitFor(t, service+" sessions = "+strconv.Itoa(n), func() bool { return s.Sessions() == n })
}

// mailbox returns the texts stored in a mailbox, in order.
func (a *testApp) mailbox(box string) []string {
	var out []string
	for _, m := range a.world.Store.Messages(box) {
		out = append(out, string(m.Raw))
	}
	return out
}

// wantCount fails unless each mailbox holds the given number of messages.
func (a *testApp) wantCount(t testing.TB, counts map[string]int) {
	t.Helper()
	for box, n := range counts {
		if got := len(a.world.Store.Messages(box)); got != n {
			t.Errorf("mailbox %s holds %d messages, want %d", box, got, n)
		}
	}
}

// unlocked reports whether nobody holds box's POP lock, and leaves it free.
func (a *testApp) unlocked(box string) bool {
	if !a.world.Store.Lock(box) {
		return false
	}
	a.world.Store.Unlock(box)
	return true
}

// deliver stores a message as the SMTP engine would, without SMTP: for
// setting up a maildrop.
func (a *testApp) deliver(t testing.TB, box, text string) {
	t.Helper()
	m := &sandbox.Message{ID: a.world.NewID(), Mailbox: box, Arrived: a.world.Now(), Raw: []byte(text)}
	if err := a.world.Store.Deliver(m, 1<<30, 1<<30); err != nil {
		t.Fatalf("deliver to %s: %v", box, err)
	}
}

// sendMail sends with Go's net/smtp client, in clear. smtp.SendMail would
// take the STARTTLS the teaching port offers and, rightly, refuse the
// sandbox's self-signed certificate, which it has no way to be told to trust.
func sendMail(t testing.TB, addr, from string, to []string, msg string) {
	t.Helper()
	if err := sendClear(addr, from, to, msg); err != nil {
		t.Fatalf("net/smtp: %v", err)
	}
}

// sendClear is smtp.SendMail without STARTTLS.
func sendClear(addr, from string, to []string, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after 5s for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// lineConn is a client connection read line by line: enough for SMTP, POP3
// and POP2 as the tests speak them.
type lineConn struct {
	t  testing.TB
	c  net.Conn
	rd *bufio.Reader
}

func dialLines(t testing.TB, addr string) *lineConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(ioTimeout))
	return &lineConn{t: t, c: c, rd: bufio.NewReader(c)}
}

// line reads one line, which must end with CRLF, and returns it without.
func (c *lineConn) line() string {
	c.t.Helper()
	l, err := c.rd.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (partial line %q)", err, l)
	}
	if !strings.HasSuffix(l, "\r\n") {
		c.t.Fatalf("line %q does not end with CRLF", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

func (c *lineConn) write(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// expectEOF fails unless the server closes the connection with nothing more to say.
func (c *lineConn) expectEOF() {
	c.t.Helper()
	rest, err := io.ReadAll(c.rd)
	if err != nil && !errors.Is(err, io.EOF) {
		c.t.Fatalf("waiting for the server to close: %v (read %q)", err, rest)
	}
	if len(rest) > 0 {
		c.t.Fatalf("expected the connection to close, got %q", rest)
	}
}

// smtpClient speaks SMTP a line at a time.
type smtpClient struct{ *lineConn }

func dialSMTP(t testing.TB, addr string) *smtpClient {
	t.Helper()
	c := &smtpClient{dialLines(t, addr)}
	if r := c.reply(); !strings.HasPrefix(r, "220 ") {
		t.Fatalf("SMTP greeting %q", r)
	}
	return c
}

// reply reads a whole reply and returns its last line.
func (c *smtpClient) reply() string {
	c.t.Helper()
	for {
		l := c.line()
		if len(l) < 4 || l[3] != '-' {
			return l
		}
	}
}

// expect sends a command and fails unless the reply starts with want.
func (c *smtpClient) expect(cmd, want string) string {
	c.t.Helper()
	c.write(cmd + "\r\n")
	r := c.reply()
	if !strings.HasPrefix(r, want) {
		c.t.Fatalf("%s: got %q, want %q...", cmd, r, want)
	}
	return r
}

// popClient is a small POP3 client (RFC 1939), written here so the tests
// do not trust any library's idea of the protocol.
type popClient struct {
	*lineConn
	greeting string
}

func dialPOP3(t testing.TB, addr string) *popClient {
	t.Helper()
	c := &popClient{lineConn: dialLines(t, addr)}
	c.greeting = c.line()
	if !strings.HasPrefix(c.greeting, "+OK ") {
		t.Fatalf("POP3 greeting %q", c.greeting)
	}
	return c
}

// cmd sends one command and returns the status line.
func (c *popClient) cmd(line string) string {
	c.t.Helper()
	c.write(line + "\r\n")
	return c.line()
}

// ok sends a command whose answer must be +OK.
func (c *popClient) ok(line string) string {
	c.t.Helper()
	r := c.cmd(line)
	if !strings.HasPrefix(r, "+OK") {
		c.t.Fatalf("%s: got %q, want +OK", line, r)
	}
	return r
}

// multi sends a command with a multi-line answer and returns the status
// line and the data lines, byte-stuffing undone.
func (c *popClient) multi(line string) (string, []string) {
	c.t.Helper()
	status := c.ok(line)
	var data []string
	for {
		l := c.line()
		if l == "." {
			return status, data
		}
		if strings.HasPrefix(l, ".") {
			l = l[1:]
		}
		data = append(data, l)
	}
}

func (c *popClient) login(user, pass string) {
	c.t.Helper()
	c.ok("USER " + user)
	c.ok("PASS " + pass)
}

// stat returns the message count and octets of STAT.
func (c *popClient) stat() (int, int) {
	c.t.Helper()
	r := c.ok("STAT")
	f := strings.Fields(r)
	if len(f) != 3 {
		c.t.Fatalf("STAT: %q is not \"+OK count octets\"", r)
	}
	n, err1 := strconv.Atoi(f[1])
	size, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		c.t.Fatalf("STAT: %q is not \"+OK count octets\"", r)
	}
	return n, size
}

// retr fetches message n as it is stored, with CRLF line ends, and checks
// that the octet count of the status line matches what came.
func (c *popClient) retr(n int) string {
	c.t.Helper()
	status, data := c.multi("RETR " + strconv.Itoa(n))
	text := strings.Join(data, "\r\n") + "\r\n"
	f := strings.Fields(status)
	if len(f) < 2 || f[1] != strconv.Itoa(len(text)) {
		c.t.Errorf("RETR %d: status %q, but %d octets came", n, status, len(text))
	}
	return text
}

// quit ends the session with QUIT and checks that the server closes.
func (c *popClient) quit() string {
	c.t.Helper()
	r := c.ok("QUIT")
	c.expectEOF()
	return r
}

// header returns the header section of a message (up to the empty line).
func header(text string) string {
	h, _, _ := strings.Cut(text, "\r\n\r\n")
	return h + "\r\n"
}

// hasField reports whether the header section holds a field of that name.
func hasField(text, name string) bool {
	for _, l := range strings.Split(header(text), "\r\n") {
		if n, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(n), name) {
			return true
		}
	}
	return false
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// needCommand skips the test when a client program is missing. CI installs
// them all, so there the test always runs.
func needCommand(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		pkg := map[string]string{"nc": "netcat-openbsd"}[name]
		if pkg == "" {
			pkg = name
		}
		t.Skipf("%s not installed (CI installs it; locally: apt-get install %s)", name, pkg)
	}
	return p
}

// result is how a client program ended.
type result struct {
	code           int
	stdout, stderr string
}

// output is everything the program printed, for assertions and messages.
func (r result) output() string { return r.stdout + r.stderr }

// runCommand runs a client program with a deadline.
func runCommand(t *testing.T, stdin io.Reader, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after 20s; output:\n%s", name, strings.Join(args, " "), r.output())
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func mustLevel(s string) slog.Level {
	l, err := parseLevel(s)
	if err != nil {
		panic(err)
	}
	return l
}

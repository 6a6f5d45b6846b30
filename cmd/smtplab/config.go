package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"smtplab/sandbox"
	"smtplab/sandbox/tcp"
	"smtplab/server"
)

// Off turns a listener off when given as its address.
const Off = "off"

// config is everything the flags and environment decide.
type config struct {
	HTTP, SMTP, POP3, POP2 string
	Submission             string // SMTP for mail programs (RFC 6409): STARTTLS, then AUTH
	Submissions            string // the same from the first byte under TLS (RFC 8314)
	POP3S                  string // POP3 from the first byte under TLS (RFC 8314)
	TLSCert, TLSKey        string // the teacher's own certificate; "" makes one
	Domain                 string
	Network                string
	Lessons                string
	Data                   string // data folder, or "off"
	TeacherKey             string // "" makes a random one at each start
	Hostnames              string // names the web interface answers to, besides IP addresses and localhost
	MaxMemory              int64  // the Go runtime's soft memory limit, in bytes
	MaxSessions            int
	MaxWorlds              int // visitors' private worlds kept at once
	SMTPTimeout            time.Duration
	POP3Timeout            time.Duration
	LogLevel               string
}

// parseConfig reads flags; each flag's default comes from the environment
// variable SMTPLAB_<NAME> (upper case, dashes as underscores) when set.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("smtplab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(envName(name)); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.HTTP, "http", env("http", "127.0.0.1:8025"), "address of the web interface, or off")
	fs.StringVar(&c.SMTP, "smtp", env("smtp", "127.0.0.1:2525"), "address of the SMTP service for real clients, or off")
	fs.StringVar(&c.POP3, "pop3", env("pop3", "127.0.0.1:1100"), "address of the POP3 service, or off")
	fs.StringVar(&c.POP2, "pop2", env("pop2", "127.0.0.1:1109"), "address of the POP2 service, or off")
	fs.StringVar(&c.Submission, "submission", env("submission", "127.0.0.1:2587"), "address of the submission service for mail programs (STARTTLS, then AUTH before sending), or off")
	fs.StringVar(&c.Submissions, "submissions", env("submissions", "127.0.0.1:2465"), "address of the submission service under TLS from the first byte (implicit TLS), or off")
	fs.StringVar(&c.POP3S, "pop3s", env("pop3s", "127.0.0.1:1995"), "address of the POP3 service under TLS from the first byte (implicit TLS), or off")
	fs.StringVar(&c.TLSCert, "tls-cert", env("tls-cert", ""), "PEM certificate file of the TLS services, with -tls-key (default: a self-signed one kept in the data folder)")
	fs.StringVar(&c.TLSKey, "tls-key", env("tls-key", ""), "PEM private key file of -tls-cert")
	fs.StringVar(&c.Domain, "domain", env("domain", sandbox.DefaultDomain), "mail domain of the sandbox (use a reserved name such as *.test)")
	fs.StringVar(&c.Network, "network", env("network", ""), "file describing the sandbox's other mail domains, their servers, users and DNS records (default: the built-in network; see sandbox/network/README.md)")
	fs.StringVar(&c.Lessons, "lessons", env("lessons", ""), "directory of extra lesson files, added to the built-in lessons")
	fs.StringVar(&c.Data, "data", env("data", defaultDataDir(getenv)), "folder of the database that keeps classes and their mail across restarts, or off (memory only)")
	fs.StringVar(&c.TeacherKey, "teacher-key", env("teacher-key", ""), "the teacher's key (default: a new random one at each start, printed in the teacher link)")
	fs.StringVar(&c.Hostnames, "hostname", env("hostname", ""), "host names the web interface may be reached by, comma-separated (IP addresses and localhost always work)")
	fs.StringVar(&c.LogLevel, "log-level", env("log-level", "info"), "log level: debug, info, warn or error")
	maxMemory := fs.String("max-memory", env("max-memory", "2GiB"), "soft memory limit of the process (e.g. 512MiB, 2GiB): past it the runtime collects garbage harder")
	maxSessions := fs.String("max-sessions", env("max-sessions", fmt.Sprint(tcp.DefaultMaxSessions)), "most concurrent sessions per TCP service")
	maxWorlds := fs.String("max-worlds", env("max-worlds", fmt.Sprint(server.MaxWorlds)), "most visitors' private worlds kept at once (browser sockets: twice as many)")
	smtpTimeout := fs.String("smtp-timeout", env("smtp-timeout", sandbox.DefaultCommandTimeout.String()), "how long an SMTP server waits for the next command (and for message text, at most 3m)")
	pop3Timeout := fs.String("pop3-timeout", env("pop3-timeout", sandbox.DefaultAutologout.String()), "POP3 autologout: how long a POP session may stay silent")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: smtplab [flags]\n\nEvery flag can also be set with SMTPLAB_<NAME>, e.g. SMTPLAB_SMTP=off.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (flags start with -)", fs.Arg(0))
	}
	// An error names the setting as the user gave it: flag or variable.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	where := func(name string) string {
		if !set[name] && getenv(envName(name)) != "" {
			return envName(name)
		}
		return "-" + name
	}
	var err error
	if c.MaxSessions, err = positiveInt(*maxSessions); err != nil {
		return c, fmt.Errorf("%s: %w", where("max-sessions"), err)
	}
	if c.MaxWorlds, err = positiveInt(*maxWorlds); err != nil {
		return c, fmt.Errorf("%s: %w", where("max-worlds"), err)
	}
	if c.MaxMemory, err = parseSize(*maxMemory); err != nil {
		return c, fmt.Errorf("%s: %w", where("max-memory"), err)
	}
	if c.SMTPTimeout, err = positiveDuration(*smtpTimeout); err != nil {
		return c, fmt.Errorf("%s: %w", where("smtp-timeout"), err)
	}
	if c.POP3Timeout, err = positiveDuration(*pop3Timeout); err != nil {
		return c, fmt.Errorf("%s: %w", where("pop3-timeout"), err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		if c.TLSCert == "" {
			return c, fmt.Errorf("%s needs %s too", where("tls-key"), where("tls-cert"))
		}
		return c, fmt.Errorf("%s needs %s too", where("tls-cert"), where("tls-key"))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return c, fmt.Errorf("%s: %w", where("log-level"), err)
	}
	return c, nil
}

func envName(flag string) string {
	return "SMTPLAB_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func positiveInt(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive number, got %q", s)
	}
	return n, nil
}

func positiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a duration such as 5m or 30s, got %q", s)
	}
	return d, nil
}

// enabled reports whether a listener address is switched on.
func enabled(addr string) bool { return !strings.EqualFold(addr, Off) && addr != "" }

// parseLevel reads -log-level; an unknown level is an error, not a guess.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("want debug, info, warn or error, got %q", s)
}

// defaultDataDir is $XDG_DATA_HOME/smtplab, else ~/.local/share/smtplab.
func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "smtplab")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "smtplab")
	}
	return Off
}

// parseSize reads a size such as 512MiB, 2GiB or 1048576 (bytes).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.n
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("want a size such as 512MiB or 2GiB, got %q", s)
	}
	return n * mult, nil
}

// Command wsload simulates a class of students typing in smtplab's browser
// terminal at once, and measures how fast their lines are answered.
//
// Each simulated student does what a browser does: it loads /sandbox to get
// its own visitor cookie, opens the WebSocket /ws with that cookie and the
// page's Origin, says hello, opens an SMTP session and types one line at a
// time, -rate lines per second: EHLO or HELO, MAIL FROM, two RCPT TO, DATA,
// a few header and body lines, ".", NOOP, VRFY, HELP, RSET, and again. A
// line that gets a reply is answered before the next is typed, as a student
// reads the answer first; its latency is the time from sending the input
// message to receiving its reply event. Message text gets no reply and is
// not timed.
//
//	go run ./cmd/wsload -url http://127.0.0.1:8025 -students 500 -rate 10 -duration 30s
//	go run ./cmd/wsload -url http://127.0.0.1:8025 -tcp 127.0.0.1:2525 -pid $(pgrep -nx smtplab) ...
//
// With -tcp, the same script then runs over raw TCP SMTP sessions (one
// connection per student, to the shared world) and both are printed with
// the ratio p99(ws)/p99(tcp); -url off runs TCP only. The two transports
// run one after the other, each for -duration, so they do not compete for
// the machine. With -pid, the server's resident memory (VmRSS in
// /proc/PID/status) is sampled while the load runs and its CPU time read.
//
// smtplab allows MaxWorldsPerAddress (64) visitor worlds per client
// address, so the students are spread over the loopback addresses
// 127.0.0.2, 127.0.0.3, … (-per-addr students each; Linux routes all of
// 127.0.0.0/8 to loopback). Only loopback targets are accepted: -url and
// -tcp must name 127.0.0.0/8, ::1 or localhost, and nothing else is ever
// dialled. Every loop stops at -duration and every connection is closed
// (after QUIT) before the command exits.
//
// The server must allow the students: start it with -max-worlds above
// -students (WebSockets: twice -max-worlds) and -max-sessions above
// -students for -tcp.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
)

type options struct {
	url, tcp     string
	students     int
	rate         float64
	duration     time.Duration
	pid          int
	perAddr      int
	parallel     int
	replyTimeout time.Duration
	domain, lang string
	verbs        bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "wsload:", err)
		}
		os.Exit(2)
	}
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("wsload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8025", "smtplab's web interface (loopback only), or off")
	fs.StringVar(&o.tcp, "tcp", "", "smtplab's SMTP service HOST:PORT (loopback only): run the same script over TCP too")
	fs.IntVar(&o.students, "students", 100, "students typing at once")
	fs.Float64Var(&o.rate, "rate", 10, "lines per second each student types")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long the students type, per transport")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id: report its memory (VmRSS) and CPU")
	fs.IntVar(&o.perAddr, "per-addr", 50, "students per loopback source address (the server allows 64 worlds per address)")
	fs.IntVar(&o.parallel, "connect-parallel", 32, "students connecting at once before the run")
	fs.DurationVar(&o.replyTimeout, "reply-timeout", 10*time.Second, "longest wait for a reply before a student gives up")
	fs.StringVar(&o.domain, "domain", "example.test", "the sandbox's mail domain (smtplab's -domain)")
	fs.StringVar(&o.lang, "lang", "en", "Accept-Language of the pages (the language of the explanations)")
	fs.BoolVar(&o.verbs, "by-command", false, "also print the latencies of each command")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.students <= 0:
		return o, errors.New("-students must be positive")
	case o.rate <= 0 || o.rate > 1000:
		return o, errors.New("-rate must be in (0, 1000]")
	case o.duration <= 0 || o.duration > time.Hour:
		return o, errors.New("-duration must be in (0, 1h]")
	case o.perAddr <= 0 || o.parallel <= 0 || o.replyTimeout <= 0:
		return o, errors.New("-per-addr, -connect-parallel and -reply-timeout must be positive")
	case o.url == "off" && o.tcp == "":
		return o, errors.New("-url off needs -tcp")
	}
	return o, nil
}

// phase is one transport's run.
type phase struct {
	name string
	dial func(ctx context.Context, src netip.Addr, errs *tally) (session, error)
	to   netip.Addr
}

// result is what a phase measured, with the server's side of it.
type result struct {
	summary
	rssTyping, rssPeak int64         // server RSS once every student is connected; peak while typing
	serverCPU          time.Duration // server CPU time while typing
	ownCPU             time.Duration // this command's CPU time while typing
	byVerb             map[string]summary
	machineCPU         time.Duration // every process's CPU time while typing
	pressure           float64       // share of the time some task waited for a CPU (-1: unknown)
	messages           int64         // WebSocket messages the pages received while typing
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	var phases []phase
	var web, smtp target
	if o.url != "off" {
		if web, err = parseURL(o.url); err != nil {
			return fmt.Errorf("-url: %w", err)
		}
		phases = append(phases, phase{name: "websocket", to: web.dial.Addr(), dial: func(ctx context.Context, src netip.Addr, errs *tally) (session, error) {
			return dialWS(ctx, web, src, o.lang, errs)
		}})
	}
	if o.tcp != "" {
		if smtp, err = parseTarget(o.tcp); err != nil {
			return fmt.Errorf("-tcp: %w", err)
		}
		phases = append(phases, phase{name: "tcp", to: smtp.dial.Addr(), dial: func(ctx context.Context, src netip.Addr, _ *tally) (session, error) {
			return dialTCP(ctx, smtp, src)
		}})
	}
	if o.rate > 20 {
		fmt.Fprintf(stderr, "wsload: warning: -rate %g is over the WebSocket's 20 messages/s: lines will be dropped (error rate)\n", o.rate)
	}
	var rss *rssWatch
	if o.pid > 0 {
		if _, err := statusKB(o.pid, "VmRSS"); err != nil {
			return fmt.Errorf("-pid: %w", err)
		}
		rss = watchRSS(o.pid, 100*time.Millisecond)
		defer rss.close()
	}
	fmt.Fprintf(stdout, "wsload: %d students, %g lines/s each, %s per transport\n", o.students, o.rate, o.duration)
	var results []result
	for i, p := range phases {
		if i > 0 {
			time.Sleep(time.Second) // let the previous phase's sessions end
		}
		r, err := runPhase(ctx, o, p, rss, stdout)
		if err != nil {
			return err
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	report(stdout, o, results, rss)
	return nil
}

// runPhase connects every student, lets them all type for o.duration and
// closes every connection.
func runPhase(ctx context.Context, o options, p phase, rss *rssWatch, stdout io.Writer) (result, error) {
	srcs, err := sources(p.to, o.students, o.perAddr)
	if err != nil {
		return result{}, err
	}
	if !p.to.Is4() && o.students > 64 && p.name == "websocket" {
		fmt.Fprintf(stdout, "wsload: warning: an IPv6 target has one source address; the server allows 64 worlds per address\n")
	}
	errs := &tally{}
	students := make([]*student, 0, o.students)
	var mu sync.Mutex
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	begin := time.Now()
	for i := range o.students {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s, err := p.dial(ctx, srcs[i], errs)
			if err != nil {
				var ce *connError
				if errors.As(err, &ce) {
					errs.add("refused:" + ce.kind)
				} else {
					errs.add("refused")
				}
				return
			}
			g, err := await(s, o.replyTimeout)
			if err != nil || g.code != 220 {
				errs.add(fmt.Sprintf("refused:greeting-%d", g.code))
				s.close()
				return
			}
			mu.Lock()
			students = append(students, &student{id: i, sess: s})
			mu.Unlock()
		}()
	}
	wg.Wait()
	connect := time.Since(begin)
	fmt.Fprintf(stdout, "%s: %d of %d students connected in %s\n", p.name, len(students), o.students, connect.Round(time.Millisecond))

	var res result
	if rss != nil {
		res.rssTyping = rss.sample()
		rss.resetPeak()
	}
	interval := time.Duration(float64(time.Second) / o.rate)
	start := time.Now().Add(100 * time.Millisecond)
	tctx, cancel := context.WithDeadline(ctx, start.Add(o.duration))
	defer cancel()
	var cpu0 time.Duration
	if o.pid > 0 {
		cpu0, _ = cpuTime(o.pid)
	}
	own0 := ownCPU()
	recv0 := received.Load()
	psi0, psiOK := cpuPressure()
	busy0, busyOK := machineBusy()
	for _, st := range students {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Students do not type in step: each starts somewhere in the first interval.
			st.typeLines(tctx, start.Add(rand.N(interval)), interval, o.replyTimeout, o.domain, errs)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res.ownCPU = ownCPU() - own0
	res.messages = received.Load() - recv0
	if psi1, ok := cpuPressure(); ok && psiOK {
		res.pressure = float64(psi1-psi0) / float64(elapsed)
	} else {
		res.pressure = -1
	}
	if busy1, ok := machineBusy(); ok && busyOK {
		res.machineCPU = busy1 - busy0
	}
	if o.pid > 0 {
		cpu1, _ := cpuTime(o.pid)
		res.serverCPU = cpu1 - cpu0
	}
	if rss != nil {
		rss.sample()
		res.rssPeak = rss.resetPeak()
	}
	for _, st := range students {
		wg.Add(1)
		go func() { defer wg.Done(); st.quit() }()
	}
	wg.Wait()

	var samples []time.Duration
	byVerb := map[string][]time.Duration{}
	sent := 0
	for _, st := range students {
		samples = append(samples, st.samples...)
		sent += st.sent
		for v, d := range st.byVerb {
			byVerb[v] = append(byVerb[v], d...)
		}
	}
	res.byVerb = map[string]summary{}
	for v, d := range byVerb {
		res.byVerb[v] = summarize(summary{transport: v}, d)
	}
	res.summary = summarize(summary{
		transport: p.name, students: len(students), sent: sent, elapsed: elapsed,
		connect: connect, errors: errs.snapshot(),
	}, samples)
	return res, nil
}

func report(w io.Writer, o options, results []result, rss *rssWatch) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "transport\tstudents\tlines\tlines/s\ttimed\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%d\t%s\t%s\t%s\t%s\t\n", r.transport, r.students, r.sent, r.linesPerSecond(),
			r.replied, ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max))
	}
	tw.Flush()
	if o.verbs {
		for _, r := range results {
			fmt.Fprintf(w, "\n%s, by command:\n", r.transport)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "command\ttimed\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
			for _, v := range slices.Sorted(maps.Keys(r.byVerb)) {
				s := r.byVerb[v]
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", v, s.replied, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max))
			}
			tw.Flush()
		}
	}
	fmt.Fprintf(w, "target: %.0f lines/s (%d students × %g)\n", float64(o.students)*o.rate, o.students, o.rate)
	for _, r := range results {
		fmt.Fprintf(w, "%s errors: %s\n", r.transport, formatErrors(r.errors))
	}
	for _, r := range results {
		if r.messages > 0 && r.sent > 0 {
			fmt.Fprintf(w, "%s: %d messages to the pages, %.1f per line typed\n", r.transport, r.messages, float64(r.messages)/float64(r.sent))
		}
	}
	if len(results) == 2 && results[1].p99 > 0 {
		fmt.Fprintf(w, "p99 ratio websocket/tcp: %.2f\n", float64(results[0].p99)/float64(results[1].p99))
	}
	for _, r := range results {
		secs := r.elapsed.Seconds()
		line := fmt.Sprintf("%s: wsload CPU %.2f cores", r.transport, r.ownCPU.Seconds()/secs)
		if o.pid > 0 {
			perLine := time.Duration(0)
			if r.sent > 0 {
				perLine = r.serverCPU / time.Duration(r.sent)
			}
			line += fmt.Sprintf(", server CPU %.2f cores (%s per line), server RSS %s connected, peak %s typing",
				r.serverCPU.Seconds()/secs, perLine.Round(time.Microsecond), mib(r.rssTyping), mib(r.rssPeak))
		}
		if r.machineCPU > 0 {
			line += fmt.Sprintf(", whole machine %.2f of %d cores", r.machineCPU.Seconds()/secs, runtime.NumCPU())
		}
		if r.pressure >= 0 {
			line += fmt.Sprintf(", CPU pressure %.0f%%", 100*r.pressure)
		}
		fmt.Fprintln(w, line)
	}
	if rss != nil {
		end, err1 := statusKB(o.pid, "VmRSS")
		hwm, err2 := statusKB(o.pid, "VmHWM")
		if err1 == nil && err2 == nil {
			fmt.Fprintf(w, "server pid %d: VmRSS %s at the end, VmHWM %s (peak since it started)\n", o.pid, mib(end), mib(hwm))
		} else {
			fmt.Fprintf(w, "server pid %d: %v\n", o.pid, errors.Join(err1, err2))
		}
	}
}

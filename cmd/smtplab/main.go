// Command smtplab runs the SMTP/POP3 learning sandbox: the web interface for
// students and the SMTP, POP3 and POP2 services for real clients, all on one
// sandboxed mail world that never sends anything outside itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
)

// shutdownGrace is how long open sessions get to receive their goodbye.
const shutdownGrace = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr))
}

// run starts smtplab and blocks until ctx is done; it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "smtplab:", err)
		return 2
	}
	lvl, _ := parseLevel(cfg.LogLevel) // checked by parseConfig
	// A soft limit: past it the collector works harder rather than letting
	// the heap grow until the machine gives out.
	debug.SetMemoryLimit(cfg.MaxMemory)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	a := newApp(cfg, log)
	if err := a.start(); err != nil {
		fmt.Fprintln(stderr, "smtplab:", err)
		return 1
	}
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := a.stop(sctx); err != nil {
		log.Warn("shutdown incomplete", "err", err)
	}
	return 0
}

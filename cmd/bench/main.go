// Command bench measures the Customer Management write path, read-your-writes lag and customer
// listing against real services it starts in-process: an embedded NATS server with JetStream, a
// throwaway Postgres database, the projector and the HTTP api on a loopback listener. It is run
// by `make bench`; it is not a test, and it prints a plain-text report on stdout (progress goes to
// stderr).
//
// The write benchmarks run twice, each time on a fresh NATS server and database: once with
// SyncAlways (fsync before every ack, the production setting) and once with the server's default
// two-minute fsync interval. The listing benchmark runs on the second of those stacks.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run parses args, runs every benchmark and writes the report to stdout.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	if opts.cpuProfile != "" {
		f, err := os.Create(opts.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// The services log only what went wrong; the report is the output.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	slog.SetDefault(log)
	progress := func(format string, a ...any) {
		fmt.Fprintf(stderr, "bench: "+format+"\n", a...)
	}

	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	started := time.Now()
	rep := &report{opts: opts, started: started}
	if rep.machine, err = readMachine(ctx, opts.adminURL); err != nil {
		return err
	}
	for i, syncAlways := range []bool{true, false} {
		last := i == 1
		if err := runRound(ctx, opts, syncAlways, last, rep, log, progress); err != nil {
			return err
		}
	}
	rep.took = time.Since(started)
	return rep.write(stdout)
}

// runRound starts a fresh stack with the given fsync setting, runs the write and lag benchmarks
// on it and, when withList is set, loads the customers and runs the listing benchmark; it always
// tears the stack down.
func runRound(ctx context.Context, opts options, syncAlways, withList bool, rep *report, log *slog.Logger, progress func(string, ...any)) (err error) {
	progress("starting stack (SyncAlways=%t)", syncAlways)
	s, err := startStack(ctx, opts.adminURL, syncAlways, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := s.close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
			err = cerr
		}
	}()
	rep.machine.natsVersion = s.natsVersion

	r, err := benchWrites(ctx, s, opts, progress)
	if err != nil {
		return err
	}
	if r.lag, err = benchLag(ctx, s, opts, r.ids, progress); err != nil {
		return err
	}
	rep.rounds = append(rep.rounds, r)
	if syncAlways {
		if rep.identity, err = benchIdentity(ctx, s, opts, r.ids, progress); err != nil {
			return err
		}
	}
	if !withList {
		return nil
	}
	if rep.load, err = loadCustomers(ctx, s, opts.customers, progress); err != nil {
		return err
	}
	if rep.list, err = benchList(ctx, s, opts.listRequests, progress); err != nil {
		return err
	}
	if rep.exports, err = benchExports(ctx, s, opts.exportSizes, !opts.noCheckpoint, progress); err != nil {
		return err
	}
	if rep.audit, err = benchAudit(ctx, s, opts.auditEvents, opts.historyEvents, opts.listRequests, progress); err != nil {
		return err
	}
	if opts.skipRebuild {
		return nil
	}
	rep.rebuild, err = benchRebuild(ctx, s, progress)
	return err
}

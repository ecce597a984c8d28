package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/projection"
)

// rebuild runs `projector rebuild [--projection NAME] [--keep-retired]`: it replays the whole log
// into new tables while the live ones keep serving, and switches them in (see projection.Rebuild).
// The projector service may keep running meanwhile; it goes on on the new tables.
func rebuild(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("projector rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("projection", projection.CustomersProjection, "the projection to rebuild")
	keep := fs.Bool("keep-retired", false, "keep the replaced tables in their retired_<time> schema")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("rebuild: unexpected arguments %v", fs.Args())
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	d, err := connect(ctx, cfg, log, false)
	if err != nil || d == nil {
		return err
	}
	defer d.close()
	start := time.Now()
	rep, err := projection.Rebuild(ctx, projection.RebuildConfig{Pool: d.pool, Store: eventstore.New(d.js, nil), Keys: d.keys, Projection: *name,
		KeepRetired: *keep, Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rebuilt %s: %d events replayed in %s (%.0f events/s); switched in at sequence %d in %s; total %s\n",
		*name, rep.Events, rep.Took.Round(time.Millisecond), float64(rep.Events)/rep.Took.Seconds(), rep.Checkpoint,
		rep.Swap.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if rep.Retired != "" {
		fmt.Fprintf(stdout, "the replaced tables are kept in schema %s\n", rep.Retired)
	}
	return nil
}

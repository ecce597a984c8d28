package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/keyring"
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
	nc, err := connectNATS(ctx, log, cfg.natsURL)
	if err != nil {
		return stopped(ctx, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	pool, err := connectPostgres(ctx, log, cfg.databaseURL)
	if err != nil {
		return stopped(ctx, err)
	}
	defer pool.Close()
	if err := projection.Migrate(ctx, pool); err != nil {
		return err
	}
	keys, err := keyring.Ensure(ctx, js, keyring.Replicas(cfg.replicas))
	if err != nil {
		return err
	}
	defer keys.Close()
	start := time.Now()
	rep, err := projection.Rebuild(ctx, projection.RebuildConfig{Pool: pool, Store: eventstore.New(js, nil), Keys: keys, Projection: *name,
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

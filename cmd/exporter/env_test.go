package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/keyring"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/testenv"
)

// exporterEnv is what an exporter test runs beside: a real NATS and Postgres, a projector running
// until ctx ends, and the command side that writes requests to the log.
type exporterEnv struct {
	natsURL, dsn string
	js           jetstream.JetStream
	store        *eventstore.Store
	customers    *command.Customers
	exports      *command.Exports
}

// startEnv starts an exporterEnv; its connections close when the test ends.
func startEnv(ctx context.Context, t *testing.T) exporterEnv {
	t.Helper()
	e := exporterEnv{natsURL: testenv.NATS(t), dsn: testenv.Postgres(t)}
	nc, err := nats.Connect(e.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	e.js, _ = jetstream.New(nc)
	if _, err := eventstore.EnsureStream(ctx, e.js, 1); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := projection.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Ensure(ctx, e.js)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	p, err := projection.NewProjector(projection.Config{Pool: pool, NATS: nc, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Run(ctx) }()
	e.store = eventstore.New(e.js, nil)
	e.customers = command.NewCustomers(e.store, nil)
	e.exports = command.NewExports(e.customers)
	return e
}

package main

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/keyring"
	"github.com/toffstech/customer-management/internal/projection"
)

// deps are what both the projector and a rebuild work with: NATS, the migrated read database and
// the key store of personal data.
type deps struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	pool *pgxpool.Pool
	keys *keyring.Keyring
}

// connect opens the deps, waiting for NATS and Postgres to come up (see retry); ensureStream
// creates the event stream too. On error it closes what it opened. Nil deps with a nil error mean
// ctx ended while it waited: a clean stop (see stopped).
func connect(ctx context.Context, cfg config, log *slog.Logger, ensureStream bool) (_ *deps, err error) {
	d := &deps{}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if d.nc, err = connectNATS(ctx, log, cfg.natsURL); err != nil {
		return nil, stopped(ctx, err)
	}
	if d.js, err = jetstream.New(d.nc); err != nil {
		return nil, err
	}
	if ensureStream {
		if _, err := eventstore.EnsureStream(ctx, d.js, cfg.replicas); err != nil {
			return nil, err
		}
	}
	if d.pool, err = connectPostgres(ctx, log, cfg.databaseURL); err != nil {
		return nil, stopped(ctx, err)
	}
	if err := projection.Migrate(ctx, d.pool); err != nil {
		return nil, err
	}
	if d.keys, err = keyring.Ensure(ctx, d.js, keyring.Replicas(cfg.replicas)); err != nil {
		return nil, err
	}
	return d, nil
}

// close releases the deps that were opened, the key store first.
func (d *deps) close() {
	if d.keys != nil {
		d.keys.Close()
	}
	if d.pool != nil {
		d.pool.Close()
	}
	if d.nc != nil {
		d.nc.Close()
	}
}

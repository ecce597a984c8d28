package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
)

// Backoff of the connection attempts at start.
const (
	connectFirst = 100 * time.Millisecond
	connectMax   = 5 * time.Second
)

// retry calls try until it succeeds or ctx is done, logging each failure.
func retry(ctx context.Context, log *slog.Logger, what string, try func() error) error {
	backoff := connectFirst
	for {
		err := try()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		}
		log.Warn("projector: "+what+" failed; retrying", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, connectMax)
	}
}

// connectNATS connects to NATS, waiting for the server to come up. Once connected, the client
// reconnects by itself for as long as the process runs.
func connectNATS(ctx context.Context, log *slog.Logger, natsURL string) (*nats.Conn, error) {
	var nc *nats.Conn
	err := retry(ctx, log, "connect to NATS at "+redactURL(natsURL), func() error {
		var err error
		nc, err = nats.Connect(natsURL,
			nats.Name("cm-projector"),
			nats.MaxReconnects(-1),
			nats.ReconnectWait(time.Second),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					log.Warn("projector: disconnected from NATS", "error", err)
				}
			}),
			nats.ReconnectHandler(func(*nats.Conn) { log.Info("projector: reconnected to NATS") }),
		)
		return err
	})
	return nc, err
}

// connectPostgres opens a pool and waits until Postgres answers.
func connectPostgres(ctx context.Context, log *slog.Logger, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", "DATABASE_URL", err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "cm-projector"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	err = retry(ctx, log, "connect to Postgres at "+redactURL(dsn), func() error {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return pool.Ping(pctx)
	})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// redactURL hides a password in a URL for logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

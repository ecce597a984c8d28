// Package config reads the settings the binaries share from the environment, with the defaults
// `make run` relies on, and connects to NATS and Postgres with bounded retries.
package config

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
)

// Defaults of the settings.
const (
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/customer_management?sslmode=disable"
	DefaultHTTPAddr    = "127.0.0.1:8080"
	DefaultEmbedAddr   = "127.0.0.1:4250"
	DefaultDataDir     = "./var/nats"
)

// Getenv is os.Getenv, or a test's replacement.
type Getenv func(string) string

// String returns the variable or def when it is empty.
func (g Getenv) String(name, def string) string {
	if v := strings.TrimSpace(g(name)); v != "" {
		return v
	}
	return def
}

// Int returns the variable as an int, def when empty, and an error naming it when malformed.
func (g Getenv) Int(name string, def int) (int, error) {
	v := strings.TrimSpace(g(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a whole number", name, v)
	}
	return n, nil
}

// Duration returns the variable as a duration ("5s"), def when empty.
func (g Getenv) Duration(name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(g(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q: not a duration like 5s", name, v)
	}
	return d, nil
}

// Logger returns a JSON slog logger on stderr at LOG_LEVEL (debug, info, warn, error).
func Logger(g Getenv, component string) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.String("LOG_LEVEL", "info"))); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("component", component)
}

// retry calls f until it succeeds, ctx ends, or 30 s pass, backing off up to a second.
func retry(ctx context.Context, what string, log *slog.Logger, f func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	wait := 50 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %w", what, err)
		}
		log.Warn("waiting for "+what, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// ConnectNATS connects to url, retrying while the server is not up yet.
func ConnectNATS(ctx context.Context, url, name string, log *slog.Logger) (*nats.Conn, error) {
	var nc *nats.Conn
	err := retry(ctx, "NATS at "+url, log, func() (err error) {
		nc, err = nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
		return err
	})
	return nc, err
}

// ConnectPostgres opens a pool on dsn and waits until Postgres answers.
func ConnectPostgres(ctx context.Context, dsn string, log *slog.Logger) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := retry(ctx, "Postgres", log, func() error { return pool.Ping(ctx) }); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

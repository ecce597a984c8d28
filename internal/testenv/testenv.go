// Package testenv gives tests of other packages the real services they need:
// an in-process NATS server with JetStream and a fresh Postgres database.
//
// Every helper fails the test loudly when a service is unavailable; none of
// them skips. The package is meant to be imported from _test.go files only.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/toffstech/customer-management/internal/natsembed"
)

// DefaultTestDatabaseURL is the administrative connection used by Postgres
// when TEST_DATABASE_URL is not set.
const DefaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// pollInterval is how often WaitFor evaluates its condition.
const pollInterval = 5 * time.Millisecond

// NATS starts an in-process NATS server with JetStream on a random
// 127.0.0.1 port, storing its data in a temporary directory without fsync
// after every write, and returns its client URL. The server is shut down when
// the test ends.
func NATS(t testing.TB) string {
	t.Helper()
	return NATSServer(t, t.TempDir(), false).ClientURL()
}

// NATSServer starts an in-process NATS server with JetStream on a random
// 127.0.0.1 port that stores its data in dir, fsyncing every write when sync
// is true. Tests that restart a server pass the same dir again. The server is
// shut down when the test ends; shutting it down earlier is allowed.
func NATSServer(t testing.TB, dir string, sync bool) *natsembed.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := natsembed.Start(ctx, natsembed.Options{
		Host:       "127.0.0.1",
		Port:       -1,
		StoreDir:   dir,
		SyncAlways: sync,
	})
	if err != nil {
		t.Fatalf("testenv: start embedded NATS in %s: %v", dir, err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// Postgres creates a fresh, empty database named cmtest_<random hex> on the
// server given by TEST_DATABASE_URL (default DefaultTestDatabaseURL) and
// returns a DSN for it. The database is dropped, closing any remaining
// connections, when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultTestDatabaseURL
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("testenv: parse TEST_DATABASE_URL %q: %v", admin, err)
	}

	name := "cmtest_" + randomHex(t, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn := connect(ctx, t, admin)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn := connect(ctx, t, admin)
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})

	dsn := *u
	dsn.Path = "/" + name
	dsn.RawPath = ""
	dsn.RawQuery = "sslmode=disable"
	return dsn.String()
}

// connect opens an administrative connection or fails the test with a hint
// on how to start Postgres.
func connect(ctx context.Context, t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("testenv: Postgres is not reachable at %s: %v\n"+
			"Run scripts/ensure-postgres.sh (or set TEST_DATABASE_URL) and try again.", redact(dsn), err)
	}
	return conn
}

// redact hides a password in a connection URL for error messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable TEST_DATABASE_URL)"
	}
	return u.Redacted()
}

// WaitFor calls cond every 5 ms until it returns true and fails the test if
// that has not happened within timeout. The optional msgAndArgs, a format
// string followed by its arguments, describe what was awaited.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: condition not met within %s: %s", timeout, describe(msgAndArgs))
		}
		<-tick.C
	}
}

// describe formats WaitFor's optional message.
func describe(msgAndArgs []any) string {
	switch {
	case len(msgAndArgs) == 0:
		return "(no description)"
	case len(msgAndArgs) == 1:
		return fmt.Sprint(msgAndArgs[0])
	}
	if format, ok := msgAndArgs[0].(string); ok {
		return fmt.Sprintf(format, msgAndArgs[1:]...)
	}
	return fmt.Sprint(msgAndArgs...)
}

// FreeAddr returns "127.0.0.1:<port>" for a TCP port that was free when it
// was checked.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: find a free port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("testenv: release port %s: %v", addr, err)
	}
	return addr
}

// randomHex returns 2*n random hexadecimal characters.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testenv: random name: %v", err)
	}
	return hex.EncodeToString(b)
}

package testenv_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/testenv"
)

func TestNATS(t *testing.T) {
	url := testenv.NATS(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Fatalf("AccountInfo: %v", err)
	}
}

func TestNATSServerRestartOnSameDir(t *testing.T) {
	dir := t.TempDir()
	s := testenv.NATSServer(t, dir, true)
	if !s.JetStreamConfig().SyncAlways {
		t.Fatal("SyncAlways is false, want true")
	}
	s.Shutdown()
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err != nil {
		t.Fatalf("store dir not used: %v", err)
	}
	s2 := testenv.NATSServer(t, dir, false)
	if s2.JetStreamConfig().SyncAlways {
		t.Fatal("SyncAlways is true, want false")
	}
}

func TestPostgres(t *testing.T) {
	var dsn string
	var open *pgx.Conn
	t.Run("create", func(t *testing.T) {
		dsn = testenv.Postgres(t)
		if !strings.Contains(dsn, "/cmtest_") || !strings.HasSuffix(dsn, "?sslmode=disable") {
			t.Fatalf("DSN = %q, want .../cmtest_<hex>?sslmode=disable", dsn)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("connect %s: %v", dsn, err)
		}
		// Cleanup must drop the database even while this connection is open.
		open = conn
		if _, err := conn.Exec(ctx, "CREATE TABLE t (id int)"); err != nil {
			t.Fatalf("create table: %v", err)
		}
	})

	if open != nil {
		defer open.Close(context.Background())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		admin = testenv.DefaultTestDatabaseURL
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("admin connect: %v", err)
	}
	defer conn.Close(ctx)
	name := dsn[strings.LastIndex(dsn, "/")+1 : strings.Index(dsn, "?")]
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatalf("query pg_database: %v", err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after the test ended", name)
	}
}

func TestWaitFor(t *testing.T) {
	var calls atomic.Int32
	testenv.WaitFor(t, time.Second, func() bool { return calls.Add(1) >= 3 }, "third call")
	if got := calls.Load(); got != 3 {
		t.Fatalf("cond called %d times, want 3", got)
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and stops
// the calling goroutine, as testing.T does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestWaitForFailsAtDeadline(t *testing.T) {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		testenv.WaitFor(r, 30*time.Millisecond, func() bool { return false }, "value %d", 42)
	}()
	<-done
	if elapsed := time.Since(start); elapsed < 30*time.Millisecond {
		t.Fatalf("WaitFor gave up after %s, before its 30ms deadline", elapsed)
	}
	if !strings.Contains(r.msg, "value 42") {
		t.Fatalf("failure message = %q, want it to contain %q", r.msg, "value 42")
	}
}

func TestPostgresUnreachableFailsWithHint(t *testing.T) {
	t.Setenv("TEST_DATABASE_URL", "postgres://postgres@"+testenv.FreeAddr(t)+"/postgres?sslmode=disable&connect_timeout=2")
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testenv.Postgres(r)
	}()
	<-done
	if !strings.Contains(r.msg, "scripts/ensure-postgres.sh") {
		t.Fatalf("failure message = %q, want a hint to run scripts/ensure-postgres.sh", r.msg)
	}
}

func TestFreeAddr(t *testing.T) {
	addr := testenv.FreeAddr(t)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("FreeAddr = %q, want 127.0.0.1:<port>", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on FreeAddr %s: %v", addr, err)
	}
	l.Close()
}

package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/toffstech/customer-management/internal/export/worker"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/testenv"
)

// newConsoleStack is newStack plus the export worker consuming export requests as cmd/exporter
// runs it (worker.Consume on the shared durable consumer), so an export requested through the API
// or the console is processed without the test calling Process. The worker stops when the test
// ends. A failed attempt is retried after 200 ms, not the exporter's 5 s.
func newConsoleStack(t *testing.T) *stack {
	t.Helper()
	s := newStack(t, stackOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	waiter, err := projection.NewWaiter(ctx, s.pool, projection.CustomersProjection)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p, err := worker.New(worker.Config{Exports: s.exports, Pool: s.pool, Waiter: waiter, Store: s.exportStore, Logger: discard})
	if err != nil {
		cancel()
		waiter.Close()
		t.Fatal(err)
	}
	natsURL := s.nc.ConnectedUrl()
	stopped := make(chan error, 1)
	go func() {
		stopped <- worker.Consume(ctx, s.js, p, worker.ConsumerConfig{
			Dial:       func() (*nats.Conn, error) { return nats.Connect(natsURL, nats.Name("cm-exporter test")) },
			RetryDelay: 200 * time.Millisecond,
			Logger:     discard,
		})
	}()
	// Registered after newStack's cleanup, so it runs first: the worker stops before NATS and
	// Postgres go away.
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("export worker: %v", err)
		}
		waiter.Close()
	})
	return s
}

// TestConsoleStackProcessesExports requests an export through the API and waits for the running
// worker to finish it: nobody calls Process.
func TestConsoleStackProcessesExports(t *testing.T) {
	s := newConsoleStack(t)
	cust := s.create(t, map[string]any{"name": "Worker Co"}).json(t)["id"].(string)
	if r := s.do(t, "POST", "/v1/customers/"+cust+"/domains", map[string]any{"host": "worker.example.com",
		"origins": []any{map[string]any{"type": "IPv4", "address": "203.0.113.9", "port": 443}}}); r.StatusCode != http.StatusCreated {
		t.Fatalf("add domain: %d %s", r.StatusCode, r.body)
	}
	r := s.do(t, "POST", "/v1/customers/"+cust+"/exports", nil)
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("request export: %d %s", r.StatusCode, r.body)
	}
	id := r.json(t)["id"].(string)
	var st map[string]any
	testenv.WaitFor(t, 30*time.Second, func() bool {
		st = s.do(t, "GET", "/v1/exports/"+id, nil).json(t)
		return st["status"] == "succeeded" || st["status"] == "failed"
	}, "export %s never finished", id)
	if st["status"] != "succeeded" || st["rows"] != float64(1) {
		t.Fatalf("export %s: %s", id, mapString(st))
	}
	d := s.do(t, "GET", "/v1/exports/"+id+"/download", nil)
	if d.StatusCode != http.StatusOK || !strings.Contains(string(d.body), "worker.example.com") {
		t.Fatalf("download: %d %s", d.StatusCode, d.body)
	}
}

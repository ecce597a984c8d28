package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/testenv"
)

func TestExporterStartsReportsHealthAndStops(t *testing.T) {
	url := testenv.NATS(t)
	addr := testenv.FreeAddr(t)
	env := map[string]string{"NATS_URL": url, "METRICS_ADDR": addr, "LOG_LEVEL": "error"}
	ctx, cancel := context.WithCancel(context.Background())
	var out testenv.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, &out) }()
	testenv.WaitFor(t, 10*time.Second, func() bool { return strings.Contains(out.String(), "exporter ready") }, "exporter never got ready")
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz = %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("exporter did not stop")
	}
}

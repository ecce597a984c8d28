package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/testenv"
)

// TestExporterTurnsRequestsIntoFiles runs the real exporter program beside a projector: export
// requests written to the log become CSV files in the NATS object store, each with one outcome.
func TestExporterTurnsRequestsIntoFiles(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := startEnv(ctx, t)
	doms := command.NewDomains(e.customers)
	sys := command.SystemMeta("test")
	c, err := e.customers.CreateCustomer(ctx, sys, domain.CreateCustomer{Name: "Acme, Ltd"})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"b.acme.example", "a.acme.example"} {
		s := domain.DefaultDomainSettings()
		s.Host = host
		s.Origins = []events.Origin{{Type: "IPv4", Address: "203.0.113.10", Port: 443, Enabled: true}}
		if _, err := doms.AddDomain(ctx, sys, c.Customer.ID, s); err != nil {
			t.Fatal(err)
		}
	}
	req, err := e.exports.RequestExport(ctx, sys, c.Customer.ID)
	if err != nil {
		t.Fatal(err)
	}

	env := map[string]string{"NATS_URL": e.natsURL, "DATABASE_URL": e.dsn, "METRICS_ADDR": testenv.FreeAddr(t), "LOG_LEVEL": "error"}
	var out testenv.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, &out) }()
	testenv.WaitFor(t, 20*time.Second, func() bool { return strings.Contains(out.String(), "exporter ready") }, "exporter never got ready:\n%s", out.String())
	resp, err := http.Get("http://" + env["METRICS_ADDR"] + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	var x domain.Export
	testenv.WaitFor(t, 20*time.Second, func() bool {
		x, _ = e.exports.Export(ctx, req.Export.ID)
		return x.Status(time.Now()) == domain.ExportSucceeded
	}, "the export never succeeded")
	if x.Result.Rows != 2 || !strings.HasPrefix(x.Result.Filename, "acme-ltd-domains-") {
		t.Fatalf("result: %+v", x.Result)
	}
	files, err := storage.NewNATSObjectStore(ctx, e.js, storage.NATSConfig{})
	if err != nil {
		t.Fatal(err)
	}
	r, info, err := files.Open(ctx, x.Result.ObjectKey)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if info.SHA256 != x.Result.SHA256 || int64(len(b)) != x.Result.Bytes || !bytes.HasPrefix(b, []byte("\ufeffHost,")) ||
		bytes.Index(b, []byte("a.acme.example")) > bytes.Index(b, []byte("b.acme.example")) || !bytes.Contains(b, []byte(`"Acme, Ltd"`)) {
		t.Fatalf("file (%s): %q", info.SHA256, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exporter stopped with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("exporter did not stop")
	}
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/testenv"
)

// TestKilledExporterLeavesNoHalfFile builds the real exporter, kills it with SIGKILL while it
// writes an export of 15 000 domains, starts another one, and checks that the job is picked up
// again and ends with exactly one export.succeeded whose file is complete — and that no other
// file of that export is readable.
func TestKilledExporterLeavesNoHalfFile(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := startEnv(ctx, t)
	sys := command.SystemMeta("test")
	c, err := e.customers.CreateCustomer(ctx, sys, domain.CreateCustomer{Name: "Big Co"})
	if err != nil {
		t.Fatal(err)
	}
	// 15 000 domains, appended directly in atomic batches of 500 (the read model is what the
	// exporter reads).
	const total = 15000
	for b := 0; b < total/500; b++ {
		var msgs []eventstore.Message
		for i := range 500 {
			s := domain.DefaultDomainSettings()
			s.Host = fmt.Sprintf("h%05d.big.example", b*500+i)
			s.Origins = []events.Origin{{Type: "IPv4", Address: "203.0.113.10", Port: 443, Enabled: true}}
			data, v, _ := events.MarshalData(events.DomainAddedV1{CustomerID: c.Customer.ID, Settings: s})
			id := uuid.Must(uuid.NewV7()).String()
			msgs = append(msgs, eventstore.Message{Subject: events.DomainSubject(id), Expect: eventstore.Seq(0), Envelope: events.Envelope{
				ID: uuid.Must(uuid.NewV7()).String(), Type: events.DomainAdded, Time: time.Now().UTC(), SchemaVersion: v, Data: data,
				AggregateType: events.AggregateDomain, AggregateID: id, AggregateVersion: 1, ActorType: events.ActorSystem}})
		}
		if _, err := e.store.Append(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	req, err := e.exports.RequestExport(ctx, sys, c.Customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "NATS_URL="+e.natsURL, "DATABASE_URL="+e.dsn, "METRICS_ADDR=off", "LOG_LEVEL=error", "EXPORTER_ACK_WAIT=2s")
	start := func() *exec.Cmd {
		cmd := exec.Command(bin)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := start()
	testenv.WaitFor(t, 60*time.Second, func() bool {
		x, _ := e.exports.Export(ctx, req.Export.ID)
		return x.Status(time.Now()) == domain.ExportRunning || x.Status(time.Now()) == domain.ExportSucceeded
	}, "the first exporter never started the job")
	_ = first.Process.Signal(syscall.SIGKILL)
	_ = first.Wait()
	killedAt, _ := e.exports.Export(ctx, req.Export.ID)
	t.Logf("killed with the export %s", killedAt.Status(time.Now()))

	second := start()
	defer func() { _ = second.Process.Signal(syscall.SIGTERM); _ = second.Wait() }()
	var x domain.Export
	testenv.WaitFor(t, 60*time.Second, func() bool {
		x, _ = e.exports.Export(ctx, req.Export.ID)
		return x.Status(time.Now()) == domain.ExportSucceeded
	}, "the job was not picked up again")
	succeeded := 0
	stored, err := e.store.Load(ctx, events.ExportSubject(req.Export.ID), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stored {
		if s.Envelope.Type == events.ExportSucceeded {
			succeeded++
		}
	}
	if succeeded != 1 || x.Result.Rows != total {
		t.Fatalf("%d export.succeeded, %d rows", succeeded, x.Result.Rows)
	}
	files, err := storage.NewNATSObjectStore(ctx, e.js, storage.NATSConfig{})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := files.List(ctx, "exports/"+req.Export.ID+"/")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.Key != x.Result.ObjectKey {
			t.Errorf("another readable file of the export: %+v", o)
		}
	}
	r, info, err := files.Open(ctx, x.Result.ObjectKey)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if info.SHA256 != x.Result.SHA256 || info.Size != x.Result.Bytes || !strings.HasPrefix(x.Result.Filename, "big-co-domains-") {
		t.Fatalf("file %+v vs result %+v", info, x.Result)
	}
}

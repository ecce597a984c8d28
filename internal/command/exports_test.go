package command_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
)

func TestExportRequestsAndSlots(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	x := command.NewExports(f.h)
	c := f.withOwner(t, "Acme", "", "a@example.com").Customer
	// 10 concurrent requests: exactly 3 get a slot.
	var wg sync.WaitGroup
	results := make([]command.ExportResult, 10)
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() { results[i], errs[i] = x.RequestExport(ctx, meta, c.ID) })
	}
	wg.Wait()
	var ok []command.ExportResult
	for i, err := range errs {
		switch {
		case err == nil:
			ok = append(ok, results[i])
		case domain.ErrorCode(err) != domain.TooMany:
			t.Errorf("unexpected: %v", err)
		}
	}
	if len(ok) != 3 {
		t.Fatalf("%d of 10 concurrent requests got a slot, want 3", len(ok))
	}
	first := ok[0].Export
	if first.Status(time.Now()) != domain.ExportPending || first.CustomerID != c.ID {
		t.Fatalf("requested: %+v", first)
	}
	sys := command.SystemMeta("exporter")
	if err := x.Start(ctx, sys, first, 1); err != nil {
		t.Fatal(err)
	}
	cur, _ := x.Export(ctx, first.ID)
	if cur.Status(time.Now()) != domain.ExportRunning {
		t.Fatalf("started: %s", cur.Status(time.Now()))
	}
	done := events.ExportSucceededV1{ObjectKey: "exports/" + first.ID + ".csv", Rows: 1, Bytes: 10, SHA256: "ab",
		ExpiresAt: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	if _, err := x.Finish(ctx, sys, cur, done); err != nil {
		t.Fatal(err)
	}
	// A second finish of the same job (another worker, a redelivery) records nothing.
	if _, err := x.Finish(ctx, sys, cur, events.ExportFailedV2{Code: events.ExportFailureOther, Reason: "late"}); err == nil {
		t.Fatal("an export finished twice")
	}
	// The slot is free again: one more request is accepted, a fifth is not.
	if _, err := x.RequestExport(ctx, meta, c.ID); err != nil {
		t.Fatalf("request after a slot was freed: %v", err)
	}
	if _, err := x.RequestExport(ctx, meta, c.ID); domain.ErrorCode(err) != domain.TooMany {
		t.Fatalf("fourth running export: %v", err)
	}
	got, err := x.RecordDownload(ctx, meta, first.ID)
	if err != nil || got.Result.ObjectKey != done.ObjectKey {
		t.Fatalf("download: %+v %v", got, err)
	}
	if _, err := x.RecordDownload(ctx, meta, ok[1].Export.ID); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("download of a pending export: %v", err)
	}
	after, _ := x.Export(ctx, first.ID)
	if after.Downloads != 1 {
		t.Errorf("downloads = %d", after.Downloads)
	}
}

package worker_test

import (
	"errors"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/export/worker"
	"github.com/toffstech/customer-management/internal/query"
	"github.com/toffstech/customer-management/internal/testenv"
)

// TestSweepRemovesExpiredFiles: an export whose retention has passed loses its file and reads
// expired; a fresh one is left alone; sweeping again changes nothing.
func TestSweepRemovesExpiredFiles(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	cust := e.customer(t, "Sweep Co")
	e.addDomain(t, cust, "www.sweep.example", nil)
	old := e.request(t, cust)
	fresh := e.request(t, cust)
	clock := time.Now()
	short := e.processor(t, e.objects, func(c *worker.Config) { c.Retention = time.Minute; c.Now = func() time.Time { return clock } })
	long := e.processor(t, e.objects, func(c *worker.Config) { c.Retention = time.Hour; c.Now = func() time.Time { return clock } })
	for p, x := range map[*worker.Processor]command.ExportResult{short: old, long: fresh} {
		if err := p.Process(ctx, x.Export.ID, x.Seq); err != nil {
			t.Fatal(err)
		}
	}
	list := query.NewExports(e.pool)
	seq, _ := e.store.LastSeq(ctx, "cm.export."+fresh.Export.ID)
	if err := e.waiter.Wait(ctx, seq); err != nil {
		t.Fatal(err)
	}
	n, err := worker.Sweep(ctx, e.exports, list, e.objects, clock.Add(2*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	x, _ := e.exports.Export(ctx, old.Export.ID)
	if x.Status(time.Time{}) != domain.ExportExpired {
		t.Errorf("old export: %s", x.Status(time.Time{}))
	}
	if _, _, err := e.objects.Open(ctx, x.Result.ObjectKey); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the expired file is still there: %v", err)
	}
	y, _ := e.exports.Export(ctx, fresh.Export.ID)
	if _, _, err := e.objects.Open(ctx, y.Result.ObjectKey); err != nil {
		t.Errorf("the fresh file was removed: %v", err)
	}
	testenv.WaitFor(t, 5*time.Second, func() bool {
		n, err := worker.Sweep(ctx, e.exports, list, e.objects, clock.Add(2*time.Minute))
		return err == nil && n == 0
	}, "sweeping again still expires something")
	if c := count(e.eventTypes(t, old.Export.ID), "export.expired"); c != 1 {
		t.Errorf("%d export.expired events, want 1", c)
	}
}

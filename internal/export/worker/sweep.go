package worker

import (
	"context"
	"errors"
	"time"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/query"
)

// ExpiredLister lists the exports whose files are past their expiry.
type ExpiredLister interface {
	Expired(ctx context.Context, now time.Time, limit int) ([]query.ExportItem, error)
}

// sweepBatch bounds the exports one sweep handles.
const sweepBatch = 500

// Sweep removes the files of the exports past their expiry at now and records export.expired for
// each; it returns how many it expired. Removing a file that is already gone is fine, and so is an
// export another exporter expired first, so several exporters may sweep at once.
func Sweep(ctx context.Context, exports *command.Exports, list ExpiredLister, store storage.Store, now time.Time) (int, error) {
	items, err := list.Expired(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range items {
		if it.ObjectKey != nil {
			if err := store.Delete(ctx, *it.ObjectKey); err != nil {
				return n, err
			}
		}
		x, err := exports.Export(ctx, it.ID)
		if err != nil {
			return n, err
		}
		if x.Status(time.Time{}) != domain.ExportSucceeded {
			continue // already expired (or never succeeded): the read model was behind
		}
		if err := exports.Expire(ctx, command.SystemMeta("export-sweep"), x); err != nil {
			if errors.Is(err, eventstore.ErrConflict) {
				continue // another exporter expired it
			}
			return n, err
		}
		n++
	}
	return n, nil
}

// SweepEvery runs Sweep every interval until ctx ends, logging what it does.
func SweepEvery(ctx context.Context, interval time.Duration, exports *command.Exports, list ExpiredLister, store storage.Store, p *Processor) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := Sweep(ctx, exports, list, store, p.cfg.Now())
			if err != nil {
				p.log.Warn("export sweep failed", "error", err)
			} else if n > 0 {
				p.log.Info("expired exports removed", "count", n)
			}
		}
	}
}

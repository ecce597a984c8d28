package projection

import (
	"context"
	"log/slog"
	"time"
)

// batcher groups the events the consumer hands over one at a time into transactions of up to
// maxBatch events. It commits what it holds as soon as its input is momentarily empty (after
// waiting up to linger for more), so a lone write is visible at once and, under load, events pile
// up while the previous transaction commits and the next one is bigger.
//
// It never splits an atomic batch: JetStream may deliver the first messages of a batch before the
// rest, so once a message with a Nats-Batch-Id arrives the batcher holds everything until the
// message carrying Nats-Batch-Commit, however long that takes and however big the group grows.
type batcher struct {
	in       <-chan event
	maxBatch int
	linger   time.Duration
	commit   func(ctx context.Context, evs []event) error
	log      *slog.Logger
	// last is the highest sequence received; anything at or below it is a redelivery.
	last uint64
	// open is the id of the atomic batch whose commit message has not arrived yet.
	open string
}

// run batches and commits until ctx is done or commit fails, and returns that error.
func (b *batcher) run(ctx context.Context) error {
	var pending []event
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-b.in:
			pending = b.add(pending, ev)
		}
		var err error
		pending, err = b.gather(ctx, pending)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			if err := b.commit(ctx, pending); err != nil {
				return err
			}
		}
		pending = pending[:0]
	}
}

// gather takes more events until the group may be committed: it is full, or the input is empty
// (for linger), and no atomic batch is open.
func (b *batcher) gather(ctx context.Context, pending []event) ([]event, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for b.open != "" || len(pending) < b.maxBatch {
		select {
		case ev := <-b.in:
			pending = b.add(pending, ev)
			continue
		default:
		}
		var expired <-chan time.Time
		switch {
		case b.open != "":
			// Half an atomic batch may not be committed: wait for the rest.
		case b.linger <= 0:
			return pending, nil
		default:
			if timer == nil {
				timer = time.NewTimer(b.linger)
			} else {
				timer.Reset(b.linger)
			}
			expired = timer.C
		}
		select {
		case <-ctx.Done():
			return pending, ctx.Err()
		case ev := <-b.in:
			pending = b.add(pending, ev)
		case <-expired:
			return pending, nil
		}
	}
	return pending, nil
}

// add appends ev unless it is a redelivery, and tracks atomic batches.
func (b *batcher) add(pending []event, ev event) []event {
	if ev.Seq <= b.last {
		return pending
	}
	b.last = ev.Seq
	switch {
	case ev.BatchID != "" && ev.BatchCommit:
		b.open = ""
	case ev.BatchID != "":
		if b.open != "" && b.open != ev.BatchID {
			b.log.Error("projection: atomic batch ended without its commit message", "batch_id", b.open, "seq", ev.Seq)
		}
		b.open = ev.BatchID
	case b.open != "":
		b.log.Error("projection: atomic batch ended without its commit message", "batch_id", b.open, "seq", ev.Seq)
		b.open = ""
	}
	return append(pending, ev)
}

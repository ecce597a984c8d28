package main

import (
	"context"
	"sync"
	"time"
)

// waitBound is how long one read-your-writes wait may take before the benchmark fails.
const waitBound = 10 * time.Second

// lagResult is what the read-your-writes benchmark measured.
type lagResult struct {
	// rate is the target rate; patch holds the PATCH latencies and the wall time of the run.
	rate  int
	patch samples
	// lag holds, per write, the time from receiving its response until the waiter returned for
	// its consistency token.
	lag samples
	// backlog is how many events the projection had yet to apply when the phase began (the
	// write benchmark's burst), and drained how long it took to apply them; the phase starts
	// after, so that it measures the steady lag, not the burst's.
	backlog uint64
	drained time.Duration
}

// benchLag PATCHes the customers ids in turn at opts.lagRate writes per second for
// opts.lagDuration, each write in its own goroutine so that a slow one does not delay the next
// tick. After each response it waits, in the same goroutine, until the projection's waiter has
// reached the response's consistency token, and records how long that took.
func benchLag(ctx context.Context, s *stack, opts options, ids []string, progress func(string, ...any)) (lagResult, error) {
	total := max(int(opts.lagDuration.Seconds()*float64(opts.lagRate)), 1)
	progress("fsync %s: read-your-writes, %d writes at %d/s", fsyncName(s.syncAlways), total, opts.lagRate)
	res := lagResult{rate: opts.lagRate}
	last, err := s.lastSeq(ctx)
	if err != nil {
		return res, err
	}
	if cp := s.waiter.Checkpoint(); cp < last {
		res.backlog = last - cp
	}
	t := time.Now()
	if err := s.waitProjected(ctx, last, 5*time.Minute); err != nil {
		return res, err
	}
	res.drained = time.Since(t)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		patchLat = make([]time.Duration, 0, total)
		lagLat   = make([]time.Duration, 0, total)
	)
	write := func(id string) {
		t0 := time.Now()
		seq, err := s.api.patchAddress(ctx, id, nextAddress())
		received := time.Now()
		if err != nil {
			cancel(err)
			return
		}
		wctx, wcancel := context.WithTimeout(ctx, waitBound)
		defer wcancel()
		if err := s.waiter.Wait(wctx, seq); err != nil {
			cancel(err)
			return
		}
		lag := time.Since(received)
		mu.Lock()
		patchLat = append(patchLat, received.Sub(t0))
		lagLat = append(lagLat, lag)
		mu.Unlock()
	}

	tick := time.NewTicker(time.Second / time.Duration(opts.lagRate))
	defer tick.Stop()
	start := time.Now()
	for i := 0; i < total && ctx.Err() == nil; i++ {
		select {
		case <-ctx.Done():
		case <-tick.C:
			id := ids[i%len(ids)]
			wg.Go(func() { write(id) })
		}
	}
	sent := time.Since(start)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return res, err
	}
	// The rate achieved is the writes over the time it took to send them.
	res.patch = samples{lat: patchLat, elapsed: sent}
	res.lag = samples{lat: lagLat, elapsed: sent}
	return res, nil
}

package main

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// samples are the latencies of the operations of one benchmark and the wall time they took.
type samples struct {
	lat     []time.Duration
	elapsed time.Duration
	sorted  bool
}

// count returns the number of operations.
func (s *samples) count() int { return len(s.lat) }

// rate returns operations per second over the wall time.
func (s *samples) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(len(s.lat)) / s.elapsed.Seconds()
}

// pct returns the p-th percentile (0 < p <= 100) by the nearest-rank method on the sorted samples.
func (s *samples) pct(p float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	if !s.sorted {
		slices.Sort(s.lat)
		s.sorted = true
	}
	rank := int(math.Ceil(p / 100 * float64(len(s.lat))))
	return s.lat[min(max(rank, 1), len(s.lat))-1]
}

// max returns the largest sample.
func (s *samples) max() time.Duration { return s.pct(100) }

// runWorkers runs op perWorker times in each of workers goroutines, worker w calling it with its
// number and the index of the call, and times every call. The first error stops every worker and
// is returned.
func runWorkers(ctx context.Context, workers, perWorker int, op func(ctx context.Context, w, i int) error) (samples, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		lat[w] = make([]time.Duration, 0, perWorker)
		wg.Go(func() {
			for i := range perWorker {
				if ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := op(ctx, w, i); err != nil {
					cancel(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	s := samples{elapsed: time.Since(start)}
	if err := context.Cause(ctx); err != nil {
		return s, err
	}
	for _, l := range lat {
		s.lat = append(s.lat, l...)
	}
	return s, nil
}

// add appends o's operations and wall time to s.
func (s *samples) add(o samples) {
	s.lat = append(s.lat, o.lat...)
	s.elapsed += o.elapsed
	s.sorted = false
}

package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/toffstech/customer-management/internal/events"
)

// warmups is how many uncounted operations each client runs before a measured mode, so
// connections, caches and the first file block are in place.
const warmups = 20

// addresses hands out distinct addresses of one length, so every PATCH changes the customer and
// every event has the same size.
var addresses atomic.Uint64

// addressOf returns the n-th benchmark address.
func addressOf(n uint64) string { return fmt.Sprintf("%08d Bench Street", n%100_000_000) }

// nextAddress returns a new benchmark address.
func nextAddress() string { return addressOf(addresses.Add(1)) }

// round is everything one stack (one fsync setting) measured.
type round struct {
	syncAlways bool
	// httpSeq and rawSeq are the HTTP PATCH and raw publish with one client, httpConc and rawConc
	// with the concurrent clients.
	httpSeq, rawSeq, httpConc, rawConc samples
	// httpEventBytes and rawEventBytes are the sizes of a stored HTTP customer.updated event and of
	// a raw one.
	httpEventBytes, rawEventBytes int
	// lag is the read-your-writes benchmark's result.
	lag lagResult
	// ids are the customers of the concurrent clients, one each.
	ids []string
}

// benchWrites pre-creates one customer per client, then measures PATCH over HTTP and the raw
// publish, first with one client and then with opts.concurrency clients, each on its own customer
// (or subject), so no write conflicts with another.
func benchWrites(ctx context.Context, s *stack, opts options, progress func(string, ...any)) (round, error) {
	r := round{syncAlways: s.syncAlways}
	seqID, err := s.api.createCustomer(ctx, "Bench sequential", nextAddress())
	if err != nil {
		return r, err
	}
	for i := range opts.concurrency {
		id, err := s.api.createCustomer(ctx, fmt.Sprintf("Bench concurrent %d", i), nextAddress())
		if err != nil {
			return r, err
		}
		r.ids = append(r.ids, id)
	}
	patch := func(ids []string) func(ctx context.Context, w, _ int) error {
		return func(ctx context.Context, w, _ int) error {
			_, err := s.api.patchAddress(ctx, ids[w], nextAddress())
			return err
		}
	}
	perClient := (opts.writes + opts.concurrency - 1) / opts.concurrency

	// One PATCH first, so the size of a stored customer.updated event is known for the raw writer.
	if _, err := s.api.patchAddress(ctx, seqID, nextAddress()); err != nil {
		return r, err
	}
	if r.httpEventBytes, err = s.eventSize(ctx, events.CustomerSubject(seqID)); err != nil {
		return r, err
	}
	var rawIDs []string
	var rawLast []uint64
	for i := range opts.concurrency {
		id, err := s.api.createCustomer(ctx, fmt.Sprintf("Bench raw %d", i), nextAddress())
		if err != nil {
			return r, err
		}
		last, err := s.store.LastSeq(ctx, events.CustomerSubject(id))
		if err != nil {
			return r, err
		}
		rawIDs, rawLast = append(rawIDs, id), append(rawLast, last)
	}
	raw, err := newRawWriter(s.js, rawIDs, rawLast, r.httpEventBytes)
	if err != nil {
		return r, err
	}
	publish := func(ctx context.Context, w, _ int) error { return raw.publish(ctx, w, addresses.Add(1)) }

	progress("fsync %s: HTTP PATCH and raw publish interleaved, 1 client, %d writes each", fsyncName(s.syncAlways), opts.writes)
	if r.httpSeq, r.rawSeq, err = interleaved(ctx, 1, opts.writes, patch([]string{seqID}), publish); err != nil {
		return r, err
	}
	r.rawEventBytes = raw.lastSize
	progress("fsync %s: HTTP PATCH and raw publish interleaved, %d clients, %d writes each", fsyncName(s.syncAlways), opts.concurrency, perClient*opts.concurrency)
	if r.httpConc, r.rawConc, err = interleaved(ctx, opts.concurrency, perClient, patch(r.ids), publish); err != nil {
		return r, err
	}
	return r, nil
}

// interleavedRounds is how many alternating slices the HTTP and raw measurements are cut into.
const interleavedRounds = 10

// interleaved measures two operations in alternating slices (after uncounted warm-ups of each),
// so that drift of the machine during the run — fsync latency varies by a factor of two from
// minute to minute on this disk — weighs on both sides alike.
func interleaved(ctx context.Context, workers, perWorker int, a, b func(ctx context.Context, w, i int) error) (samples, samples, error) {
	var sa, sb samples
	for _, op := range []func(ctx context.Context, w, i int) error{a, b} {
		if _, err := runWorkers(ctx, workers, warmups, op); err != nil {
			return sa, sb, err
		}
	}
	per := max(perWorker/interleavedRounds, 1)
	for done := 0; done < perWorker; done += per {
		n := min(per, perWorker-done)
		ra, err := runWorkers(ctx, workers, n, a)
		if err != nil {
			return sa, sb, err
		}
		rb, err := runWorkers(ctx, workers, n, b)
		if err != nil {
			return sa, sb, err
		}
		sa.add(ra)
		sb.add(rb)
	}
	return sa, sb, nil
}

// fsyncName names an fsync setting in the report.
func fsyncName(syncAlways bool) string {
	if syncAlways {
		return "always"
	}
	return "2m"
}

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

	progress("fsync %s: HTTP PATCH, 1 client, %d writes", fsyncName(s.syncAlways), opts.writes)
	if r.httpSeq, err = measured(ctx, 1, opts.writes, patch([]string{seqID})); err != nil {
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

	progress("fsync %s: raw publish, 1 client, %d writes", fsyncName(s.syncAlways), opts.writes)
	if r.rawSeq, err = measured(ctx, 1, opts.writes, publish); err != nil {
		return r, err
	}
	r.rawEventBytes = raw.lastSize

	progress("fsync %s: HTTP PATCH, %d clients, %d writes", fsyncName(s.syncAlways), opts.concurrency, perClient*opts.concurrency)
	if r.httpConc, err = measured(ctx, opts.concurrency, perClient, patch(r.ids)); err != nil {
		return r, err
	}
	progress("fsync %s: raw publish, %d clients, %d writes", fsyncName(s.syncAlways), opts.concurrency, perClient*opts.concurrency)
	if r.rawConc, err = measured(ctx, opts.concurrency, perClient, publish); err != nil {
		return r, err
	}
	return r, nil
}

// measured runs op warmups times per worker uncounted, then perWorker times per worker measured.
func measured(ctx context.Context, workers, perWorker int, op func(ctx context.Context, w, i int) error) (samples, error) {
	if _, err := runWorkers(ctx, workers, warmups, op); err != nil {
		return samples{}, err
	}
	return runWorkers(ctx, workers, perWorker, op)
}

// fsyncName names an fsync setting in the report.
func fsyncName(syncAlways bool) string {
	if syncAlways {
		return "always"
	}
	return "2m"
}

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// Loading settings.
const (
	// loadWorkers is how many goroutines append concurrently.
	loadWorkers = 32
	// childEvery makes every childEvery-th customer a child of an earlier root customer.
	childEvery = 10
	// projectTimeout bounds the wait for the projection to catch up with the load.
	projectTimeout = 10 * time.Minute
)

// loadResult is what loading the customers measured.
type loadResult struct {
	customers, roots, children int
	// events is how many events the stream gained.
	events uint64
	// appended is how long the appends took; projected is how long from the first append until the
	// projection's checkpoint reached the stream's last sequence.
	appended, projected time.Duration
}

// loadSeed fixes the order in which customer numbers are created, so runs are comparable.
const loadSeed = 20260101

// loadCustomers appends n customer.created events: the roots first, then the children, each
// under a root chosen round-robin, so every parent is in the stream before its children. Each
// event goes through eventstore.Store.Append (expecting a new subject), from loadWorkers goroutines.
// It writes only the customer events, not the name reservations the command layer adds, because
// only the read model is measured on these customers.
//
// Customers are named "Customer <number>" with the numbers 1..n in a shuffled order: were they
// created in numeric order, every name matching a search would sit in one stretch of creation
// time, which real names do not.
//
// Then it waits for the projection and runs ANALYZE, so the listing is measured with current
// planner statistics, as a system that has been running for a while has them.
func loadCustomers(ctx context.Context, s *stack, n int, progress func(string, ...any)) (loadResult, error) {
	res := loadResult{customers: n, children: n / childEvery}
	res.roots = n - res.children
	progress("loading %d customers (%d roots, %d children)", n, res.roots, res.children)
	before, err := s.lastSeq(ctx)
	if err != nil {
		return res, err
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7()).String()
	}
	nums := rand.New(rand.NewPCG(loadSeed, loadSeed)).Perm(n)
	start := time.Now()
	var next atomic.Int64
	appendRange := func(from, to int, parent func(i int) string) error {
		next.Store(int64(from))
		_, err := runWorkers(ctx, loadWorkers, 1, func(ctx context.Context, _, _ int) error {
			for {
				i := int(next.Add(1)) - 1
				if i >= to {
					return nil
				}
				if err := appendCreated(ctx, s.store, ids[i], nums[i]+1, parent(i)); err != nil {
					return err
				}
			}
		})
		return err
	}
	if err := appendRange(0, res.roots, func(int) string { return "" }); err != nil {
		return res, err
	}
	if err := appendRange(res.roots, n, func(i int) string { return ids[i%res.roots] }); err != nil {
		return res, err
	}
	res.appended = time.Since(start)
	last, err := s.lastSeq(ctx)
	if err != nil {
		return res, err
	}
	res.events = last - before
	progress("appended in %s; waiting for the projection", res.appended.Round(time.Millisecond))
	if err := s.waitProjected(ctx, last, projectTimeout); err != nil {
		return res, err
	}
	res.projected = time.Since(start)
	if _, err := s.pool.Exec(ctx, "ANALYZE"); err != nil {
		return res, fmt.Errorf("analyze: %w", err)
	}
	return res, nil
}

// appendCreated appends the customer.created event of customer number num, as the command layer
// builds it for an anonymous request.
func appendCreated(ctx context.Context, store *eventstore.Store, id string, num int, parentID string) error {
	data, sv, err := events.MarshalData(events.CustomerCreatedV1{
		Name:     fmt.Sprintf("Customer %d", num),
		Address:  fmt.Sprintf("%d Market Street, Springfield", num),
		ParentID: parentID,
	})
	if err != nil {
		return err
	}
	reqID := uuid.Must(uuid.NewV7()).String()
	env := events.Envelope{
		ID:               uuid.Must(uuid.NewV7()).String(),
		Source:           command.Source,
		SpecVersion:      events.SpecVersion,
		Type:             events.CustomerCreated,
		Subject:          "customers/" + id,
		Time:             time.Now().UTC(),
		DataContentType:  events.ContentType,
		AggregateType:    events.AggregateCustomer,
		AggregateID:      id,
		AggregateVersion: 1,
		SchemaVersion:    sv,
		RequestID:        reqID,
		CorrelationID:    reqID,
		CausationID:      uuid.Must(uuid.NewV7()).String(),
		Data:             data,
	}
	env.SetActor(events.Actor{Type: events.ActorAnonymous})
	_, err = store.Append(ctx, []eventstore.Message{{Subject: events.CustomerSubject(id), Envelope: env, Expect: eventstore.Seq(0)}})
	return err
}

package projection

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// newApplier returns the customers applier on h's database, with unregistered metrics.
func (h *harness) newApplier() *applier {
	h.t.Helper()
	m, err := newMetrics(nil, CustomersProjection)
	if err != nil {
		h.t.Fatal(err)
	}
	return &applier{pool: h.pool, name: CustomersProjection, reducer: customers{keys: h.keys}, metrics: m, log: quietLogger()}
}

// recordingBatcher runs a batcher on an unbuffered input whose commits go to a and are recorded.
// Because the input is unbuffered, a send returns only once the batcher is back to receiving, so
// every commit of what it held before has completed.
type recordingBatcher struct {
	in     chan event
	mu     sync.Mutex
	groups [][]event
	done   chan error
	cancel context.CancelFunc
}

func (h *harness) recordingBatcher(a *applier, maxBatch int) *recordingBatcher {
	r := &recordingBatcher{in: make(chan event), done: make(chan error, 1)}
	b := &batcher{in: r.in, maxBatch: maxBatch, log: quietLogger(), commit: func(ctx context.Context, evs []event) error {
		r.mu.Lock()
		r.groups = append(r.groups, append([]event(nil), evs...))
		r.mu.Unlock()
		return a.commit(ctx, evs)
	}}
	ctx, cancel := context.WithCancel(h.ctx)
	r.cancel = cancel
	go func() { r.done <- b.run(ctx) }()
	h.t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func (r *recordingBatcher) send(evs ...event) {
	for _, ev := range evs {
		r.in <- ev
	}
}

func (r *recordingBatcher) recorded() [][]event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]event(nil), r.groups...)
}

func TestHalfAnAtomicBatchIsNeverCommitted(t *testing.T) {
	h := newHarness(t)
	a, _ := must2(t)(h.w.Create(h.ctx, "Acme", "", "")) // seq 1-2: created, claimed
	b, _ := must2(t)(h.w.Create(h.ctx, "Beta", "", a))  // seq 3-5: created, claimed, attached
	check(t)(h.w.Move(h.ctx, b, "", "Beta Root"))       // seq 6-10
	c, _ := must2(t)(h.w.Create(h.ctx, "Gamma", "", b)) // seq 11-13
	evs := h.raw(1, h.lastSeq())
	if len(evs) != 13 || evs[2].BatchID == "" || evs[2].BatchCommit || !evs[4].BatchCommit {
		t.Fatalf("unexpected stream layout: %+v", evs)
	}

	r := h.recordingBatcher(h.newApplier(), 2)
	// Deliver b's creation up to, not including, its commit message.
	r.send(evs[:4]...)
	if cp := h.checkpoint(); cp > 2 {
		t.Fatalf("checkpoint %d inside an atomic batch whose commit message was not delivered", cp)
	}
	if _, ok := h.row(b); ok {
		t.Fatal("b is visible before its batch's commit message arrived")
	}
	r.send(evs[4:]...)
	r.send(evs[0]) // a redelivery at the end, so that the last group is committed before it returns
	h.caughtUp()

	// Every group ends at an atomic batch boundary, even with maxBatch 2, and groups cover the
	// stream once, in order.
	next := uint64(1)
	for _, g := range r.recorded() {
		if g[0].Seq != next {
			t.Fatalf("group %s does not start at %d", seqs(g), next)
		}
		if last := g[len(g)-1]; last.BatchID != "" && !last.BatchCommit {
			t.Fatalf("group %s ends inside atomic batch %s", seqs(g), last.BatchID)
		}
		next = g[len(g)-1].Seq + 1
	}
	if next != 14 {
		t.Fatalf("groups end at %d, want 13", next-1)
	}
	h.matchesLog([]string{a, b, c})
}

func TestRedeliveredEventsChangeNothing(t *testing.T) {
	h := newHarness(t)
	run := h.start()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		check(t)(h.w.Step(h.ctx, rng))
	}
	h.caughtUp()
	run.stop()
	before, cp := h.snapshot(), h.checkpoint()

	// The same events again: through a fresh applier in one transaction and in small ones, and
	// through a batcher that has already seen them.
	evs := h.raw(1, h.lastSeq())
	ap := h.newApplier()
	if err := ap.commit(h.ctx, evs); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(evs); i += 3 {
		if err := ap.commit(h.ctx, evs[i:min(i+3, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
	r := h.recordingBatcher(ap, 500)
	r.send(evs...)
	r.send(evs...)
	if n := testutil.ToFloat64(ap.metrics.applied); n != 0 {
		t.Errorf("applied %v events again", n)
	}
	if got := h.snapshot(); got != before || h.checkpoint() != cp {
		t.Errorf("table or checkpoint changed:\nbefore %s\nafter  %s", before, got)
	}
	if p := h.parked(); len(p) != 0 {
		t.Errorf("parked %+v", p)
	}
}

// snapshot renders the customers, users and domains tables and the checkpoint row, updated_at
// included.
func (h *harness) snapshot() string {
	h.t.Helper()
	var s string
	err := h.pool.QueryRow(h.ctx, `SELECT coalesce(string_agg(c::text, E'\n' ORDER BY id), '') || E'\n' ||
		(SELECT coalesce(string_agg(u::text, E'\n' ORDER BY id), '') FROM users_v1 u) || E'\n' ||
		(SELECT coalesce(string_agg(d::text, E'\n' ORDER BY id), '') FROM domains_v1 d) || E'\n' ||
		(SELECT p::text FROM projection_checkpoints p WHERE name = 'customers') FROM customers_v1 c`).Scan(&s)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

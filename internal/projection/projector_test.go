package projection

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/testenv"
)

// row reads one customer from the view; ok is false when it is absent.
func (h *harness) row(id string) (r struct {
	Name, Address, ParentID, ParentName string
	Ancestors                           []string
	Depth                               int
	Version                             int64
}, ok bool) {
	h.t.Helper()
	err := h.pool.QueryRow(h.ctx, `SELECT name, address, coalesce(parent_id::text, ''), coalesce(parent_name, ''),
		ancestors::text[], depth, version FROM customers WHERE id = $1`, id).
		Scan(&r.Name, &r.Address, &r.ParentID, &r.ParentName, &r.Ancestors, &r.Depth, &r.Version)
	if err != nil {
		return r, false
	}
	return r, true
}

func TestProjectorFollowsCustomerLifecycle(t *testing.T) {
	h := newHarness(t)
	run := h.start()
	ctx := h.ctx
	w := h.w

	a, _ := must2(t)(w.Create(ctx, "Acme", "1 Main St", ""))
	b, _ := must2(t)(w.Create(ctx, "Beta", "2 Side St", a))
	c, _ := must2(t)(w.Create(ctx, "Gamma", "3 Low St", b))
	d, _ := must2(t)(w.Create(ctx, "Delta", "", ""))
	h.caughtUp()
	if r, _ := h.row(c); r.ParentName != "Beta" || !slices.Equal(r.Ancestors, []string{b, a}) || r.Depth != 3 || r.Version != 1 {
		t.Fatalf("c after create = %+v", r)
	}
	if r, _ := h.row(a); r.ParentID != "" || r.ParentName != "" || len(r.Ancestors) != 0 || r.Depth != 1 {
		t.Fatalf("root a = %+v", r)
	}

	// Renaming a customer renames it in its children's parent_name.
	check(t)(w.Rename(ctx, a, "Acme Ltd"))
	h.caughtUp()
	if r, _ := h.row(b); r.ParentName != "Acme Ltd" {
		t.Fatalf("b.parent_name = %q after renaming a", r.ParentName)
	}

	// Moving b under d carries c along.
	check(t)(w.Move(ctx, b, d, ""))
	h.caughtUp()
	if r, _ := h.row(b); r.ParentID != d || r.ParentName != "Delta" || !slices.Equal(r.Ancestors, []string{d}) || r.Depth != 2 {
		t.Fatalf("b after move = %+v", r)
	}
	if r, _ := h.row(c); !slices.Equal(r.Ancestors, []string{b, d}) || r.Depth != 3 || r.ParentName != "Beta" {
		t.Fatalf("c after moving b = %+v", r)
	}

	// Moving b to the root and renaming it in the same update.
	check(t)(w.Move(ctx, b, "", "Beta Root"))
	check(t)(w.SetAddress(ctx, c, ""))
	h.caughtUp()
	if r, _ := h.row(b); r.ParentID != "" || r.ParentName != "" || len(r.Ancestors) != 0 || r.Depth != 1 || r.Name != "Beta Root" || r.Version != 3 {
		t.Fatalf("b at the root = %+v", r)
	}
	if r, _ := h.row(c); !slices.Equal(r.Ancestors, []string{b}) || r.Depth != 2 || r.ParentName != "Beta Root" || r.Address != "" || r.Version != 2 {
		t.Fatalf("c after b went to the root = %+v", r)
	}

	// Deleted customers leave the table.
	check(t)(w.Delete(ctx, c))
	h.caughtUp()
	if _, ok := h.row(c); ok {
		t.Fatal("deleted customer c is still listed")
	}
	h.matchesLog(h.allCustomers())

	// Metrics: every customer event applied once, nothing parked, checkpoint and lag current.
	last := h.lastSeq()
	if got := testutil.ToFloat64(run.p.metrics.applied); got != float64(h.customerEvents()) {
		t.Errorf("applied events = %v, want %d", got, h.customerEvents())
	}
	if got := testutil.ToFloat64(run.p.metrics.parked); got != 0 {
		t.Errorf("parked = %v", got)
	}
	testenv.WaitFor(t, 5*time.Second, func() bool {
		return testutil.ToFloat64(run.p.metrics.checkpoint) == float64(last) && testutil.ToFloat64(run.p.metrics.lag) == 0
	}, "checkpoint gauge %d and lag 0", last)
	if n, err := testutil.GatherAndCount(run.reg, "cm_projection_batch_size", "cm_projection_lag_events", "cm_projection_checkpoint"); err != nil || n != 3 {
		t.Errorf("registered series = %d, %v", n, err)
	}

	// Stopping deletes the consumer; a new projector resumes from the checkpoint.
	run.stop()
	if names := h.consumers(); len(names) != 0 {
		t.Errorf("consumers left after stop: %v", names)
	}
	e, _ := must2(t)(w.Create(ctx, "Epsilon", "", d))
	h.start()
	h.caughtUp()
	if r, ok := h.row(e); !ok || r.ParentName != "Delta" {
		t.Fatalf("e after restart = %+v %v", r, ok)
	}
	h.matchesLog(h.allCustomers())
}

func TestTwoProjectorsAtOnceApplyEachEventOnce(t *testing.T) {
	h := newHarness(t)
	one := h.start(func(c *Config) { c.MaxBatch = 7 })
	two := h.start(func(c *Config) { c.MaxBatch = 50 })
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		check(t)(h.w.Step(h.ctx, rng))
	}
	h.caughtUp()
	h.matchesLog(h.allCustomers())
	applied := testutil.ToFloat64(one.p.metrics.applied) + testutil.ToFloat64(two.p.metrics.applied)
	if applied != float64(h.customerEvents()) {
		t.Errorf("the projectors applied %v events together, the stream has %d customer events", applied, h.customerEvents())
	}
	var parked int
	if err := h.pool.QueryRow(h.ctx, "SELECT count(*) FROM projection_parked").Scan(&parked); err != nil || parked != 0 {
		t.Errorf("parked = %d, %v", parked, err)
	}
	t.Logf("applied by one: %v, by two: %v", testutil.ToFloat64(one.p.metrics.applied), testutil.ToFloat64(two.p.metrics.applied))
}

// consumers lists the consumers of the stream.
func (h *harness) consumers() []string {
	h.t.Helper()
	var names []string
	s, err := h.js.Stream(h.ctx, events.StreamName)
	if err != nil {
		h.t.Fatal(err)
	}
	lister := s.ConsumerNames(h.ctx)
	for n := range lister.Name() {
		names = append(names, n)
	}
	if err := lister.Err(); err != nil && err != jetstream.ErrEndOfData {
		h.t.Fatal(err)
	}
	return names
}

// must2 adapts a (value, value, error) call for must-style checks.
func must2(t *testing.T) func(string, uint64, error) (string, uint64) {
	return func(id string, seq uint64, err error) (string, uint64) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id, seq
	}
}

// check fails the test when an append failed, and returns its sequence.
func check(t testing.TB) func(uint64, error) uint64 {
	return func(seq uint64, err error) uint64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
}

func TestProjectorRidesOutLostDatabaseConnections(t *testing.T) {
	h := newHarness(t)
	cfg, err := pgxpool.ParseConfig(h.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "projector-under-test"
	pool, err := pgxpool.NewWithConfig(h.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	h.start(func(c *Config) { c.Pool = pool; c.MaxBatch = 20 })
	rng := rand.New(rand.NewPCG(7, 8))
	for range 5 {
		for range 40 {
			check(t)(h.w.Step(h.ctx, rng))
		}
		// Whatever the projector is doing, its connections go away.
		if _, err := h.pool.Exec(h.ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'projector-under-test'`); err != nil {
			t.Fatal(err)
		}
	}
	h.caughtUp()
	h.matchesLog(h.allCustomers())
	if p := h.parked(); len(p) != 0 {
		t.Errorf("lost connections parked events: %+v", p)
	}
}

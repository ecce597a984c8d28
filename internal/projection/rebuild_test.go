package projection

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/testenv"
)

// tableDigest returns a digest of every row of a table, in a canonical order.
func (h *harness) tableDigest(table string) (string, int) {
	h.t.Helper()
	var (
		digest string
		n      int
	)
	if err := h.pool.QueryRow(h.ctx, `SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), ''), count(*) FROM `+table+` t`).
		Scan(&digest, &n); err != nil {
		h.t.Fatalf("digest of %s: %v", table, err)
	}
	return digest, n
}

func TestRebuildSwitchesInIdenticalTablesWhileTheAPIReads(t *testing.T) {
	h := newHarness(t)
	h.start()
	rng := rand.New(rand.NewPCG(61, 62))
	for range 60 {
		check(t)(h.w.Step(h.ctx, rng))
		check(t)(h.w.DomainStep(h.ctx, rng))
		check(t)(h.w.UserStep(h.ctx, rng))
	}
	h.caughtUp()

	// Readers, as the API reads, all through the rebuild: never an error, never an empty list.
	var (
		reads, failures atomic.Int64
		firstFailure    atomic.Value
		stopReading     = make(chan struct{})
		readers         sync.WaitGroup
	)
	for _, q := range []string{
		`SELECT count(*) FROM (SELECT id FROM customers ORDER BY created_at DESC, id LIMIT 50) x`,
		`SELECT count(*) FROM (SELECT id FROM domains ORDER BY host LIMIT 50) x`,
		`SELECT count(*) FROM (SELECT seq FROM audit ORDER BY time DESC, seq DESC LIMIT 50) x`,
		`SELECT count(*) FROM (SELECT id FROM users ORDER BY created_at DESC, id LIMIT 50) x`,
	} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stopReading:
					return
				default:
				}
				var n int
				err := h.pool.QueryRow(context.Background(), q).Scan(&n)
				reads.Add(1)
				if err != nil || n == 0 {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("%s: n=%d err=%v", q, n, err))
				}
			}
		}()
	}

	// Writers go on during the replay and stop before the switch, so that the replaced tables and
	// the new ones can be compared at one checkpoint.
	stopWriting := make(chan struct{})
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		wr := rand.New(rand.NewPCG(63, 64))
		for {
			select {
			case <-stopWriting:
				return
			default:
			}
			if _, err := h.w.Step(h.ctx, wr); err != nil {
				t.Error(err)
				return
			}
			if _, err := h.w.DomainStep(h.ctx, wr); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	rep, err := Rebuild(h.ctx, RebuildConfig{Pool: h.pool, Store: h.store, Keys: h.keys, KeepRetired: true, MaxBatch: 40, Logger: quietLogger(),
		beforeSwap: func() {
			close(stopWriting)
			writer.Wait()
			h.caughtUp()
		}})
	if err != nil {
		t.Fatal(err)
	}
	// The readers go on a little on the new tables.
	after := reads.Load()
	testenv.WaitFor(t, 10*time.Second, func() bool { return reads.Load() >= after+40 }, "reads after the switch")
	close(stopReading)
	readers.Wait()
	if n := failures.Load(); n > 0 || reads.Load() < 20 {
		t.Fatalf("%d of %d reads failed or were empty during the rebuild (first: %v)", n, reads.Load(), firstFailure.Load())
	}
	if rep.Events < 300 || rep.Checkpoint != h.lastSeq() || rep.Retired == "" {
		t.Fatalf("report %+v, log at %d", rep, h.lastSeq())
	}
	t.Logf("rebuild: %d events in %s (%.0f events/s), switch %s, %d reads meanwhile", rep.Events, rep.Took,
		float64(rep.Events)/rep.Took.Seconds(), rep.Swap, reads.Load())

	// Row by row, the new tables are the ones they replaced.
	for _, r := range rebuildRelations {
		if r.kind != "TABLE" {
			continue
		}
		now, n := h.tableDigest("public." + r.name)
		old, m := h.tableDigest(rep.Retired + "." + r.name)
		if now != old || n != m {
			t.Errorf("%s: %d rows rebuilt (digest %s), %d replaced (digest %s)", r.name, n, now, m, old)
		}
	}

	h.liveGoesOn(rng, 20)
	if p := h.parked(); len(p) != 0 {
		t.Fatalf("parked %+v", p)
	}
}

// liveGoesOn checks that the live projector goes on after a rebuild's switch, on the new tables:
// rounds of random customer, domain and user commands, then every table against the log.
func (h *harness) liveGoesOn(rng *rand.Rand, rounds int) {
	h.t.Helper()
	for range rounds {
		check(h.t)(h.w.Step(h.ctx, rng))
		check(h.t)(h.w.DomainStep(h.ctx, rng))
		check(h.t)(h.w.UserStep(h.ctx, rng))
	}
	h.caughtUp()
	h.matchesLog(h.allCustomers())
	h.usersMatchLog()
	h.domainsMatchLog()
	h.auditMatchesLog()
}

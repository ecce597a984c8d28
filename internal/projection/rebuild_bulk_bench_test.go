package projection

import (
	"os"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/projection/projectiontest"
)

// BenchmarkRebuild measures the replay of a rebuild, folded in bulk and event by event, over a log
// of CM_REBUILD_BENCH_EVENTS events (default 200 000): domain.added events of one customer as
// cmd/bench loads them (projectiontest.AppendDomains), appended 500 at a time, each with its audit row to write. Run it with
// -benchtime=1x. It reports the replay's events/s, and checks that both replays leave the same
// tables. CM_REBUILD_PROFILE=<file> writes a CPU profile of the bulk rebuild alone (not of the
// load), CM_TEST_DEBUG_LOG=1 logs how long each COPY and index build took.
func BenchmarkRebuild(b *testing.B) {
	n := 200_000
	if s := os.Getenv("CM_REBUILD_BENCH_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	h := newHarness(b)
	cust, _, err := h.w.Create(h.ctx, "Rebuild bench", "1 Bench St", "")
	if err != nil {
		b.Fatal(err)
	}
	loadStart := time.Now()
	if err := projectiontest.AppendDomains(h.ctx, h.store, cust, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d events in %s", h.lastSeq(), time.Since(loadStart).Round(time.Millisecond))

	bulkDone := false
	for _, mode := range []struct {
		name         string
		eventByEvent bool
	}{{"bulk", false}, {"event-by-event", true}} {
		b.Run(mode.name, func(b *testing.B) {
			for range b.N {
				if f := os.Getenv("CM_REBUILD_PROFILE"); f != "" && !mode.eventByEvent {
					out, err := os.Create(f)
					if err != nil {
						b.Fatal(err)
					}
					if err := pprof.StartCPUProfile(out); err != nil {
						b.Fatal(err)
					}
				}
				start := time.Now()
				rep, err := Rebuild(h.ctx, RebuildConfig{Pool: h.pool, Store: h.store, Keys: h.keys, KeepRetired: true,
					Logger: quietLogger(), eventByEvent: mode.eventByEvent})
				if err != nil {
					b.Fatal(err)
				}
				total := time.Since(start)
				pprof.StopCPUProfile()
				if rep.Bulk == mode.eventByEvent || rep.Events < n {
					b.Fatalf("report %+v", rep)
				}
				b.ReportMetric(float64(rep.Events)/rep.Took.Seconds(), "events/s")
				b.ReportMetric(rep.Took.Seconds(), "replay-s")
				b.ReportMetric(total.Seconds(), "total-s")
				b.StopTimer()
				// The event-by-event rebuild retires the bulk one's tables: they must be the same.
				if mode.eventByEvent && bulkDone {
					for _, r := range rebuildRelations {
						if r.kind != "TABLE" {
							continue
						}
						now, rows := h.hashedDigest("public." + r.name)
						old, oldRows := h.hashedDigest(rep.Retired + "." + r.name)
						if now != old || rows != oldRows {
							b.Errorf("%s: %d rows event by event (digest %s), %d in bulk (digest %s)", r.name, rows, now, oldRows, old)
						}
					}
				}
				if _, err := h.pool.Exec(h.ctx, "DROP SCHEMA "+rep.Retired+" CASCADE"); err != nil {
					b.Fatal(err)
				}
				bulkDone = bulkDone || rep.Bulk
				b.StartTimer()
			}
		})
	}
}

// hashedDigest is tableDigest for large tables: a digest of the rows' digests.
func (h *harness) hashedDigest(table string) (string, int) {
	h.t.Helper()
	var (
		digest string
		n      int
	)
	if err := h.pool.QueryRow(h.ctx, `SELECT coalesce(md5(string_agg(d, '' ORDER BY d)), ''), count(*) FROM (SELECT md5(t::text) AS d FROM `+table+` t) x`).
		Scan(&digest, &n); err != nil {
		h.t.Fatalf("digest of %s: %v", table, err)
	}
	return digest, n
}

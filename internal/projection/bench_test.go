package projection

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkProjectorCatchUp measures how fast a projector works through a backlog of 3000
// realistic commands (atomic batches with reservation, hierarchy and tree messages; about a third
// of the stream's events are customer events). Run it with -benchtime=1x; it reports stream
// events and customer events applied per second.
func BenchmarkProjectorCatchUp(b *testing.B) {
	for range b.N {
		b.StopTimer()
		h := newHarness(b)
		rng := rand.New(rand.NewPCG(5, 6))
		for range 3000 {
			if _, err := h.w.Step(h.ctx, rng); err != nil {
				b.Fatal(err)
			}
		}
		total, customer := h.lastSeq(), h.customerEvents()
		b.StartTimer()
		start := time.Now()
		run := h.start()
		h.caughtUp()
		took := time.Since(start)
		b.StopTimer()
		run.stop()
		b.ReportMetric(float64(total)/took.Seconds(), "events/s")
		b.ReportMetric(float64(customer)/took.Seconds(), "customer-events/s")
	}
}

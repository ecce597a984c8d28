package projection

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are one projection's Prometheus series, all labelled projection="<name>".
type metrics struct {
	applied      prometheus.Counter
	parked       prometheus.Counter
	retries      prometheus.Counter
	batchSize    prometheus.Observer
	batchSeconds prometheus.Observer
	checkpoint   prometheus.Gauge
	lag          prometheus.Gauge
}

// newMetrics registers the projection metrics on reg (nil: not registered) and returns the series
// of one projection. Registering twice on one registry, e.g. for two projections, reuses the
// collectors.
func newMetrics(reg prometheus.Registerer, projection string) (*metrics, error) {
	label := []string{"projection"}
	applied := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cm_projection_applied_events_total",
		Help: "Events a projection applied to its read model (committed).",
	}, label)
	parked := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cm_projection_parked_events_total",
		Help: "Poison events a projection parked in projection_parked instead of applying them.",
	}, label)
	retries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cm_projection_batch_retries_total",
		Help: "Batches a projection had to retry after a database error that was not the events' fault.",
	}, label)
	batchSize := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cm_projection_batch_size",
		Help:    "Events per committed projection transaction.",
		Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000},
	}, label)
	batchSeconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cm_projection_batch_duration_seconds",
		Help:    "Time to commit one projection batch, retries included.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, label)
	checkpoint := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cm_projection_checkpoint",
		Help: "Stream sequence of the last event a projection has taken into account.",
	}, label)
	lag := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cm_projection_lag_events",
		Help: "Events in the stream after a projection's checkpoint (stream last sequence minus checkpoint).",
	}, label)

	if reg != nil {
		var err error
		if applied, err = register(reg, applied); err != nil {
			return nil, err
		}
		if parked, err = register(reg, parked); err != nil {
			return nil, err
		}
		if retries, err = register(reg, retries); err != nil {
			return nil, err
		}
		if batchSize, err = register(reg, batchSize); err != nil {
			return nil, err
		}
		if batchSeconds, err = register(reg, batchSeconds); err != nil {
			return nil, err
		}
		if checkpoint, err = register(reg, checkpoint); err != nil {
			return nil, err
		}
		if lag, err = register(reg, lag); err != nil {
			return nil, err
		}
	}
	return &metrics{
		applied:      applied.WithLabelValues(projection),
		parked:       parked.WithLabelValues(projection),
		retries:      retries.WithLabelValues(projection),
		batchSize:    batchSize.WithLabelValues(projection),
		batchSeconds: batchSeconds.WithLabelValues(projection),
		checkpoint:   checkpoint.WithLabelValues(projection),
		lag:          lag.WithLabelValues(projection),
	}, nil
}

// register registers c on reg, or returns the collector registered before under the same name.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("projection: register metrics: %w", err)
}

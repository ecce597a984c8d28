package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the api's Prometheus metrics.
type Metrics struct {
	reg      *prometheus.Registry
	latency  *prometheus.HistogramVec
	appended prometheus.Counter
	conflict prometheus.Counter
}

// NewMetrics registers the api's metrics on a new registry. lag, when not nil, reports how many
// events the read model is behind the stream.
func NewMetrics(lag func() float64) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cm_http_request_duration_seconds",
			Help:    "HTTP request latency by method, route and status.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
		appended: prometheus.NewCounter(prometheus.CounterOpts{Name: "cm_events_appended_total", Help: "Events appended to the event stream."}),
		conflict: prometheus.NewCounter(prometheus.CounterOpts{Name: "cm_append_conflicts_total", Help: "Appends refused because an aggregate changed concurrently."}),
	}
	reg.MustRegister(m.latency, m.appended, m.conflict, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if lag != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cm_projection_lag_events", Help: "Events in the stream not yet applied to the customers read model.",
			ConstLabels: prometheus.Labels{"projection": "customers"},
		}, lag))
	}
	return m
}

// Registry returns the registry, so other parts of the process can add their metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Appended implements eventstore.Observer.
func (m *Metrics) Appended(n int) { m.appended.Add(float64(n)) }

// Conflicted implements eventstore.Observer.
func (m *Metrics) Conflicted() { m.conflict.Inc() }

// Handler serves the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *Metrics) middleware(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.latency.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Observe(time.Since(start).Seconds())
}

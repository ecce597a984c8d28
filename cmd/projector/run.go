package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/toffstech/customer-management/internal/projection"
)

// run wires the projector from the environment and runs it until ctx is done.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.logLevel}))

	d, err := connect(ctx, cfg, log, true)
	if err != nil || d == nil {
		return err
	}
	defer d.close()
	nc, pool, keys := d.nc, d.pool, d.keys

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	p, err := projection.NewProjector(projection.Config{Pool: pool, NATS: nc, Keys: keys, Registerer: reg, Logger: log})
	if err != nil {
		return err
	}

	stopMetrics := func() {}
	if cfg.metricsAddr != "" {
		if stopMetrics, err = serveMetrics(ctx, log, cfg.metricsAddr, reg, pool); err != nil {
			return err
		}
	}
	log.Info("projector: started", "nats", redactURL(cfg.natsURL), "metrics", cfg.metricsAddr)
	err = p.Run(ctx)
	stopMetrics()
	log.Info("projector: stopped", "checkpoint", p.Checkpoint())
	return err
}

// serveMetrics serves /metrics and /healthz on addr until the returned function is called.
// /healthz answers 200 while Postgres answers, 503 otherwise.
func serveMetrics(ctx context.Context, log *slog.Logger, addr string, reg *prometheus.Registry, pool *pgxpool.Pool) (func(), error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		pctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		if err := pool.Ping(pctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("projector: metrics server", "error", err)
		}
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

// stopped returns nil when err only says that the projector was asked to stop while it waited.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

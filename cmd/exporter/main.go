// Command exporter is the export worker: it turns export requests into CSV files of a customer's
// domains in object storage. Several exporter processes share the work through one durable
// JetStream consumer; each export gets one outcome.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/config"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/export/worker"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/query"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "exporter:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	env := config.Getenv(getenv)
	log := config.Logger(env, "exporter")
	replicas, err := env.Int("NATS_REPLICAS", 1)
	if err != nil {
		return err
	}
	retention, err := env.Duration("EXPORT_RETENTION", command.DefaultExportRetention)
	if err != nil {
		return err
	}
	ackWait, err := env.Duration("EXPORTER_ACK_WAIT", 10*time.Minute)
	if err != nil {
		return err
	}
	sweepEvery, err := env.Duration("EXPORT_SWEEP_INTERVAL", time.Minute)
	if err != nil {
		return err
	}
	natsURL := env.String("NATS_URL", "nats://"+config.DefaultEmbedAddr)
	nc, err := config.ConnectNATS(ctx, natsURL, "cm-exporter", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if _, err := eventstore.EnsureStream(ctx, js, replicas); err != nil {
		return err
	}
	storeCfg, err := storage.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	files, err := storage.NewFromConfig(ctx, storeCfg, js)
	if err != nil {
		return err
	}
	pool, err := config.ConnectPostgres(ctx, env.String("DATABASE_URL", config.DefaultDatabaseURL), log)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := projection.Migrate(ctx, pool); err != nil {
		return err
	}
	waiter, err := projection.NewWaiter(ctx, pool, projection.CustomersProjection)
	if err != nil {
		return err
	}
	defer waiter.Close()
	exports := command.NewExports(command.NewCustomers(eventstore.New(js, nil), command.RoleAuthorizer{}))
	proc, err := worker.New(worker.Config{Exports: exports, Pool: pool, Waiter: waiter, Store: files, Retention: retention, Logger: log})
	if err != nil {
		return err
	}
	if err := worker.EnsureConsumer(ctx, js, ackWait); err != nil {
		return err
	}

	var srv *http.Server
	if addr := env.String("METRICS_ADDR", "127.0.0.1:9102"); addr != "off" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"status":"ok"}`)
		})
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		fmt.Fprintf(stdout, "exporter health at http://%s/healthz\n", ln.Addr())
	}
	if sweepEvery > 0 {
		go worker.SweepEvery(ctx, sweepEvery, exports, query.NewExports(pool), files, proc)
	}
	fmt.Fprintln(stdout, "exporter ready")
	log.Info("exporter ready", "store", storeCfg.Kind)
	err = worker.Consume(ctx, js, proc, worker.ConsumerConfig{
		Dial:    func() (*nats.Conn, error) { return nats.Connect(natsURL, nats.Name("cm-exporter watermill")) },
		AckWait: ackWait,
		Logger:  log,
	})
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if serr := srv.Shutdown(sctx); serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	log.Info("exporter stopped")
	return err
}

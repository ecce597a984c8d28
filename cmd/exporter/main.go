// Command exporter is the export worker. It turns export requests into CSV files in object storage
// (with the exports issue); for now it connects, makes sure the event stream exists, reports health
// and waits, so that the three binaries start and stop together.
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

	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/config"
	"github.com/toffstech/customer-management/internal/eventstore"
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
	nc, err := config.ConnectNATS(ctx, env.String("NATS_URL", "nats://"+config.DefaultEmbedAddr), "cm-exporter", log)
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
	fmt.Fprintln(stdout, "exporter ready")
	log.Info("exporter ready")
	<-ctx.Done()
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	log.Info("exporter stopped")
	return nil
}

// Command projector keeps the read model in Postgres up to date with the event stream: it
// consumes stream CM from NATS JetStream and applies the events to the customers table, with its
// checkpoint in the same transaction (see package projection).
//
// Configuration, from the environment:
//
//	NATS_URL       NATS server (default nats://127.0.0.1:4250)
//	NATS_REPLICAS  replicas of the event stream if the projector creates it (default 1)
//	DATABASE_URL   Postgres (default postgres://postgres@127.0.0.1:5432/customer_management?sslmode=disable)
//	METRICS_ADDR   address serving /metrics and /healthz (default 127.0.0.1:9101; "off" or
//	               set-but-empty disables it)
//	LOG_LEVEL      debug, info (default), warn or error
//
// It waits for NATS and Postgres to come up, creates or checks the stream, migrates the schema and
// runs until SIGINT or SIGTERM.
//
// `projector rebuild [--projection customers] [--keep-retired]` instead replays the whole log into
// new tables while the live ones keep serving (a running projector included), switches them in
// atomically and exits.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "rebuild" {
		err = rebuild(ctx, os.Args[2:], getenv, os.Stdout, os.Stderr)
	} else {
		err = run(ctx, getenv, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "projector:", err)
		os.Exit(1)
	}
}

// getenv is os.Getenv, except that a METRICS_ADDR set to the empty string reads as "off": unset
// means the default address, set-but-empty means no metrics server.
func getenv(key string) string {
	v, ok := os.LookupEnv(key)
	if key == envMetricsAddr && ok && v == "" {
		return metricsOff
	}
	return v
}

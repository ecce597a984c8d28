package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/projection/projectiontest"
	"github.com/toffstech/customer-management/internal/testenv"
)

func TestRebuildCommand(t *testing.T) {
	ctx := context.Background()
	js, natsURL := testenv.JetStream(t)
	if _, err := eventstore.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	dbURL := testenv.Postgres(t)
	w := projectiontest.NewWriter(eventstore.New(js, nil))
	rng := rand.New(rand.NewPCG(71, 72))
	for range 40 {
		if _, err := w.Step(ctx, rng); err != nil {
			t.Fatal(err)
		}
		if _, err := w.DomainStep(ctx, rng); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{envNATSURL: natsURL, envDatabaseURL: dbURL}
	getenv := func(k string) string { return env[k] }

	var out, errs bytes.Buffer
	if err := rebuild(ctx, []string{"--projection", "nope"}, getenv, &out, &errs); err == nil || !strings.Contains(err.Error(), "customers") {
		t.Fatalf("unknown projection: %v", err)
	}
	// No projector ever ran: the rebuild is the read model's first build.
	if err := rebuild(ctx, nil, getenv, &out, &errs); err != nil {
		t.Fatalf("rebuild: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "rebuilt customers: ") {
		t.Fatalf("output: %s", out.String())
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	cp, err := projection.ReadCheckpoint(ctx, pool, projection.CustomersProjection)
	if err != nil {
		t.Fatal(err)
	}
	if last := lastSeq(t, js); cp != last || !strings.Contains(out.String(), "at sequence "+strconv.FormatUint(last, 10)) {
		t.Fatalf("checkpoint %d, log at %d; output %s", cp, last, out.String())
	}
	ids, err := projectiontest.CustomerIDs(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	customers, err := projectiontest.Expected(ctx, eventstore.New(js, nil), ids)
	if err != nil {
		t.Fatal(err)
	}
	got, err := projectiontest.Actual(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if d := projectiontest.Diff(customers, got); d != "" {
		t.Fatalf("rebuilt customers differ from the log:\n%s", d)
	}
	var schemas int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rebuild\_%' OR nspname LIKE 'retired\_%'`).Scan(&schemas); err != nil || schemas != 0 {
		t.Fatalf("%d rebuild schemas left behind, %v", schemas, err)
	}
}

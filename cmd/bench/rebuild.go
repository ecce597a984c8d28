package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/toffstech/customer-management/internal/projection"
)

// targetRebuildRate is the rebuild target in events/s, unless half the raw upsert rate measured in
// the same run is lower.
const targetRebuildRate = 50_000

// rebuildResult is what the rebuild benchmark measured.
type rebuildResult struct {
	events int
	took   time.Duration
	swap   time.Duration
	// upsertRate is the raw pgx batched upsert rate on this database, in rows/s.
	upsertRate float64
	// domainUpsertRate is the same upsert with the rows the rebuild writes most of: the run's
	// domains_v1 rows, into a copy of domains_v1 with its indexes (0 when the run has no domains).
	// The report shows it beside the target, which stays the one the issue names.
	domainUpsertRate float64
	domainUpsertRows int
}

// upsertRows is how many rows the raw upsert measurement writes, 1000 per batch.
const upsertRows = 200_000

// benchRebuild measures a raw pgx batched upsert, then rebuilds the customers projection from the
// whole log the run wrote.
func benchRebuild(ctx context.Context, s *stack, progress func(string, ...any)) (rebuildResult, error) {
	var res rebuildResult
	progress("rebuild: raw pgx batched upsert of %d rows", upsertRows)
	if _, err := s.pool.Exec(ctx, `CREATE TABLE bench_upsert (id bigint PRIMARY KEY, name text NOT NULL, n bigint NOT NULL)`); err != nil {
		return res, err
	}
	t0 := time.Now()
	for start := 0; start < upsertRows; start += 1000 {
		b := &pgx.Batch{}
		for i := start; i < start+1000; i++ {
			b.Queue(`INSERT INTO bench_upsert (id, name, n) VALUES ($1, $2, 1) ON CONFLICT (id) DO UPDATE SET name = excluded.name, n = bench_upsert.n + 1`,
				int64(i), fmt.Sprintf("row %d", i))
		}
		if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
			return res, err
		}
	}
	res.upsertRate = float64(upsertRows) / time.Since(t0).Seconds()
	var err error
	if res.domainUpsertRows, res.domainUpsertRate, err = upsertDomainRows(ctx, s); err != nil {
		return res, err
	}

	progress("rebuild: replaying the whole log into new tables")
	rep, err := projection.Rebuild(ctx, projection.RebuildConfig{Pool: s.pool, Store: s.store, Keys: s.keys,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return res, err
	}
	res.events, res.took, res.swap = rep.Events, rep.Took, rep.Swap
	return res, nil
}

// upsertDomainRows measures the raw batched upsert with rows as wide as the rebuild's: up to
// upsertRows of the run's domains_v1 rows, read first, then upserted 1000 per batch into a copy of
// domains_v1 (LIKE … INCLUDING ALL: its indexes, trigram included).
func upsertDomainRows(ctx context.Context, s *stack) (int, float64, error) {
	if _, err := s.pool.Exec(ctx, `CREATE TABLE bench_upsert_domains (LIKE domains_v1 INCLUDING ALL)`); err != nil {
		return 0, 0, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, customer_id, customer_name, customer_ancestors, host, settings::text,
		created_at, updated_at, version, last_seq, csv_cells FROM domains_v1 LIMIT $1`, upsertRows)
	if err != nil {
		return 0, 0, err
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	if err != nil {
		return 0, 0, err
	}
	if len(all) == 0 {
		return 0, 0, nil
	}
	t0 := time.Now()
	for start := 0; start < len(all); start += 1000 {
		b := &pgx.Batch{}
		for _, v := range all[start:min(start+1000, len(all))] {
			b.Queue(`INSERT INTO bench_upsert_domains (id, customer_id, customer_name, customer_ancestors, host, settings,
				created_at, updated_at, version, last_seq, csv_cells) VALUES ($1, $2, $3, $4, $5, $6::json, $7, $8, $9, $10, $11)
				ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, csv_cells = excluded.csv_cells,
				updated_at = excluded.updated_at, version = excluded.version, last_seq = excluded.last_seq`, v...)
		}
		if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
			return 0, 0, err
		}
	}
	return len(all), float64(len(all)) / time.Since(t0).Seconds(), nil
}

// rebuildTarget is the rate the rebuild must reach.
func (r rebuildResult) target() float64 { return min(targetRebuildRate, r.upsertRate/2) }

// writeRebuild prints the rebuild section.
func (r *report) writeRebuild(w io.Writer) {
	rb := r.rebuild
	if rb.events == 0 {
		return
	}
	fmt.Fprintf(w, "\nRebuild: projector rebuild of the customers projection (customers, users, domains, exports, audit) from the run's log\n")
	t := newTable("measure", ">value")
	t.add("events replayed", rb.events)
	t.add("replay seconds", fmt.Sprintf("%.1f", rb.took.Seconds()))
	t.add("events/s", fmt.Sprintf("%.0f", float64(rb.events)/rb.took.Seconds()))
	t.add("switch ms", ms(rb.swap))
	t.add("raw pgx batched upsert rows/s (same database)", fmt.Sprintf("%.0f", rb.upsertRate))
	if rb.domainUpsertRows > 0 {
		t.add(fmt.Sprintf("same upsert of %d domains_v1 rows into a copy of domains_v1 with its indexes, rows/s", rb.domainUpsertRows),
			fmt.Sprintf("%.0f", rb.domainUpsertRate))
	}
	t.write(w, "  ")
}

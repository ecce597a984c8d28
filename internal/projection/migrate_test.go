package projection

import (
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/toffstech/customer-management/internal/testenv"
)

func TestMigrateIsIdempotentAndSafeConcurrently(t *testing.T) {
	ctx := t.Context()
	dsn := testenv.Postgres(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		// Separate pools, as separate processes (api and projector) would have.
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := Migrate(ctx, pool); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	var applied, files int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE version LIKE 'projection/%'").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	names, _ := migrations.ReadDir("migrations")
	files = len(names)
	if applied != files || files < 2 {
		t.Errorf("schema_migrations has %d projection rows for %d files", applied, files)
	}
	// The API reads the view; the indexes the queries rely on exist.
	var indexes int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE tablename = 'customers_v1'`).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if indexes != 7 {
		t.Errorf("customers_v1 has %d indexes, want 7 (pk, created_at, name, parent, ancestors, 2 trigram)", indexes)
	}
	if _, err := pool.Exec(ctx, "SELECT id, name, address, parent_id, parent_name, ancestors, depth, created_at, updated_at, version, last_seq FROM customers LIMIT 1"); err != nil {
		t.Errorf("customers view: %v", err)
	}
}

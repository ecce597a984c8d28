package projection

import (
	"strings"
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

func TestUsersSchemaHasListIndexesAndNoSecrets(t *testing.T) {
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var indexes, bounded int
	if err := pool.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE 'gin_pending_list_limit=256' = ANY (c.reloptions))
		FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname WHERE i.tablename = 'users_v1'`).Scan(&indexes, &bounded); err != nil {
		t.Fatal(err)
	}
	if indexes != 8 || bounded != 3 {
		t.Errorf("users_v1 has %d indexes (%d with a bounded pending list), want 8 (pk, created_at, name, customer, ancestors, 3 trigram with 256 kB lists)", indexes, bounded)
	}
	var secret []string
	rows, err := pool.Query(ctx, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_name IN ('users_v1', 'users') AND column_name ~* '(pass|hash|token|secret|salt|phc)'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		secret = append(secret, c)
	}
	if err := rows.Err(); err != nil || len(secret) > 0 {
		t.Errorf("columns that look like secrets: %v, %v", secret, err)
	}
	if _, err := pool.Exec(ctx, `SELECT id, customer_id, customer_name, customer_ancestors, role, name, email, status, remark,
		created_at, updated_at, version, last_seq FROM users LIMIT 1`); err != nil {
		t.Errorf("users view: %v", err)
	}
}

func TestDomainsSchemaHasListIndexesAndNoUniqueHost(t *testing.T) {
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var indexes, bounded, unique int
	if err := pool.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE 'gin_pending_list_limit=256' = ANY (c.reloptions)),
		count(*) FILTER (WHERE x.indisunique)
		FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid
		WHERE i.tablename = 'domains_v1'`).Scan(&indexes, &bounded, &unique); err != nil {
		t.Fatal(err)
	}
	if indexes != 6 || bounded != 1 || unique != 1 {
		t.Errorf("domains_v1 has %d indexes (%d with a bounded pending list, %d unique), want 6 (pk, host, customer+host, customer+created_at, ancestors, trigram with a 256 kB list; only the pk unique)",
			indexes, bounded, unique)
	}
	if _, err := pool.Exec(ctx, `SELECT id, customer_id, customer_name, customer_ancestors, host, settings,
		created_at, updated_at, version, last_seq FROM domains LIMIT 1`); err != nil {
		t.Errorf("domains view: %v", err)
	}
	// A customer's domains by host are read from the index, in byte order, without a sort.
	if _, err := pool.Exec(ctx, `INSERT INTO domains_v1 SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000001', 'C', '{}',
		'h' || i || '.example', '{}', now(), now(), 1, 1 FROM generate_series(1, 2000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE domains_v1`); err != nil {
		t.Fatal(err)
	}
	var plan string
	if err := pool.QueryRow(ctx, `EXPLAIN (FORMAT JSON) SELECT id FROM domains WHERE customer_id = '00000000-0000-0000-0000-000000000001'
		ORDER BY lower(host) COLLATE "C", id LIMIT 10`).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "domains_v1_customer_host_id") {
		t.Errorf("listing by host does not use the index: %s", plan)
	}
}

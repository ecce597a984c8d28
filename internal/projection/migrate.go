package projection

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLockKey is the pg_advisory_lock key that serializes Migrate across processes. Its value
// is arbitrary but must never change.
const migrationLockKey int64 = 0x636d_7072_6f6a // "cmproj"

// migrationPrefix namespaces this package's rows in schema_migrations, which other packages may
// share.
const migrationPrefix = "projection/"

// Migrate applies the embedded migrations that have not been applied yet, in file name order, each
// in its own transaction, and records them in schema_migrations. It holds a session advisory lock
// while it works, so the api and the projector may call it at the same time on every start.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("projection: migrate: acquire connection: %w", err)
	}
	defer conn.Release()

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("projection: migrate: lock: %w", err)
	}
	defer func() {
		// A failed unlock leaves the lock to the session's end; closing the connection ends it.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    text        PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("projection: migrate: create schema_migrations: %w", err)
	}

	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("projection: migrate: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		version := migrationPrefix + name[len("migrations/"):]
		if err := applyMigration(ctx, conn.Conn(), version, name); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration runs one migration file unless schema_migrations already records it.
func applyMigration(ctx context.Context, conn *pgx.Conn, version, file string) error {
	var done bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", version).Scan(&done); err != nil {
		return fmt.Errorf("projection: migrate: check %s: %w", version, err)
	}
	if done {
		return nil
	}
	sql, err := migrations.ReadFile(file)
	if err != nil {
		return fmt.Errorf("projection: migrate: read %s: %w", file, err)
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// No arguments: the simple protocol runs the file's statements in one go.
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("projection: migrate: apply %s: %w", version, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", version); err != nil {
			return fmt.Errorf("projection: migrate: record %s: %w", version, err)
		}
		return nil
	})
}

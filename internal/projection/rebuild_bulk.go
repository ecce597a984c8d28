package projection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/toffstech/customer-management/internal/eventstore"
)

// The bulk replay: the first, long part of a rebuild without the reducer's SQL.
//
// Replaying a log of a million events through the reducer costs several statements per event
// (each with its index updates, its lookups, its rows written and rewritten): about 3 400 events
// a second. Folded in memory instead (bulkFold), the log only leaves its final rows, which COPY
// writes into the rebuild's empty tables with their secondary indexes dropped; each index is then
// built once. Both cores work: workers decode the events ahead of the fold (foldLog), the audit
// rows, one per event, go into COPY while the fold runs, and then the audit side (the rows held
// back, the audit indexes) and the rest (the other tables, their indexes, the checkpoint) are
// written on two connections at once.
//
// The two sides are two transactions, committed once both are done: until then, when the fold
// gives up (a poison event, a case it does not mirror: see bulkFold), COPY fails, or anything else
// goes wrong, both roll back and leave the tables as Migrate made them, and the rebuild replays
// the log event by event as it always did (see Rebuild). Only a failure between the two COMMITs
// (or of one: it may have committed) fails the rebuild instead, whose schema is then dropped.
// Events appended meanwhile, and the switch, are the usual replay's and swap's.
//
// The fold must write exactly what the reducer writes. rebuild_bulk_test.go compares both on
// random logs (every event type, moves, renames, deletions, erasures, actions of users); a change
// to a reducer's statements needs the same change in the fold (bulkfold*.go). A column that a
// migration adds and the bulk replay does not know makes it give up (checkBulkColumns).

// bulkColumns are the columns the bulk replay writes, by table: every column but the generated
// ones, in the order of the rows it builds.
var bulkColumns = []struct {
	table   string
	columns []string
}{
	{"customers_v1", []string{"id", "name", "address", "parent_id", "parent_name", "ancestors", "depth", "created_at", "updated_at", "version", "last_seq"}},
	{"users_v1", []string{"id", "customer_id", "customer_name", "customer_ancestors", "role", "name", "email", "status", "remark",
		"created_at", "updated_at", "version", "last_seq"}},
	{"domains_v1", []string{"id", "customer_id", "customer_name", "customer_ancestors", "host", "settings",
		"created_at", "updated_at", "version", "last_seq", "csv_cells"}},
	{"exports_v1", []string{"id", "customer_id", "requested_by", "requested_at", "status", "started_at", "finished_at", "attempts",
		"rows", "bytes", "sha256", "object_key", "filename", "expires_at", "reason", "downloads", "version", "last_seq", "reason_code"}},
	{"audit_v1", []string{"seq", "event_id", "time", "type", "action_type", "resource_type", "resource_id", "resource_name",
		"customer_id", "other_customer_id", "customer_name", "customer_ancestors", "actor_type", "actor_id", "actor_email",
		"request_id", "aggregate_version", "action", "change"}},
	{"audit_actors", []string{"user_id", "email", "customer_id"}},
}

// bulkColumnsOf returns the columns of a table in bulkColumns.
func bulkColumnsOf(table string) []string {
	for _, t := range bulkColumns {
		if t.table == table {
			return t.columns
		}
	}
	panic("projection: no bulk columns for " + table)
}

// auditStreamBatch is how many audit rows go to COPY at a time.
const auditStreamBatch = 512

// bulkReplay folds the whole log into the rebuild's tables (see above) and returns how many events
// it read and the sequence of the last one. Until it commits, any error means that nothing was
// written, and the rebuild goes on event by event; committed reports that rows are in (or may
// be), and an error then is the rebuild's.
func bulkReplay(ctx context.Context, cfg RebuildConfig, rpool *pgxpool.Pool, schema string, log *slog.Logger) (n int, last uint64, committed bool, err error) {
	auditConn, err := rpool.Acquire(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	defer auditConn.Release()
	auditTx, err := auditConn.Begin(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	defer auditTx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit

	if err := checkBulkColumns(ctx, auditTx, schema); err != nil {
		return 0, 0, false, err
	}
	auditIndexes, err := dropSecondaryIndexes(ctx, auditTx, schema, []string{"audit_v1"})
	if err != nil {
		return 0, 0, false, err
	}

	// The fold, with the final audit rows streaming into COPY.
	start := time.Now()
	stream := newAuditStream(ctx, auditTx)
	fold := newBulkFold(customers{keys: cfg.Keys}, stream.add)
	n, last, err = foldLog(ctx, cfg.Store, fold)
	if err == nil {
		err = ctx.Err() // a read cut short by ctx ends without an error
	}
	if err := stream.close(err); err != nil {
		return n, last, false, err
	}
	auditRows := stream.rows + len(fold.held)
	log.Info("projection: rebuild folded the log", "events", n, "last_seq", last, "took", time.Since(start),
		"customers", len(fold.customers), "users", len(fold.users), "domains", len(fold.domains), "audit_rows", auditRows)

	// The rest on two connections at once, for Postgres writes one COPY or builds one index on
	// one core: the audit rows held back and the audit indexes in this transaction; the other
	// tables, their indexes and the checkpoint in a second one, which locks none of the audit's
	// tables.
	start = time.Now()
	restConn, err := rpool.Acquire(ctx)
	if err != nil {
		return n, last, false, err
	}
	defer restConn.Release()
	restTx, err := restConn.Begin(ctx)
	if err != nil {
		return n, last, false, err
	}
	defer restTx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	var others []string
	for _, t := range bulkColumns {
		if t.table != "audit_v1" {
			others = append(others, t.table)
		}
	}
	restIndexes, err := dropSecondaryIndexes(ctx, restTx, schema, others)
	if err != nil {
		return n, last, false, err
	}
	bothCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var sides sync.WaitGroup
	sides.Go(func() {
		t := time.Now()
		err := copyRows(bothCtx, auditTx, "audit_v1", len(fold.held), func(i int) []any { return fold.held[i].values() })
		log.Debug("projection: rebuild copied the held audit rows", "rows", len(fold.held), "took", time.Since(t))
		if err == nil {
			err = buildIndexes(bothCtx, auditTx, auditIndexes, log)
		}
		if err != nil {
			cancel(err)
		}
	})
	sides.Go(func() {
		err := fold.copyRest(bothCtx, restTx, log)
		if err == nil {
			err = buildIndexes(bothCtx, restTx, restIndexes, log)
		}
		if err == nil {
			_, err = restTx.Exec(bothCtx, `UPDATE projection_checkpoints SET last_seq = $2, updated_at = now() WHERE name = $1`,
				CustomersProjection, int64(last))
		}
		if err == nil {
			_, err = restTx.Exec(bothCtx, `SELECT pg_notify($1, $2)`, RebuildChannel, CustomersProjection+":"+strconv.FormatUint(last, 10))
		}
		if err != nil {
			cancel(err)
		}
	})
	sides.Wait()
	if err := context.Cause(bothCtx); err != nil {
		return n, last, false, err
	}
	// Two commits: should the second fail, the rows of the first stay in, and the rebuild fails
	// (its schema is dropped). A failed COMMIT may have committed: the same.
	if err := auditTx.Commit(ctx); err != nil {
		return n, last, true, err
	}
	if err := restTx.Commit(ctx); err != nil {
		return n, last, true, err
	}
	log.Info("projection: rebuild copied the rows and built the indexes", "indexes", len(auditIndexes)+len(restIndexes), "took", time.Since(start))
	return n, last, true, nil
}

// buildIndexes creates indexes dropped by dropSecondaryIndexes again. (More maintenance_work_mem
// does not make them faster: measured, the trigram index of a million audit rows took 18 s with
// 64 MB and with 512 MB.)
func buildIndexes(ctx context.Context, tx pgx.Tx, indexes []bulkIndex, log *slog.Logger) error {
	for _, x := range indexes {
		t := time.Now()
		if _, err := tx.Exec(ctx, x.def); err != nil {
			return fmt.Errorf("build index %s: %w", x.name, err)
		}
		log.Debug("projection: rebuild built an index", "index", x.name, "took", time.Since(t))
	}
	return nil
}

// bulkPrepareBatch is how many events a worker of foldLog prepares at a time, and bulkAhead how
// many such batches may wait for the fold.
const (
	bulkPrepareBatch = 256
	bulkAhead        = 16
)

// foldLog reads the whole log and folds it, and returns how many events it read and the sequence
// of the last one. Decoding costs far more than folding (measured: 44 of a domain.added's 46 µs),
// so a reader hands batches of events to workers that prepare them (prepareBulk), one batch each,
// while the fold applies the batches before them, in the log's order. At most bulkAhead batches are read ahead, so memory holds a few thousand
// events whatever the log's size.
func foldLog(ctx context.Context, store *eventstore.Store, fold *bulkFold) (int, uint64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		evs  []bulkEvent
		done chan struct{}
	}
	newBatch := func() *batch {
		return &batch{evs: make([]bulkEvent, 0, bulkPrepareBatch), done: make(chan struct{})}
	}
	work, ordered := make(chan *batch, bulkAhead), make(chan *batch, bulkAhead)
	readErr := make(chan error, 1)
	go func() {
		defer close(work)
		defer close(ordered)
		cur := newBatch()
		send := func() error {
			for _, ch := range []chan *batch{ordered, work} {
				select {
				case ch <- cur:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			cur = newBatch()
			return nil
		}
		err := store.ReadFrom(ctx, 0, false, func(seq uint64, subject string, data []byte) error {
			cur.evs = append(cur.evs, bulkEvent{ev: event{Seq: seq, Subject: subject, Data: data}})
			if len(cur.evs) < bulkPrepareBatch {
				return nil
			}
			return send()
		})
		if err == nil && len(cur.evs) > 0 {
			err = send()
		}
		readErr <- err
	}()
	var workers sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), 4)) {
		workers.Go(func() {
			for b := range work {
				for i := range b.evs {
					b.evs[i] = prepareBulk(ctx, fold.reducer, b.evs[i].ev)
				}
				close(b.done)
			}
		})
	}

	n, last := 0, uint64(0)
	var err error
fold:
	for b := range ordered {
		select {
		case <-b.done:
		case <-ctx.Done():
			break fold
		}
		for i := range b.evs {
			n, last = n+1, b.evs[i].ev.Seq
			if err = fold.apply(&b.evs[i]); err != nil {
				break fold
			}
		}
	}
	cancel()
	for range ordered { // lets the reader end
	}
	workers.Wait()
	if rerr := <-readErr; err == nil && rerr != nil && !errors.Is(rerr, context.Canceled) {
		err = fmt.Errorf("read the log: %w", rerr)
	}
	return n, last, err
}

// checkBulkColumns makes sure that the tables have the columns the bulk replay writes, no more
// and no fewer: a column it does not know was added by a migration, with values the reducer
// computes and the fold would not.
func checkBulkColumns(ctx context.Context, tx pgx.Tx, schema string) error {
	rows, err := tx.Query(ctx, `SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = $1 AND is_generated = 'NEVER'`, schema)
	if err != nil {
		return err
	}
	have := map[string][]string{}
	var table, column string
	if _, err := pgx.ForEachRow(rows, []any{&table, &column}, func() error {
		have[table] = append(have[table], column)
		return nil
	}); err != nil {
		return err
	}
	for _, t := range bulkColumns {
		slices.Sort(have[t.table])
		if want := slices.Sorted(slices.Values(t.columns)); !slices.Equal(have[t.table], want) {
			return fmt.Errorf("%w: %s has the columns %v, the bulk replay writes %v", errBulkGaveUp, t.table, have[t.table], want)
		}
	}
	return nil
}

// bulkIndex is an index the bulk replay drops and builds again.
type bulkIndex struct{ name, table, def string }

// dropSecondaryIndexes drops the indexes of tables but their constraints' and returns them with
// the statements creating them again, taken from pg_indexes.
func dropSecondaryIndexes(ctx context.Context, tx pgx.Tx, schema string, tables []string) ([]bulkIndex, error) {
	rows, err := tx.Query(ctx, `SELECT i.indexname::text, i.tablename::text, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = $1 AND i.tablename = ANY($2)
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
		ORDER BY i.tablename, i.indexname`, schema, tables)
	if err != nil {
		return nil, err
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulkIndex, error) {
		var x bulkIndex
		err := r.Scan(&x.name, &x.table, &x.def)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("list the indexes: %w", err)
	}
	for _, x := range found {
		if _, err := tx.Exec(ctx, "DROP INDEX "+pgx.Identifier{schema, x.name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", x.name, err)
		}
	}
	return found, nil
}

// auditStream feeds the audit rows the fold finishes into a COPY running on the transaction.
type auditStream struct {
	// rows counts the rows added.
	rows  int
	queue chan []*bulkAudit
	abort chan struct{} // closed to make the COPY fail
	done  chan struct{} // closed when the COPY ended
	err   error         // the COPY's, once done is closed
	batch []*bulkAudit
}

func newAuditStream(ctx context.Context, tx pgx.Tx) *auditStream {
	s := &auditStream{queue: make(chan []*bulkAudit, 8), abort: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		var batch []*bulkAudit
		_, s.err = tx.CopyFrom(ctx, pgx.Identifier{"audit_v1"}, bulkColumnsOf("audit_v1"), pgx.CopyFromFunc(func() ([]any, error) {
			for len(batch) == 0 {
				select {
				case b, ok := <-s.queue:
					if !ok {
						return nil, nil
					}
					batch = b
				case <-s.abort:
					return nil, errors.New("the fold failed")
				}
			}
			r := batch[0]
			batch = batch[1:]
			return r.values(), nil
		}))
	}()
	return s
}

// add queues one row for the COPY.
func (s *auditStream) add(r *bulkAudit) error {
	s.rows++
	s.batch = append(s.batch, r)
	if len(s.batch) < auditStreamBatch {
		return nil
	}
	return s.flush()
}

func (s *auditStream) flush() error {
	if len(s.batch) == 0 {
		return nil
	}
	select {
	case s.queue <- s.batch:
		s.batch = make([]*bulkAudit, 0, auditStreamBatch)
		return nil
	case <-s.done:
		return fmt.Errorf("copy the audit rows: %w", s.err)
	}
}

// close ends the COPY: normally when foldErr is nil, making it fail otherwise. It returns foldErr,
// or the COPY's error.
func (s *auditStream) close(foldErr error) error {
	if foldErr == nil {
		foldErr = s.flush()
	}
	if foldErr != nil {
		close(s.abort)
		<-s.done
		return foldErr
	}
	close(s.queue)
	<-s.done
	if s.err != nil {
		return fmt.Errorf("copy the audit rows: %w", s.err)
	}
	return nil
}

// copyRows copies n rows into table, row(i) giving the i-th in the order of bulkColumns.
func copyRows(ctx context.Context, tx pgx.Tx, table string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, bulkColumnsOf(table), pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		return row(i), nil
	}))
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

// copyRest writes the rows of every table but audit_v1.
func (f *bulkFold) copyRest(ctx context.Context, tx pgx.Tx, log *slog.Logger) error {
	customers := withoutGone(f.customerRows, func(c *bulkCustomer) bool { return c.gone })
	users := withoutGone(f.userRows, func(u *bulkUser) bool { return u.gone })
	domains := withoutGone(f.domainRows, func(d *bulkDomain) bool { return d.gone })
	if err := copyRows(ctx, tx, "audit_actors", len(f.actorRows), func(i int) []any {
		x := f.actorRows[i]
		return []any{validUUID(x.user), x.email, x.customer}
	}); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, "customers_v1", len(customers), func(i int) []any {
		c := customers[i]
		return []any{validUUID(c.id), c.name, c.address, c.parent, c.parentName, uuids(c.ancestors), len(c.ancestors) + 1,
			c.created, c.updated, c.version, c.lastSeq}
	}); err != nil {
		return err
	}
	if err := copyRows(ctx, tx, "users_v1", len(users), func(i int) []any {
		u := users[i]
		return []any{validUUID(u.id), validUUID(u.group.customer), u.group.name, uuids(u.group.ancestors), u.role, u.name, u.email,
			u.status, u.remark, u.created, u.updated, u.version, u.lastSeq}
	}); err != nil {
		return err
	}
	t := time.Now()
	if err := copyRows(ctx, tx, "domains_v1", len(domains), func(i int) []any {
		d := domains[i]
		return []any{validUUID(d.id), validUUID(d.group.customer), d.group.name, uuids(d.group.ancestors), d.host, d.settings,
			d.created, d.updated, d.version, d.lastSeq, d.cells[:]}
	}); err != nil {
		return err
	}
	log.Debug("projection: rebuild copied the domains", "rows", len(domains), "took", time.Since(t))
	return copyRows(ctx, tx, "exports_v1", len(f.exportRows), func(i int) []any {
		x := f.exportRows[i]
		return []any{validUUID(x.id), validUUID(x.customer), x.requestedBy, x.requestedAt, x.status, x.startedAt, x.finishedAt,
			x.attempts, x.rows, x.bytes, x.sha256, x.objectKey, x.filename, x.expiresAt, x.reason, x.downloads, x.version,
			x.lastSeq, x.reasonCode}
	})
}

// withoutGone returns rows without the gone ones.
func withoutGone[T any](rows []T, gone func(T) bool) []T {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		if !gone(r) {
			out = append(out, r)
		}
	}
	return out
}

// uuids returns ids as pgx encodes a uuid[] fastest (a uuid.UUID goes through its driver.Valuer,
// its text).
func uuids(ids []uuid.UUID) []pgtype.UUID {
	out := make([]pgtype.UUID, len(ids))
	for i, id := range ids {
		out[i] = validUUID(id)
	}
	return out
}

// values returns the row in the order of bulkColumns.
func (r *bulkAudit) values() []any {
	return []any{r.seq, r.eventID, r.time, r.typ, r.actionType, r.resourceType, validUUID(r.resourceID), r.resourceName,
		r.customer, r.other, r.customerName, uuids(r.ancestors), r.actorType, r.actor, r.actorEmail,
		r.requestID, r.aggregateVersion, r.action, r.change}
}

// bulkGaveUpReason shortens err for the log line of a fallback.
func bulkGaveUpReason(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return strings.ToValidUTF8(s, "")
}

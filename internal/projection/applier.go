package projection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// NotifyChannel is the Postgres channel a projection notifies, with the payload
// "<projection>:<checkpoint>", in the transaction that moves its checkpoint.
const NotifyChannel = "cm_projection"

// Backoff bounds of the retry of a batch that failed for a reason other than its events.
const (
	retryFirst = 50 * time.Millisecond
	retryMax   = 5 * time.Second
)

// applier commits batches of events to one read model: in one transaction it locks the
// projection's checkpoint row, skips the events at or below the checkpoint, applies the rest,
// parks poison events, moves the checkpoint and notifies NotifyChannel.
type applier struct {
	pool *pgxpool.Pool
	name string
	// channel is the channel notified of each new checkpoint; empty: NotifyChannel. A rebuild
	// notifies another channel, so that its progress is never taken for the live read model's.
	channel string
	reducer reducer
	metrics *metrics
	log     *slog.Logger
	// checkpoint is the last checkpoint this applier committed or saw.
	checkpoint atomic.Uint64
}

// notifyChannel returns the channel the applier notifies.
func (a *applier) notifyChannel() string {
	if a.channel != "" {
		return a.channel
	}
	return NotifyChannel
}

// parkedEvent is an event parked by a committed batch.
type parkedEvent struct {
	seq     uint64
	subject string
	typ     string
	err     error
}

// result is what a committed batch did.
type result struct {
	applied int
	parked  []parkedEvent
}

// commit applies evs, retrying with backoff until it succeeds or ctx is done; it returns only
// ctx's error. A batch whose events include a poison one is applied again one event at a time,
// each behind a savepoint, so the poison event is parked and the others still apply.
func (a *applier) commit(ctx context.Context, evs []event) error {
	start := time.Now()
	backoff := retryFirst
	isolate := false
	attempts := 0
	for {
		res, err := a.attempt(ctx, evs, isolate)
		if err == nil {
			a.report(evs, res, time.Since(start))
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !isolate && isPoison(err) {
			isolate = true
			continue
		}
		a.metrics.retries.Inc()
		attempts++
		level := slog.LevelWarn // a lost connection or a deadlock is routine once
		if attempts > 3 {
			level = slog.LevelError
		}
		a.log.Log(ctx, level, "projection: batch failed, retrying", "attempt", attempts,
			"first_seq", evs[0].Seq, "last_seq", evs[len(evs)-1].Seq, "retry_in", backoff, "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, retryMax)
	}
}

// report records a committed batch in metrics and logs its parked events.
func (a *applier) report(evs []event, res result, took time.Duration) {
	a.metrics.batchSize.Observe(float64(len(evs)))
	a.metrics.batchSeconds.Observe(took.Seconds())
	a.metrics.applied.Add(float64(res.applied))
	a.metrics.checkpoint.Set(float64(a.checkpoint.Load()))
	for _, p := range res.parked {
		a.metrics.parked.Inc()
		a.log.Error("projection: poison event parked",
			"seq", p.seq, "subject", p.subject, "event_type", p.typ, "error", p.err)
	}
}

// attempt runs one transaction. With isolate, each event is applied behind its own savepoint and
// an event failing with a poison error is parked; otherwise all statements go in one round trip
// and any error fails the attempt.
func (a *applier) attempt(ctx context.Context, evs []event, isolate bool) (result, error) {
	if !isolate {
		res, err := a.fastAttempt(ctx, evs)
		if !errors.Is(err, errCheckpointMoved) {
			return res, err
		}
		// Another projector applied some of these events: learn where it stands and let the
		// locking path below skip what it did.
	}
	var res result
	tx, err := a.pool.Begin(ctx)
	if err != nil {
		return res, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit

	cp, err := lockCheckpoint(ctx, tx, a.name)
	if err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, genericPlans); err != nil {
		return res, err
	}
	last := cp
	b := &pgx.Batch{}
	for _, ev := range evs {
		if ev.Seq <= last {
			continue // applied before: a redelivery, or another projector got here first
		}
		if last+1 != ev.Seq && last == cp {
			a.log.Warn("projection: events missing between the checkpoint and the batch",
				"checkpoint", cp, "first_seq", ev.Seq)
		}
		last = ev.Seq
		if !a.reducer.reads(ev.Subject) {
			continue
		}
		if !isolate {
			if err := a.reducer.queue(b, ev); err != nil {
				if !isPoison(err) {
					return result{}, err
				}
				queuePark(b, a.name, ev, err)
				res.parked = append(res.parked, parked(ev, err))
				continue
			}
			res.applied++
			continue
		}
		ok, err := a.applyIsolated(ctx, tx, ev)
		if err != nil {
			if !isPoison(err) {
				return result{}, err
			}
			queuePark(b, a.name, ev, err)
			res.parked = append(res.parked, parked(ev, err))
			continue
		}
		if ok {
			res.applied++
		}
	}
	if last == cp {
		a.seen(cp)
		return res, nil // nothing new
	}
	// The read model is a cache of the log: a commit lost in a Postgres crash loses its rows and
	// its checkpoint together, and the projector applies those events again. So it need not wait
	// for the WAL flush, which would compete with the event stream's own fsyncs on the same disk.
	// Other sessions see the commit at once either way.
	b.Queue(`SET LOCAL synchronous_commit = off`)
	b.Queue(`UPDATE projection_checkpoints SET last_seq = $2, updated_at = now() WHERE name = $1`, a.name, int64(last))
	b.Queue(`SELECT pg_notify($1, $2)`, a.notifyChannel(), a.name+":"+strconv.FormatUint(last, 10))
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return result{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return result{}, err
	}
	a.seen(last)
	return res, nil
}

// genericPlans makes the reducers' statements run on their prepared generic plans. Postgres
// otherwise plans again at every execution a statement whose generic plan it estimates dearer than
// a custom one (the audit row's lookups, which depend on which parameters are NULL): measured, the
// planning cost more than the execution and halved the projection's rate.
const genericPlans = `SET LOCAL plan_cache_mode = force_generic_plan`

// errCheckpointMoved reports that the checkpoint was not where this applier believed it was.
var errCheckpointMoved = errors.New("projection: checkpoint moved")

// fastAttempt applies evs in ONE round trip: a pgx batch sent outside a transaction runs as one
// implicit transaction, which first moves the checkpoint from the value this applier last committed
// or read (projection_advance fails if another projector moved it), then writes the rows, then
// notifies. All or nothing, like the locking path, at a quarter of its round trips.
func (a *applier) fastAttempt(ctx context.Context, evs []event) (result, error) {
	var res result
	cp := a.checkpoint.Load()
	last := cp
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL synchronous_commit = off`) // see attempt
	b.Queue(genericPlans)
	advance := b.Queue(`SELECT projection_advance($1, $2, $3)`, a.name, int64(cp), int64(0))
	for _, ev := range evs {
		if ev.Seq <= last {
			continue
		}
		last = ev.Seq
		if !a.reducer.reads(ev.Subject) {
			continue
		}
		if err := a.reducer.queue(b, ev); err != nil {
			if !isPoison(err) {
				return result{}, err
			}
			queuePark(b, a.name, ev, err)
			res.parked = append(res.parked, parked(ev, err))
			continue
		}
		res.applied++
	}
	if last == cp {
		return res, nil // nothing new
	}
	advance.Arguments[2] = int64(last)
	b.Queue(`SELECT pg_notify($1, $2)`, a.notifyChannel(), a.name+":"+strconv.FormatUint(last, 10))
	if err := a.pool.SendBatch(ctx, b).Close(); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "CM001" {
			return result{}, errCheckpointMoved
		}
		return result{}, err
	}
	a.seen(last)
	return res, nil
}

// applyIsolated applies one event behind a savepoint. A poison error rolls back to the savepoint
// and is returned for the caller to park; any other error fails the transaction.
func (a *applier) applyIsolated(ctx context.Context, tx pgx.Tx, ev event) (bool, error) {
	b := &pgx.Batch{}
	if err := a.reducer.queue(b, ev); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, "SAVEPOINT event"); err != nil {
		return false, err
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		if !isPoison(err) {
			return false, err
		}
		if _, rbErr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT event"); rbErr != nil {
			return false, rbErr
		}
		return false, err
	}
	if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT event"); err != nil {
		return false, err
	}
	return true, nil
}

// seen records a checkpoint this applier committed or found.
func (a *applier) seen(cp uint64) {
	for {
		old := a.checkpoint.Load()
		if cp <= old || a.checkpoint.CompareAndSwap(old, cp) {
			return
		}
	}
}

// lockCheckpoint returns the projection's checkpoint and locks its row until the transaction ends,
// so two projectors never apply the same events: the second waits, then sees the first's
// checkpoint and skips what it applied.
func lockCheckpoint(ctx context.Context, tx pgx.Tx, name string) (uint64, error) {
	var cp int64
	err := tx.QueryRow(ctx, `SELECT last_seq FROM projection_checkpoints WHERE name = $1 FOR UPDATE`, name).Scan(&cp)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING`, name); err != nil {
			return 0, err
		}
		err = tx.QueryRow(ctx, `SELECT last_seq FROM projection_checkpoints WHERE name = $1 FOR UPDATE`, name).Scan(&cp)
	}
	if err != nil {
		return 0, fmt.Errorf("lock checkpoint %s: %w", name, err)
	}
	return uint64(cp), nil
}

// RowQuerier is what ReadCheckpoint needs: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type RowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ReadCheckpoint returns the checkpoint of the named projection: the stream sequence of the last
// event it has taken into account, 0 when it has none yet.
func ReadCheckpoint(ctx context.Context, db RowQuerier, projection string) (uint64, error) {
	var cp int64
	err := db.QueryRow(ctx, `SELECT last_seq FROM projection_checkpoints WHERE name = $1`, projection).Scan(&cp)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projection: read checkpoint %s: %w", projection, err)
	}
	return uint64(cp), nil
}

// queuePark adds the statement parking ev to b.
func queuePark(b *pgx.Batch, projection string, ev event, cause error) {
	b.Queue(`INSERT INTO projection_parked (projection, seq, subject, event_type, error, data)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		projection, int64(ev.Seq), cleanText(ev.Subject, 1000), eventType(ev.Data), cleanText(cause.Error(), 2000), ev.Data)
}

// parked describes a parked event for the report.
func parked(ev event, cause error) parkedEvent {
	return parkedEvent{seq: ev.Seq, subject: ev.Subject, typ: eventType(ev.Data), err: cause}
}

// Package worker holds the logic of one export job: Processor turns an export.requested event into
// a CSV file in object storage and an export.succeeded (or, after bounded retries, export.failed)
// event, independently of how jobs are delivered (a Watermill consumer in cmd/exporter, a test).
package worker

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	csvexport "github.com/toffstech/customer-management/internal/export/csv"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/query"
)

// Defaults of Config.
const (
	DefaultMaxAttempts = 5
	DefaultWaitTimeout = 30 * time.Second
	// maxBackoff caps DefaultBackoff.
	maxBackoff = 30 * time.Second
	// maxStarts bounds how often Process reloads an export whose export.started conflicted.
	maxStarts = 5
)

// ContentType is the content type export files are stored with.
const ContentType = "text/csv; charset=utf-8"

// Reasons of export.failed, sentences a user can act on.
const (
	ReasonStorage  = "The export storage could not be reached; please try again later."
	ReasonDatabase = "The domain data could not be read; please try again later."
	ReasonAttempts = "The export could not be completed after several attempts; please request it again."
)

// Waiter waits until the projections have applied a stream sequence (projection.Waiter).
type Waiter interface {
	Wait(ctx context.Context, seq uint64) error
}

// Config configures a Processor.
type Config struct {
	// Exports records the export's progress. Required.
	Exports *command.Exports
	// Pool is the read database the domains are streamed from. Required.
	Pool *pgxpool.Pool
	// Waiter waits for the projections to reach the request's sequence. Required.
	Waiter Waiter
	// Store keeps the files. Required.
	Store storage.Store
	// Retention is how long a file is kept; default command.DefaultExportRetention.
	Retention time.Duration
	// MaxAttempts bounds the attempts of one export (storage and database errors); default
	// DefaultMaxAttempts.
	MaxAttempts int
	// Backoff is the pause after failed attempt n (from 1); default DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// WaitTimeout bounds the wait for the projections; default DefaultWaitTimeout. When it passes,
	// Process returns an error and the job is retried later.
	WaitTimeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives the worker's logs; default slog.Default().
	Logger *slog.Logger
}

// DefaultBackoff is 1 s · 2^(attempt-1), capped at 30 s.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 6 {
		return maxBackoff
	}
	return min(time.Second<<(attempt-1), maxBackoff)
}

// Processor runs export jobs. It is safe for concurrent use.
type Processor struct {
	cfg     Config
	domains *query.Domains
	log     *slog.Logger
}

// New checks cfg, fills in its defaults and returns a Processor.
func New(cfg Config) (*Processor, error) {
	var errs []error
	if cfg.Exports == nil {
		errs = append(errs, errors.New("worker: Config.Exports is required"))
	}
	if cfg.Pool == nil {
		errs = append(errs, errors.New("worker: Config.Pool is required"))
	}
	if cfg.Waiter == nil {
		errs = append(errs, errors.New("worker: Config.Waiter is required"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("worker: Config.Store is required"))
	}
	if cfg.Retention < 0 || cfg.MaxAttempts < 0 || cfg.WaitTimeout < 0 {
		errs = append(errs, errors.New("worker: Config.Retention, MaxAttempts and WaitTimeout must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Retention == 0 {
		cfg.Retention = command.DefaultExportRetention
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.WaitTimeout == 0 {
		cfg.WaitTimeout = DefaultWaitTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Processor{cfg: cfg, domains: query.NewDomains(cfg.Pool), log: cfg.Logger}, nil
}

// ObjectKey is the storage key of export id's file.
//
// Each attempt writes its own object, so an attempt still running beside a redelivered one (a
// worker that seemed dead) can never overwrite the file whose checksum the outcome records; the
// attempt that loses the race to record an outcome removes its own file.
func ObjectKey(id string, attempt int) string {
	return "exports/" + id + "/" + strconv.Itoa(attempt) + ".csv"
}

// meta is the metadata of the worker's events.
func meta(id string) command.Meta { return command.SystemMeta("exporter:" + id) }

// finished reports whether the export has its outcome.
func finished(x domain.Export) bool {
	switch x.Status(time.Now()) {
	case domain.ExportSucceeded, domain.ExportFailed, domain.ExportExpired:
		return true
	}
	return x.Result.ObjectKey != ""
}

// Process handles export id whose export.requested event is at stream sequence seq. It returns
// nil when the export is finished (succeeded, failed, or already finished by someone else) and an
// error only when the job should be retried later by the delivery mechanism (NATS or Postgres
// unreachable, ctx done).
//
// Storage and database errors while writing the file are retried here, Config.Backoff apart, until
// the export has had Config.MaxAttempts attempts (attempts of earlier deliveries count); then
// export.failed is recorded with a reason the user can act on.
func (p *Processor) Process(ctx context.Context, id string, seq uint64) error {
	log := p.log.With("export_id", id)
	x, err := p.cfg.Exports.Export(ctx, id)
	if err != nil {
		return fmt.Errorf("worker: load export %s: %w", id, err)
	}
	if !x.Exists() {
		log.Warn("export not found; job dropped")
		return nil
	}
	if finished(x) {
		return nil
	}
	seq = max(seq, x.AfterSeq)
	wctx, cancel := context.WithTimeout(ctx, p.cfg.WaitTimeout)
	err = p.cfg.Waiter.Wait(wctx, seq)
	cancel()
	if err != nil {
		return fmt.Errorf("worker: export %s: wait for the projections to reach %d: %w", id, seq, err)
	}
	for {
		if x.Attempts >= p.cfg.MaxAttempts {
			// Earlier deliveries used up the attempts (a worker died mid-file each time).
			return p.finish(ctx, log, x, events.ExportFailedV2{Code: events.ExportFailureAttempts, Reason: ReasonAttempts, Attempts: x.Attempts})
		}
		var done bool
		if x, done, err = p.start(ctx, x); err != nil || done {
			return err
		}
		res, err := p.export(ctx, x)
		if err == nil {
			ferr := p.finish(ctx, log, x, res)
			if cur, lerr := p.cfg.Exports.Export(ctx, x.ID); ferr == nil && lerr == nil && cur.Result.ObjectKey != res.ObjectKey {
				// Another attempt recorded its file first: this one is nobody's.
				if derr := p.cfg.Store.Delete(ctx, res.ObjectKey); derr != nil {
					log.Warn("could not remove the file of a losing attempt", "key", res.ObjectKey, "err", derr)
				}
			}
			return ferr
		}
		if ctx.Err() != nil {
			return fmt.Errorf("worker: export %s: %w", id, ctx.Err())
		}
		code, reason := events.ExportFailureDatabase, ReasonDatabase
		if errors.Is(err, errStorage) {
			code, reason = events.ExportFailureStorage, ReasonStorage
		}
		log.Warn("export attempt failed", "attempt", x.Attempts, "max_attempts", p.cfg.MaxAttempts, "err", err)
		if x.Attempts >= p.cfg.MaxAttempts {
			return p.finish(ctx, log, x, events.ExportFailedV2{Code: code, Reason: reason, Attempts: x.Attempts})
		}
		t := time.NewTimer(p.cfg.Backoff(x.Attempts))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("worker: export %s: %w", id, ctx.Err())
		case <-t.C:
		}
	}
}

// start records export.started for the next attempt and returns the export as it is then. done
// is true when the export turned out finished by someone else.
func (p *Processor) start(ctx context.Context, x domain.Export) (domain.Export, bool, error) {
	for i := 0; ; i++ {
		err := p.cfg.Exports.Start(ctx, meta(x.ID), x, x.Attempts+1)
		if err == nil {
			// Reload for the new version and sequence, which Finish expects.
			cur, err := p.cfg.Exports.Export(ctx, x.ID)
			if err != nil {
				return x, false, fmt.Errorf("worker: reload export %s: %w", x.ID, err)
			}
			return cur, finished(cur), nil
		}
		if !errors.Is(err, eventstore.ErrConflict) || i+1 >= maxStarts {
			return x, false, fmt.Errorf("worker: start export %s: %w", x.ID, err)
		}
		// Someone else progressed the export: continue from where it is now.
		if x, err = p.cfg.Exports.Export(ctx, x.ID); err != nil {
			return x, false, fmt.Errorf("worker: reload export %s: %w", x.ID, err)
		}
		if finished(x) {
			return x, true, nil
		}
	}
}

// finish records the outcome; an export someone else finished first is not an error.
func (p *Processor) finish(ctx context.Context, log *slog.Logger, x domain.Export, outcome events.Payload) error {
	_, err := p.cfg.Exports.Finish(ctx, meta(x.ID), x, outcome)
	switch {
	case errors.Is(err, eventstore.ErrConflict):
		log.Info("export already finished elsewhere")
		return nil
	case err != nil:
		return fmt.Errorf("worker: finish export %s: %w", x.ID, err)
	}
	switch o := outcome.(type) {
	case events.ExportSucceededV1:
		log.Info("export succeeded", "rows", o.Rows, "bytes", o.Bytes, "attempt", x.Attempts)
	case events.ExportFailedV2:
		log.Warn("export failed", "code", o.Code, "attempts", o.Attempts)
	}
	return nil
}

// errStorage marks errors of the object store; errPutEnded closes the pipe once Put returned.
var (
	errStorage  = errors.New("export storage")
	errPutEnded = errors.New("worker: the store stopped reading")
)

// written is what the CSV side of an export produced.
type written struct {
	rows  int
	bytes int64
	sum   []byte
	err   error
}

// export writes the file of x and returns the outcome to record. One REPEATABLE READ READ ONLY
// transaction gives the customer's name (for the file name) and its domains. The CSV is written
// by a goroutine into a pipe that the store reads, so only the Writer's buffer and the pipe's
// current chunk are in memory, whatever the number of domains.
func (p *Processor) export(ctx context.Context, x domain.Export) (events.ExportSucceededV1, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	now := p.cfg.Now()
	tx, err := p.cfg.Pool.BeginTx(ctx, query.ExportTxOptions)
	if err != nil {
		return events.ExportSucceededV1{}, fmt.Errorf("worker: begin export transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var name string
	if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT name FROM customers WHERE id = $1::uuid), '')`, x.CustomerID).Scan(&name); err != nil {
		return events.ExportSucceededV1{}, fmt.Errorf("worker: read customer %s: %w", x.CustomerID, err)
	}
	key := ObjectKey(x.ID, x.Attempts)
	filename := Filename(name, now)
	pr, pw := io.Pipe()
	done := make(chan written, 1)
	go func() {
		w := p.write(ctx, tx, x.CustomerID, pw)
		pw.CloseWithError(w.err) // nil: EOF
		done <- w
	}()
	info, putErr := p.cfg.Store.Put(ctx, key, pr, storage.Meta{ContentType: ContentType, Filename: filename})
	pr.CloseWithError(errPutEnded)
	w := <-done
	if w.err != nil && !errors.Is(w.err, errPutEnded) {
		return events.ExportSucceededV1{}, w.err
	}
	if putErr != nil {
		return events.ExportSucceededV1{}, fmt.Errorf("%w: put %s: %w", errStorage, key, putErr)
	}
	if w.err != nil {
		return events.ExportSucceededV1{}, fmt.Errorf("%w: put %s: the store stopped reading early", errStorage, key)
	}
	sum := hex.EncodeToString(w.sum)
	if info.Size != w.bytes || (info.SHA256 != "" && info.SHA256 != sum) {
		return events.ExportSucceededV1{}, fmt.Errorf("%w: put %s: stored %d bytes sha256 %s, wrote %d bytes sha256 %s",
			errStorage, key, info.Size, info.SHA256, w.bytes, sum)
	}
	return events.ExportSucceededV1{
		ObjectKey: key,
		Filename:  filename,
		Rows:      w.rows,
		Bytes:     w.bytes,
		SHA256:    sum,
		ExpiresAt: now.Add(p.cfg.Retention).UTC().Format(time.RFC3339),
	}, nil
}

// write streams the customer's domains from tx's snapshot through the CSV writer into w.
func (p *Processor) write(ctx context.Context, tx pgx.Tx, customerID string, w io.Writer) written {
	cw := csvexport.NewWriter(w, csvexport.WithSHA256())
	_, err := p.domains.StreamForExport(ctx, tx, customerID, func(r query.ExportRow) error {
		if r.Settings != nil {
			return cw.Write(csvexport.FromSettings(*r.Settings, string(r.CustomerName)))
		}
		return cw.WriteEncoded(r.Head, r.CustomerName, r.Tail)
	})
	if err == nil {
		err = cw.Flush()
	}
	if err != nil {
		return written{err: fmt.Errorf("worker: stream domains of customer %s: %w", customerID, err)}
	}
	return written{rows: cw.Rows(), bytes: cw.Bytes(), sum: cw.Sum()}
}

// maxSlug bounds the length of Slug's result.
const maxSlug = 60

// Slug turns a customer's name into a file name part: lower-case ASCII letters and digits, every
// run of other characters one "-", no "-" at either end, at most 60 characters, and "customer"
// when nothing is left.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > maxSlug {
		s = strings.TrimRight(s[:maxSlug], "-")
	}
	if s == "" {
		return "customer"
	}
	return s
}

// Filename is the name an export of the customer's domains is downloaded as:
// "<customer-slug>-domains-<YYYYMMDD>.csv", the date being t's in UTC.
func Filename(customerName string, t time.Time) string {
	return Slug(customerName) + "-domains-" + t.UTC().Format("20060102") + ".csv"
}

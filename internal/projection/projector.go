package projection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/personal"
)

// Defaults of Config.
const (
	DefaultMaxBatch    = 500
	DefaultLagInterval = 5 * time.Second
	// MaxLinger bounds Config.Linger: a write waits at most this long for company before it is
	// committed.
	MaxLinger = 2 * time.Millisecond
)

// Config configures a Projector.
type Config struct {
	// Pool is the read database. Required.
	Pool *pgxpool.Pool
	// NATS is the connection used to manage the projector's consumer and read stream info.
	// Required; the projector does not close it.
	NATS *nats.Conn
	// Dial opens the connection the Watermill subscriber owns: Watermill drains and closes it when
	// the subscriber closes, so it must not be shared. Nil opens one with NATS's options.
	Dial func() (*nats.Conn, error)
	// Keys open the personal fields of user events (keyring.Keyring). Required.
	Keys personal.Keys
	// Registerer receives the projection metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// Logger receives the projector's logs; nil uses slog.Default().
	Logger *slog.Logger
	// MaxBatch is how many events one transaction applies at most (an atomic batch is never split,
	// so a transaction may exceed it by the rest of one). Default DefaultMaxBatch.
	MaxBatch int
	// Linger is how long the batcher waits for more events once its input is empty before it
	// commits; 0 commits at once. At most MaxLinger.
	Linger time.Duration
	// LagInterval is how often the lag gauge is refreshed from the stream's info and the consumer
	// is checked. Default DefaultLagInterval.
	LagInterval time.Duration
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Pool == nil {
		errs = append(errs, errors.New("projection: Config.Pool is required"))
	}
	if c.NATS == nil {
		errs = append(errs, errors.New("projection: Config.NATS is required"))
	}
	if c.Keys == nil {
		errs = append(errs, errors.New("projection: Config.Keys is required"))
	}
	if c.MaxBatch < 0 {
		errs = append(errs, fmt.Errorf("projection: Config.MaxBatch %d is negative", c.MaxBatch))
	}
	if c.Linger < 0 || c.Linger > MaxLinger {
		errs = append(errs, fmt.Errorf("projection: Config.Linger %s is not within [0, %s]", c.Linger, MaxLinger))
	}
	if c.LagInterval < 0 {
		errs = append(errs, fmt.Errorf("projection: Config.LagInterval %s is negative", c.LagInterval))
	}
	return errors.Join(errs...)
}

// Projector keeps the customers read model (see CustomersProjection: customers and their users) up
// to date with the stream.
//
// Position. The checkpoint in Postgres, written in the same transaction as the rows, is the only
// record of how far the projection got. Each run reads it and creates a fresh JetStream consumer
// (projector-customers-<random>) that delivers every subject of stream CM from checkpoint+1; on
// shutdown the consumer is deleted, and a consumer left by a killed process expires after five
// idle minutes.
//
// Acknowledgement. Watermill's jetstream subscriber hands over one message at a time and waits for
// its ack before the next, so the handler acks each message as soon as the batcher holds it, before
// the transaction that applies it commits. That is safe ONLY because the server-side consumer
// position is never trusted: after a crash, the restarted projector starts from the Postgres
// checkpoint, so acked but uncommitted events are delivered again. Never resume from a
// consumer's ack floor (a long-lived durable, say) without first moving the ack after the commit:
// a crash would then lose the events acked but not yet committed.
type Projector struct {
	cfg     Config
	js      jetstream.JetStream
	log     *slog.Logger
	wmLog   watermill.LoggerAdapter
	metrics *metrics
	applier *applier
}

// NewProjector checks cfg, registers the metrics and returns a Projector of the customers read
// model. The schema must be migrated (see Migrate) and the stream must exist before Run.
func NewProjector(cfg Config) (*Projector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.LagInterval == 0 {
		cfg.LagInterval = DefaultLagInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Dial == nil {
		nc := cfg.NATS
		cfg.Dial = func() (*nats.Conn, error) {
			opts := nc.Opts
			opts.Name += " watermill"
			return opts.Connect()
		}
	}
	js, err := jetstream.New(cfg.NATS)
	if err != nil {
		return nil, fmt.Errorf("projection: jetstream: %w", err)
	}
	m, err := newMetrics(cfg.Registerer, CustomersProjection)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.With("projection", CustomersProjection)
	return &Projector{
		cfg: cfg,
		js:  js,
		log: log,
		// Watermill logs every message at Info; that is debug detail here.
		wmLog:   watermill.NewSlogLoggerWithLevelMapping(log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}),
		metrics: m,
		applier: &applier{pool: cfg.Pool, name: CustomersProjection, reducer: customers{keys: cfg.Keys}, metrics: m, log: log},
	}, nil
}

// Checkpoint returns the last checkpoint the projector committed or read.
func (p *Projector) Checkpoint() uint64 { return p.applier.checkpoint.Load() }

// Run projects events until ctx is done, then deletes its consumer and returns nil. When the
// consumer fails (NATS unreachable, consumer lost) it starts over from the checkpoint; database
// errors are retried with backoff without losing its place.
func (p *Projector) Run(ctx context.Context) error {
	backoff := retryFirst
	for {
		started := time.Now()
		err := p.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			backoff = retryFirst
		}
		p.log.Error("projection: consumer stopped; restarting from the checkpoint", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, retryMax)
	}
}

// runOnce runs one consumer from the checkpoint until ctx is done or something fails.
func (p *Projector) runOnce(ctx context.Context) error {
	if _, err := p.cfg.Pool.Exec(ctx, `INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING`, CustomersProjection); err != nil {
		return fmt.Errorf("create checkpoint: %w", err)
	}
	cp, err := ReadCheckpoint(ctx, p.cfg.Pool, CustomersProjection)
	if err != nil {
		return err
	}
	p.applier.seen(cp)
	p.metrics.checkpoint.Set(float64(p.applier.checkpoint.Load()))

	conn, err := p.cfg.Dial()
	if err != nil {
		return fmt.Errorf("connect watermill subscriber: %w", err)
	}
	name := consumerName(CustomersProjection)
	var created atomic.Bool
	deleted := make(chan struct{})
	sub, err := wmjs.NewSubscriber(wmjs.SubscriberConfig{
		Conn:   conn,
		Logger: p.wmLog,
		// The handler only waits for room in the batcher, which can take as long as a database
		// outage lasts; a timeout here would let the next message overtake this one.
		AckWaitTimeout:      24 * time.Hour,
		ResourceInitializer: startAt(p.js, name, cp+1, &created, deleted, p.log),
		AckAsync:            true,
		Unmarshaler:         unmarshaler{},
		ConsumeOptions:      []jetstream.PullConsumeOpt{jetstream.PullMaxMessages(2 * p.cfg.MaxBatch)},
	})
	if err != nil {
		conn.Close()
		return fmt.Errorf("watermill subscriber: %w", err)
	}
	defer func() {
		if err := sub.Close(); err != nil {
			p.log.Warn("projection: close subscriber", "error", err)
		}
		// Watermill runs the initializer's closer without waiting for it, and not at all when
		// it could not start consuming: wait for it, so that the consumer is gone when Run
		// returns, or delete the consumer here.
		if created.Load() {
			select {
			case <-deleted:
			case <-time.After(5 * time.Second):
				deleteConsumer(context.WithoutCancel(ctx), p.js, name, p.log)
			}
		}
	}()

	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, p.wmLog)
	if err != nil {
		return err
	}
	in := make(chan event, p.cfg.MaxBatch)
	// The handler name is the projection's name: a contract, see CustomersProjection.
	router.AddConsumerHandler(CustomersProjection, topic, sub, p.handler(in))

	b := &batcher{in: in, maxBatch: p.cfg.MaxBatch, linger: p.cfg.Linger, commit: p.applier.commit, log: p.log, last: cp}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	go func() { errc <- fmt.Errorf("batcher: %w", b.run(runCtx)) }()
	go func() { errc <- p.watch(runCtx, name, &created) }()
	go func() {
		err := router.Run(runCtx)
		if err == nil {
			err = errors.New("watermill router stopped")
		}
		errc <- fmt.Errorf("router: %w", err)
	}()
	p.log.Info("projection: consuming", "consumer", name, "from_seq", cp+1)
	err = <-errc
	cancel()
	<-errc
	<-errc
	return err
}

// handler returns the Watermill handler of the projection: it hands the event to the batcher and
// returns, which acks the message before the batch commits (see Projector on why that is safe).
func (p *Projector) handler(in chan<- event) message.NoPublishHandlerFunc {
	return func(m *message.Message) error {
		ev, ok := eventFromMessage(m)
		if !ok {
			p.log.Error("projection: message without a stream sequence ignored", "uuid", m.UUID, "subject", m.Metadata.Get(metaSubject))
			return nil
		}
		select {
		case in <- ev:
			return nil
		case <-m.Context().Done():
			return m.Context().Err()
		}
	}
}

// watch refreshes the lag gauge and checks that the consumer still exists, every LagInterval.
func (p *Projector) watch(ctx context.Context, consumer string, created *atomic.Bool) error {
	tick := time.NewTicker(p.cfg.LagInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if !created.Load() {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, p.cfg.LagInterval)
		s, err := p.js.Stream(qctx, events.StreamName)
		if err == nil {
			_, err = s.Consumer(qctx, consumer)
		}
		cancel()
		switch {
		case errors.Is(err, jetstream.ErrConsumerNotFound):
			return fmt.Errorf("consumer %s disappeared", consumer)
		case err != nil:
			if ctx.Err() == nil {
				p.log.Warn("projection: read stream info", "error", err)
			}
			continue
		}
		last, cp := s.CachedInfo().State.LastSeq, p.applier.checkpoint.Load()
		lag := uint64(0)
		if last > cp {
			lag = last - cp
		}
		p.metrics.lag.Set(float64(lag))
	}
}

package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/events"
)

// ConsumerName is the durable JetStream consumer every exporter process shares: each export
// request is delivered to one of them. It is a contract: renaming it makes a new consumer that
// starts from the beginning of the log (harmless — finished exports are skipped — but slow).
const ConsumerName = "exporter"

// exportSubjects are the subjects the exporter consumes.
const exportSubjects = "cm.export.*"

// ConsumerConfig configures Consume.
type ConsumerConfig struct {
	// Dial opens the connection Watermill owns (it closes it on shutdown).
	Dial func() (*nats.Conn, error)
	// AckWait is when JetStream hands an unfinished job to another worker (a worker that died).
	// It must be longer than the longest export. Default 10 minutes.
	AckWait time.Duration
	// RetryDelay is how long a job that failed for a passing reason waits. Default 5 s.
	RetryDelay time.Duration
	Logger     *slog.Logger
}

// EnsureConsumer creates or updates the shared durable consumer; idempotent, safe from several
// processes at once.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, ackWait time.Duration) error {
	if ackWait <= 0 {
		ackWait = 10 * time.Minute
	}
	_, err := js.CreateOrUpdateConsumer(ctx, events.StreamName, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "export workers: each export.requested is processed by one of them",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		FilterSubject: exportSubjects,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
	})
	if err != nil {
		return fmt.Errorf("worker: consumer %s: %w", ConsumerName, err)
	}
	return nil
}

// Consume delivers export requests to p until ctx ends: a processed job is acknowledged, a job
// that must be retried is handed back after RetryDelay, other export events are acknowledged and
// skipped.
func Consume(ctx context.Context, js jetstream.JetStream, p *Processor, cfg ConsumerConfig) error {
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 5 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := EnsureConsumer(ctx, js, cfg.AckWait); err != nil {
		return err
	}
	conn, err := cfg.Dial()
	if err != nil {
		return err
	}
	sub, err := wmjs.NewSubscriber(wmjs.SubscriberConfig{
		Conn:   conn,
		Logger: watermill.NewSlogLoggerWithLevelMapping(log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}),
		// Watermill waits this long for the handler before giving up on a message; an export
		// may take as long as JetStream's AckWait allows.
		AckWaitTimeout: max(cfg.AckWait, 10*time.Minute),
		NakDelay:       wmjs.NewStaticDelay(cfg.RetryDelay),
		ResourceInitializer: func(ctx context.Context, js jetstream.JetStream, _ string) (jetstream.Consumer, func(context.Context, watermill.LoggerAdapter), error) {
			c, err := js.Consumer(ctx, events.StreamName, ConsumerName)
			return c, nil, err // nil closer: the durable consumer outlives this process
		},
		Unmarshaler: exportUnmarshaler{},
	})
	if err != nil {
		return err
	}
	defer sub.Close() //nolint:errcheck // shutting down
	msgs, err := sub.Subscribe(ctx, exportSubjects)
	if err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			if err := handle(m, p); err != nil {
				log.Warn("export job will be retried", "export", m.Metadata.Get(metaID), "error", err)
				m.Nack()
				continue
			}
			m.Ack()
		}
	}
}

// Metadata keys set by exportUnmarshaler.
const (
	metaSeq  = "cm_seq"
	metaID   = "cm_export_id"
	metaType = "cm_type"
)

func handle(m *message.Message, p *Processor) error {
	if m.Metadata.Get(metaType) != events.ExportRequested {
		return nil // progress events of exports are not jobs
	}
	seq, err := strconv.ParseUint(m.Metadata.Get(metaSeq), 10, 64)
	if err != nil {
		return errors.New("worker: message without a stream sequence")
	}
	return p.Process(m.Context(), m.Metadata.Get(metaID), seq)
}

// exportUnmarshaler copies what the handler needs into the message metadata. It never fails:
// Watermill's subscriber dereferences the message even when Unmarshal returns an error.
type exportUnmarshaler struct{}

// Unmarshal implements wmjs.Unmarshaler.
func (exportUnmarshaler) Unmarshal(msg jetstream.Msg) (*message.Message, error) {
	md := message.Metadata{metaID: strings.TrimPrefix(msg.Subject(), "cm.export.")}
	if meta, err := msg.Metadata(); err == nil {
		md[metaSeq] = strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	if env, err := events.Decode(msg.Data()); err == nil {
		md[metaType] = env.Type
	}
	id := msg.Headers().Get(jetstream.MsgIDHeader)
	if id == "" {
		id = "seq-" + md[metaSeq]
	}
	m := message.NewMessage(id, msg.Data())
	m.Metadata = md
	return m, nil
}

package projection

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/events"
)

// Consumer settings.
const (
	// consumerInactiveThreshold is how long the server keeps the consumer of a projector that died
	// without deleting it (SIGKILL, lost host). A restarted projector makes a new one anyway.
	consumerInactiveThreshold = 5 * time.Minute
	// consumerAckWait is when the server redelivers an unacknowledged message. The projector acks
	// each message as soon as the batcher holds it; a redelivery is recognized by its sequence.
	consumerAckWait = time.Minute
)

// topic is what the projector subscribes to: every event of the stream.
const topic = events.SubjectPrefix + ">"

// consumerName returns a fresh name for one run of a projection's consumer.
func consumerName(projection string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "projector-" + projection + "-" + hex.EncodeToString(b)
}

// startAt is the Watermill ResourceInitializer of one projector run: it creates a consumer on the
// existing stream CM (the built-in initializers would take the topic "cm.>" for a stream name),
// delivering every subject from stream sequence start, and returns a closer that deletes it.
//
// The consumer is made on the JetStream context Watermill passes in, so messages flow on
// Watermill's own connection; the closer deletes it through mgmt, because Watermill drains its
// connection while it closes, and then closes deleted.
func startAt(mgmt jetstream.JetStream, name string, start uint64, created *atomic.Bool, deleted chan<- struct{}, log *slog.Logger) wmjs.ResourceInitializer {
	return func(ctx context.Context, js jetstream.JetStream, topic string) (jetstream.Consumer, func(context.Context, watermill.LoggerAdapter), error) {
		cons, err := js.CreateConsumer(ctx, events.StreamName, jetstream.ConsumerConfig{
			Durable:           name,
			Description:       "read model projector; deleted on shutdown, expires when its process died",
			DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
			OptStartSeq:       start,
			FilterSubject:     topic,
			AckPolicy:         jetstream.AckExplicitPolicy,
			AckWait:           consumerAckWait,
			MaxDeliver:        -1,
			InactiveThreshold: consumerInactiveThreshold,
		})
		if err != nil {
			return nil, nil, err
		}
		created.Store(true)
		closer := func(ctx context.Context, _ watermill.LoggerAdapter) {
			// The subscribe context is already cancelled when Watermill calls this.
			deleteConsumer(context.WithoutCancel(ctx), mgmt, name, log)
			close(deleted)
		}
		return cons, closer, nil
	}
}

// unmarshaler turns a JetStream message into a Watermill message carrying its stream sequence,
// subject and atomic batch headers in the metadata, and its Nats-Msg-Id (the event id) as UUID.
//
// It never returns an error: Watermill's jetstream subscriber uses the returned message even when
// Unmarshal fails, and panics on nil. A message whose sequence cannot be read is handed over
// without one, and the handler reports it.
type unmarshaler struct{}

// Unmarshal implements wmjs.Unmarshaler.
func (unmarshaler) Unmarshal(msg jetstream.Msg) (*message.Message, error) {
	h := msg.Headers()
	md := message.Metadata{metaSubject: msg.Subject()}
	if meta, err := msg.Metadata(); err == nil {
		md[metaSeq] = strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	if v := h.Get(headerBatchID); v != "" {
		md[headerBatchID] = v
	}
	if v := h.Get(headerBatchCommit); v != "" {
		md[headerBatchCommit] = v
	}
	id := h.Get(jetstream.MsgIDHeader)
	if id == "" {
		id = "seq-" + md[metaSeq]
	}
	m := message.NewMessage(id, msg.Data())
	m.Metadata = md
	return m, nil
}

// deleteConsumer deletes a projector's consumer; one already gone is fine.
func deleteConsumer(ctx context.Context, js jetstream.JetStream, name string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := js.DeleteConsumer(ctx, events.StreamName, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		log.Warn("projection: delete consumer", "consumer", name, "error", err)
	}
}

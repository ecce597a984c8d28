package chain

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// walkFetch is how many events one fetch of the ordered consumer asks for.
const walkFetch = 2000

// walkIdle is how long Walk waits for an event it knows exists before it gives up.
const walkIdle = 10 * time.Second

// Walk reads the events of stream from its first sequence up to until (0: up to its last event at
// the start), in stream order, and calls fn with each; it stops at fn's first error and returns
// it. It reads through an ordered consumer, a few thousand events at a time, so memory does not
// grow with the log; the consumer is ephemeral and removed when Walk returns.
func Walk(ctx context.Context, js jetstream.JetStream, stream string, until uint64, fn func(Event) error) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("chain: stream %s: %w", stream, err)
	}
	last := s.CachedInfo().State.LastSeq
	if until == 0 || until > last {
		until = last
	}
	if until == 0 || s.CachedInfo().State.Msgs == 0 {
		return nil
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("chain: read %s: %w", stream, err)
	}
	for {
		batch, err := c.Fetch(walkFetch, jetstream.FetchMaxWait(walkIdle))
		if err != nil {
			return fmt.Errorf("chain: read %s: %w", stream, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("chain: read %s: %w", stream, err)
			}
			seq := md.Sequence.Stream
			if seq > until {
				continue
			}
			if err := fn(Event{Seq: seq, Subject: m.Subject(), Data: m.Data()}); err != nil {
				return err
			}
			if seq == until {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("chain: read %s: %w", stream, err)
		}
		if got == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("chain: read %s: no event for %s before sequence %d", stream, walkIdle, until)
		}
	}
}

// VerifyStream verifies every chain of stream up to sequence until (0: its last event) and
// returns the report.
func VerifyStream(ctx context.Context, js jetstream.JetStream, stream string, until uint64) (Report, error) {
	v := NewVerifier()
	err := Walk(ctx, js, stream, until, func(e Event) error {
		v.Add(e)
		return nil
	})
	return v.Report(), err
}

package chain

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/eventstore"
)

// Walk reads the events of stream from its first sequence up to until (0: up to its last event at
// the start), in stream order, and calls fn with each; it stops at fn's first error and returns
// it. It reads as eventstore.ReadStream does, a hundred events at a time, so memory does not grow
// with the log.
func Walk(ctx context.Context, js jetstream.JetStream, stream string, until uint64, fn func(Event) error) error {
	err := eventstore.ReadStream(ctx, js, stream, 0, false, func(seq uint64, subject string, data []byte) error {
		if until > 0 && seq > until {
			return eventstore.ErrStopReading
		}
		if err := fn(Event{Seq: seq, Subject: subject, Data: data}); err != nil {
			return err
		}
		if seq == until {
			return eventstore.ErrStopReading
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("chain: read %s: %w", stream, err)
	}
	return nil
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

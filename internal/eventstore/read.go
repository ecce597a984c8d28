package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/events"
)

// readFetch is how many events ReadFrom asks the server for at a time: its only buffer, whatever
// the log's size and however slowly fn works.
const readFetch = 100

// readWait is how long one fetch waits for events when following the log.
const readWait = 5 * time.Second

// ErrStopReading ends ReadFrom without error when fn returns it.
var ErrStopReading = errors.New("eventstore: stop reading")

// ReadFrom calls fn with every event after stream sequence after, in stream order, with the bytes
// as stored. Without follow it stops at the last event the stream held when it started; with
// follow it then waits for new events until ctx is done. It fetches the next hundred events only
// once fn has handled the previous ones, so a slow fn (a slow HTTP client) holds the server back
// instead of filling memory. fn returning ErrStopReading ends it with nil; another error is
// returned as is.
func (s *Store) ReadFrom(ctx context.Context, after uint64, follow bool, fn func(seq uint64, subject string, data []byte) error) error {
	if err := s.connected(); err != nil {
		return fmt.Errorf("eventstore: read: %w", err)
	}
	return ReadStream(ctx, s.js, events.StreamName, after, follow, fn)
}

// ReadStream is ReadFrom on any stream (auditors' tools verify copies of the log, for one).
func ReadStream(ctx context.Context, js jetstream.JetStream, stream string, after uint64, follow bool,
	fn func(seq uint64, subject string, data []byte) error) error {
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("eventstore: read: %w", err)
	}
	last := st.CachedInfo().State.LastSeq
	if !follow && last <= after {
		return nil
	}
	c, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: after + 1,
	})
	if err != nil {
		return fmt.Errorf("eventstore: read: %w", err)
	}
	for {
		wait := readWait
		if !follow {
			wait = 10 * time.Second // the events exist: they only have to arrive
		}
		got, done, err := readBatch(ctx, c, wait, func(seq uint64, subject string, data []byte) (bool, error) {
			if !follow && seq > last {
				return true, nil
			}
			if err := fn(seq, subject, data); err != nil {
				return true, err
			}
			return !follow && seq == last, nil
		})
		if errors.Is(err, ErrStopReading) {
			return nil
		}
		if err != nil || done {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if got == 0 && !follow {
			return fmt.Errorf("eventstore: read: no event arrived for %s before sequence %d", wait, last)
		}
	}
}

// readBatch fetches up to readFetch events, waiting at most wait, and calls fn with each until fn
// says it is done. It returns how many events it handled.
func readBatch(ctx context.Context, c jetstream.Consumer, wait time.Duration,
	fn func(seq uint64, subject string, data []byte) (bool, error)) (int, bool, error) {
	fctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	batch, err := c.Fetch(readFetch, jetstream.FetchContext(fctx))
	if err != nil {
		if ctx.Err() != nil {
			return 0, true, nil
		}
		return 0, false, fmt.Errorf("eventstore: read: %w", err)
	}
	got := 0
	for m := range batch.Messages() {
		got++
		md, err := m.Metadata()
		if err != nil {
			return got, false, fmt.Errorf("eventstore: read: %w", err)
		}
		done, err := fn(md.Sequence.Stream, m.Subject(), m.Data())
		if err != nil || done {
			return got, true, err
		}
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return got, false, fmt.Errorf("eventstore: read: %w", err)
	}
	return got, false, nil
}

// Raw returns the subject and the stored bytes of the event at stream sequence seq.
func (s *Store) Raw(ctx context.Context, seq uint64) (string, []byte, error) {
	if err := s.connected(); err != nil {
		return "", nil, fmt.Errorf("eventstore: event %d: %w", seq, err)
	}
	st, err := s.handle(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("eventstore: event %d: %w", seq, err)
	}
	m, err := st.GetMsg(ctx, seq)
	if err != nil {
		return "", nil, fmt.Errorf("eventstore: event %d: %w", seq, err)
	}
	return m.Subject, m.Data, nil
}

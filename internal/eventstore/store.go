package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
	"github.com/toffstech/customer-management/internal/events"
)

// Message is one event to append.
type Message struct {
	// Subject is the aggregate's subject, e.g. events.CustomerSubject(id).
	Subject string
	// Envelope is the complete event; its ID becomes the Nats-Msg-Id.
	Envelope events.Envelope
	// Expect, when non-nil, is the stream sequence the last message of ExpectSubject (or of Subject
	// when ExpectSubject is empty) must have; 0 means that subject must be empty.
	Expect *uint64
	// ExpectSubject checks another subject than Subject (a subject not written in the same append).
	ExpectSubject string
}

// Seq is a helper for Message.Expect.
func Seq(n uint64) *uint64 { return &n }

// Stored is an event read back from the stream.
type Stored struct {
	// Seq is the event's stream sequence.
	Seq uint64
	// Subject is the subject it was stored on.
	Subject  string
	Envelope events.Envelope
	// Hash is events.Hash of the event's stored bytes: the PrevHash of the subject's next event.
	Hash string
}

// Observer is told about appends, for metrics. Its methods must be cheap and safe for concurrent use.
type Observer interface {
	Appended(events int)
	Conflicted()
}

type nopObserver struct{}

func (nopObserver) Appended(int) {}
func (nopObserver) Conflicted()  {}

// Store appends to and reads from the event stream.
type Store struct {
	js  jetstream.JetStream
	obs Observer

	mu     sync.Mutex
	stream jetstream.Stream // looked up once; its cached info enables direct gets

	headsMu sync.Mutex
	heads   map[string]head // the last event of recently seen subjects (see chain.go)
}

// New returns a Store on js. The stream must exist (see EnsureStream). obs may be nil.
func New(js jetstream.JetStream, obs Observer) *Store {
	if obs == nil {
		obs = nopObserver{}
	}
	return &Store{js: js, obs: obs}
}

// JetStream returns the underlying JetStream context.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Append stores msgs atomically, in order, and returns the stream sequence of the last one. Several
// messages go in one JetStream atomic batch: all are stored or none. It returns ErrConflict (wrapped)
// when an expectation fails. A retry of an append that was already stored (same event ids) returns
// the original sequence instead of a conflict, because JetStream checks expectations before it
// de-duplicates: the store looks for its own first event at the subject's tail.
//
// It chains every event to the previous one of its subject (see chain.go). A message without an
// expectation is guarded on its subject's tail as read just before the publish; when such a tail
// moves in between, the append is chained again and retried, so that guard is never the caller's
// conflict.
func (s *Store) Append(ctx context.Context, msgs []Message) (uint64, error) {
	if len(msgs) == 0 {
		return 0, errors.New("eventstore: nothing to append")
	}
	if err := s.connected(); err != nil {
		return 0, fmt.Errorf("eventstore: append to %s: %w", msgs[0].Subject, err)
	}
	for attempt := 1; ; attempt++ {
		chained, data, auto, err := s.chain(ctx, msgs)
		if err == nil {
			var seq uint64
			seq, err = s.publish(ctx, chained, data)
			if err == nil {
				return seq, nil
			}
		}
		if !errors.Is(err, ErrConflict) && !errors.Is(err, errReplayedBatch) {
			return 0, err
		}
		if got, ok := s.alreadyStored(ctx, msgs); ok {
			return got, nil
		}
		if !errors.Is(err, ErrConflict) {
			return 0, err
		}
		if attempt < maxChainAttempts && len(auto) > 0 && s.tailsMoved(ctx, auto) {
			continue
		}
		s.obs.Conflicted()
		return 0, err
	}
}

// errReplayedBatch marks a batch JetStream refused as a duplicate.
var errReplayedBatch = errors.New("eventstore: batch already stored")

// maxChainAttempts bounds how often Append chains again because a tail it guarded on its own
// moved.
const maxChainAttempts = 5

// publish appends chained messages with their encoded data.
func (s *Store) publish(ctx context.Context, msgs []Message, data [][]byte) (uint64, error) {
	nm := make([]*nats.Msg, len(msgs))
	for i, m := range msgs {
		msg := nats.NewMsg(m.Subject)
		msg.Data = data[i]
		msg.Header.Set(jetstream.MsgIDHeader, m.Envelope.ID)
		if m.Expect != nil {
			msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(*m.Expect, 10))
			if m.ExpectSubject != "" {
				msg.Header.Set(jetstream.ExpectedLastSubjSeqSubjHeader, m.ExpectSubject)
			}
		}
		nm[i] = msg
	}
	var (
		seq uint64
		err error
	)
	if len(nm) == 1 {
		var ack *jetstream.PubAck
		ack, err = s.js.PublishMsg(ctx, nm[0])
		if err == nil {
			seq = ack.Sequence
		}
	} else {
		var ack *jetstreamext.BatchAck
		ack, err = jetstreamext.PublishMsgBatch(ctx, s.js, nm)
		if err == nil {
			seq = ack.Sequence
		}
	}
	if err == nil {
		s.obs.Appended(len(msgs))
		// A batch is stored contiguously, ending at seq.
		first := seq - uint64(len(msgs)) + 1
		for i, m := range msgs { // the version is known: no need to parse the event again
			s.rememberHead(m.Subject, head{seq: first + uint64(i), version: m.Envelope.AggregateVersion, hash: events.Hash(data[i])})
		}
		return seq, nil
	}
	if isConflict(err) {
		return 0, fmt.Errorf("%w: %v", ErrConflict, err)
	}
	if isDuplicateInBatch(err) {
		// A replayed batch: Append finds it at the tail.
		return 0, fmt.Errorf("%w: append to %s: %w", errReplayedBatch, msgs[0].Subject, err)
	}
	return 0, fmt.Errorf("eventstore: append to %s: %w", msgs[0].Subject, err)
}

// alreadyStored reports whether msgs were stored by an earlier attempt, and the sequence of the last.
// A batch is stored contiguously, so the last sequence follows from the first message's.
func (s *Store) alreadyStored(ctx context.Context, msgs []Message) (uint64, bool) {
	first := msgs[0]
	m, err := s.lastRaw(ctx, first.Subject)
	if err != nil || m == nil {
		return 0, false
	}
	if m.Header.Get(jetstream.MsgIDHeader) != first.Envelope.ID {
		return 0, false
	}
	// A batch could write the first subject more than once; then its tail is a later message of
	// the batch. Find the batch sequence to compute the last one.
	if n, err := strconv.Atoi(m.Header.Get("Nats-Batch-Sequence")); err == nil && n >= 1 {
		return m.Sequence - uint64(n) + uint64(len(msgs)), true
	}
	return m.Sequence + uint64(len(msgs)) - 1, true
}

// connected fails fast while the connection is down, rather than letting a request wait for a
// reconnect the caller cannot afford.
func (s *Store) connected() error {
	if nc := s.js.Conn(); nc != nil && !nc.IsConnected() {
		return nats.ErrDisconnected
	}
	return nil
}

// handle returns the stream handle, looking it up on first use.
func (s *Store) handle(ctx context.Context) (jetstream.Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stream != nil {
		return s.stream, nil
	}
	st, err := s.js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, err
	}
	s.stream = st
	return st, nil
}

// lastRaw returns the last message on subject with one direct get (read-after-write consistent on
// a single server and on the stream leader), or nil when the subject is empty.
func (s *Store) lastRaw(ctx context.Context, subject string) (*jetstream.RawStreamMsg, error) {
	if err := s.connected(); err != nil {
		return nil, err
	}
	st, err := s.handle(ctx)
	if err != nil {
		return nil, err
	}
	m, err := st.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err == nil {
		s.remember(subject, m.Sequence, m.Data)
	}
	return m, err
}

// Last returns the last event on subject, or nil when the subject is empty.
func (s *Store) Last(ctx context.Context, subject string) (*Stored, error) {
	m, err := s.lastRaw(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("eventstore: last of %s: %w", subject, err)
	}
	if m == nil {
		return nil, nil
	}
	return toStored(m)
}

// LastSeq returns the stream sequence of the last event on subject, 0 when it is empty.
func (s *Store) LastSeq(ctx context.Context, subject string) (uint64, error) {
	m, err := s.lastRaw(ctx, subject)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Sequence, nil
}

// loadPage is how many events one direct batch get returns.
const loadPage = 1000

// Load returns every event on subject after stream sequence after (0: all), in order. It uses
// direct batch gets, which see the latest committed write and never half a batch.
func (s *Store) Load(ctx context.Context, subject string, after uint64) ([]Stored, error) {
	if after > 0 {
		// The common case of a cached aggregate: one cheap direct get tells whether anything
		// was appended since, without the subscription a batch get sets up.
		last, err := s.lastRaw(ctx, subject)
		if err != nil {
			return nil, fmt.Errorf("eventstore: load %s: %w", subject, err)
		}
		if last == nil || last.Sequence <= after {
			return nil, nil
		}
	}
	if err := s.connected(); err != nil {
		return nil, fmt.Errorf("eventstore: load %s: %w", subject, err)
	}
	var (
		out  []Stored
		last *jetstream.RawStreamMsg
	)
	defer func() {
		if last != nil {
			s.remember(subject, last.Sequence, last.Data)
		}
	}()
	from := after + 1
	for {
		it, err := jetstreamext.GetBatch(ctx, s.js, events.StreamName, loadPage,
			jetstreamext.GetBatchSubject(subject), jetstreamext.GetBatchSeq(from))
		if err != nil {
			return nil, fmt.Errorf("eventstore: load %s: %w", subject, err)
		}
		pending := -1
		for m, err := range it {
			if errors.Is(err, jetstreamext.ErrNoMessages) {
				return out, nil
			}
			if err != nil {
				return nil, fmt.Errorf("eventstore: load %s: %w", subject, err)
			}
			st, err := toStored(m)
			if err != nil {
				return nil, err
			}
			out = append(out, *st)
			from = m.Sequence + 1
			last = m
			pending, _ = strconv.Atoi(m.Header.Get("Nats-Num-Pending"))
		}
		if pending <= 0 {
			return out, nil
		}
	}
}

func toStored(m *jetstream.RawStreamMsg) (*Stored, error) {
	env, err := events.Decode(m.Data)
	if err != nil {
		return nil, fmt.Errorf("eventstore: event at sequence %d: %w", m.Sequence, err)
	}
	return &Stored{Seq: m.Sequence, Subject: m.Subject, Envelope: env, Hash: events.Hash(m.Data)}, nil
}

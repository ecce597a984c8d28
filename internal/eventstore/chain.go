package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/toffstech/customer-management/internal/events"
)

// Every event carries the hash of the previous event of its subject (events.Envelope.PrevHash),
// so each aggregate's history is a hash chain. The store sets it at append time, and can only set
// it right if it knows the subject's last event for certain: so every message is appended with an
// expectation on its own subject's last sequence (a message without an expectation gets one, from
// the subject's current tail), and the previous hash is that of the very event the expectation
// names. A concurrent append to the same subject then fails the expectation, never forks the
// chain. The one exception is a message guarded on another subject (ExpectSubject), which must
// start a new aggregate: its subject is read at append time and must be empty.

// maxHeads bounds the heads the store remembers.
const maxHeads = 100_000

// head is the last event of a subject: its stream sequence, its aggregate version and its hash.
type head struct {
	seq     uint64
	version uint64
	hash    string
}

// headOf returns the head an event's stored bytes make.
func headOf(seq uint64, data []byte) head {
	var v struct {
		Version uint64 `json:"aggregateversion"`
	}
	_ = json.Unmarshal(data, &v) // a malformed event has version 0; Load reports it
	return head{seq: seq, version: v.Version, hash: events.Hash(data)}
}

// remember records the last event of a subject seen in the stream.
func (s *Store) remember(subject string, seq uint64, data []byte) {
	s.rememberHead(subject, headOf(seq, data))
}

func (s *Store) rememberHead(subject string, h head) {
	s.headsMu.Lock()
	defer s.headsMu.Unlock()
	if s.heads == nil {
		s.heads = make(map[string]head)
	}
	if old, ok := s.heads[subject]; ok && old.seq > h.seq {
		return
	}
	if len(s.heads) >= maxHeads {
		// Forget about a tenth, at random (map order): a forgotten head costs one direct get.
		n := 0
		for k := range s.heads {
			delete(s.heads, k)
			if n++; n >= maxHeads/10 {
				break
			}
		}
	}
	s.heads[subject] = h
}

func (s *Store) cachedHead(subject string) (head, bool) {
	s.headsMu.Lock()
	defer s.headsMu.Unlock()
	h, ok := s.heads[subject]
	return h, ok
}

// ownExpect returns the expectation m carries on its own subject, or nil.
func ownExpect(m Message) *uint64 {
	if m.ExpectSubject == "" || m.ExpectSubject == m.Subject {
		return m.Expect
	}
	return nil
}

// chain returns msgs (copied) with every envelope's PrevHash set and every message guarded on its
// own subject, the data to publish for each, and the guards it added itself (subject → sequence).
// A subject it guards itself is placed at its tail altogether: its messages also get the aggregate
// versions that follow the tail's.
// It returns ErrConflict (wrapped) when a subject's tail is already past an expectation: the
// append would fail anyway.
func (s *Store) chain(ctx context.Context, msgs []Message) ([]Message, [][]byte, map[string]uint64, error) {
	out := append([]Message(nil), msgs...)
	prev := make(map[string]head, len(out)) // the head each subject's first message builds on
	var unknown []string
	for _, m := range out {
		if _, ok := prev[m.Subject]; ok {
			continue
		}
		if e := ownExpect(m); e != nil {
			if *e == 0 {
				prev[m.Subject] = head{}
				continue
			}
			if h, ok := s.cachedHead(m.Subject); ok && h.seq == *e {
				prev[m.Subject] = h
				continue
			}
		}
		prev[m.Subject] = head{}
		unknown = append(unknown, m.Subject)
	}
	if len(unknown) > 0 {
		heads, err := s.lastHeads(ctx, unknown)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("eventstore: append to %s: read the tails: %w", out[0].Subject, err)
		}
		for _, subj := range unknown {
			prev[subj] = heads[subj]
		}
	}

	data := make([][]byte, len(out))
	var auto map[string]uint64
	seen := make(map[string]bool, len(prev))
	for i := range out {
		m := &out[i]
		h := prev[m.Subject]
		if _, ok := auto[m.Subject]; ok { // a later message of a subject guarded here
			m.Envelope.AggregateVersion = h.version + 1
		}
		if !seen[m.Subject] {
			seen[m.Subject] = true
			switch e := ownExpect(*m); {
			case e != nil && *e != h.seq:
				return nil, nil, nil, fmt.Errorf("%w: %s is at sequence %d, not %d", ErrConflict, m.Subject, h.seq, *e)
			case m.Expect == nil:
				m.Expect = Seq(h.seq)
				if auto == nil {
					auto = make(map[string]uint64)
				}
				auto[m.Subject] = h.seq
				m.Envelope.AggregateVersion = h.version + 1
			case e == nil && h.seq != 0:
				return nil, nil, nil, fmt.Errorf("eventstore: append to %s: a message guarded on %s must start its aggregate, and %s has events",
					m.Subject, m.ExpectSubject, m.Subject)
			}
		}
		m.Envelope.PrevHash = h.hash
		b, err := events.Encode(m.Envelope)
		if err != nil {
			return nil, nil, nil, err
		}
		data[i] = b
		prev[m.Subject] = head{version: m.Envelope.AggregateVersion, hash: events.Hash(b)}
	}
	return out, data, auto, nil
}

// tailsMoved reports whether any subject's tail is past the sequence chain guarded it on.
func (s *Store) tailsMoved(ctx context.Context, guarded map[string]uint64) bool {
	subjects := make([]string, 0, len(guarded))
	for subj := range guarded {
		subjects = append(subjects, subj)
	}
	heads, err := s.lastHeads(ctx, subjects)
	if err != nil {
		return false
	}
	for subj, seq := range guarded {
		if heads[subj].seq != seq {
			return true
		}
	}
	return false
}

// lastHeads reads the last event of each subject, in one request; an empty subject is absent from
// the result.
func (s *Store) lastHeads(ctx context.Context, subjects []string) (map[string]head, error) {
	heads := make(map[string]head, len(subjects))
	if len(subjects) == 1 {
		m, err := s.lastRaw(ctx, subjects[0])
		if err != nil || m == nil {
			return heads, err
		}
		heads[m.Subject] = headOf(m.Sequence, m.Data)
		return heads, nil
	}
	if err := s.connected(); err != nil {
		return nil, err
	}
	it, err := jetstreamext.GetLastMsgsFor(ctx, s.js, events.StreamName, subjects)
	if err != nil {
		return nil, err
	}
	for m, err := range it {
		if errors.Is(err, jetstreamext.ErrNoMessages) || errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		heads[m.Subject] = headOf(m.Sequence, m.Data)
	}
	return heads, nil
}

package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/events"
)

// rawWriter publishes customer.updated events straight to JetStream with the same pattern as the
// event store's single-event append (js.PublishMsg with Nats-Expected-Last-Subject-Sequence set to
// the subject's last sequence and a unique Nats-Msg-Id), without HTTP and without the command
// layer. Each worker owns one customer created for it, so the projector applies the raw events
// exactly as it applies the HTTP runs' events: both sides carry the same read-model load.
type rawWriter struct {
	js jetstream.JetStream
	// addrLen is the address length that makes an encoded event as big as the HTTP runs' events.
	addrLen int
	// subjects, ids, last and versions hold, per worker, its subject, the aggregate id its events
	// name, the subject's last stream sequence and the aggregate version of its last event.
	subjects []string
	ids      []string
	last     []uint64
	versions []uint64
	// lastSize is the encoded size of the last event published.
	lastSize int
}

// newRawWriter returns a writer with one worker per customer in ids (each created by one event,
// the last of its subject at lastSeqs[i]), whose events encode to about targetSize bytes (the size
// of a stored customer.updated event of the HTTP runs).
func newRawWriter(js jetstream.JetStream, ids []string, lastSeqs []uint64, targetSize int) (*rawWriter, error) {
	workers := len(ids)
	r := &rawWriter{js: js, addrLen: len(addressOf(0)),
		subjects: make([]string, workers), ids: ids, last: lastSeqs, versions: make([]uint64, workers)}
	for w := range workers {
		r.subjects[w] = events.CustomerSubject(ids[w])
		r.versions[w] = 1
	}
	b, _, err := r.encode(0, 0)
	if err != nil {
		return nil, err
	}
	r.addrLen = max(r.addrLen+targetSize-len(b), 8)
	return r, nil
}

// encode builds and encodes the n-th event of worker w the way the command layer builds a
// customer.updated event of an anonymous PATCH, and returns it with its event id.
func (r *rawWriter) encode(w int, n uint64) ([]byte, string, error) {
	data, sv, err := events.MarshalData(events.CustomerUpdatedV1{Address: events.Some(fmt.Sprintf("%0*d", r.addrLen, n))})
	if err != nil {
		return nil, "", err
	}
	reqID := uuid.Must(uuid.NewV7()).String()
	env := events.Envelope{
		ID:               uuid.Must(uuid.NewV7()).String(),
		Source:           command.Source,
		SpecVersion:      events.SpecVersion,
		Type:             events.CustomerUpdated,
		Subject:          "customers/" + r.ids[w],
		Time:             time.Now().UTC(),
		DataContentType:  events.ContentType,
		AggregateType:    events.AggregateCustomer,
		AggregateID:      r.ids[w],
		AggregateVersion: r.versions[w] + 1,
		SchemaVersion:    sv,
		RequestID:        reqID,
		CorrelationID:    reqID,
		CausationID:      uuid.Must(uuid.NewV7()).String(),
		Data:             data,
	}
	env.SetActor(events.Actor{Type: events.ActorAnonymous})
	b, err := events.Encode(env)
	return b, env.ID, err
}

// publish appends the next event of worker w, expecting its subject unchanged since the last one.
func (r *rawWriter) publish(ctx context.Context, w int, n uint64) error {
	b, id, err := r.encode(w, n)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(r.subjects[w])
	msg.Data = b
	msg.Header.Set(jetstream.MsgIDHeader, id)
	msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(r.last[w], 10))
	ack, err := r.js.PublishMsg(ctx, msg)
	if err != nil {
		return fmt.Errorf("raw publish to %s: %w", r.subjects[w], err)
	}
	r.last[w] = ack.Sequence
	r.versions[w]++
	if w == 0 {
		r.lastSize = len(b)
	}
	return nil
}

package eventstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/testenv"
)

func newStore(t *testing.T) (*eventstore.Store, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := eventstore.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	return eventstore.New(js, nil), js
}

func msg(t *testing.T, subject string, p events.Payload, expect *uint64) eventstore.Message {
	t.Helper()
	data, v, err := events.MarshalData(p)
	if err != nil {
		t.Fatal(err)
	}
	return eventstore.Message{
		Subject: subject,
		Expect:  expect,
		Envelope: events.Envelope{
			ID: uuid.Must(uuid.NewV7()).String(), Type: p.EventType(), Time: time.Now().UTC(),
			SchemaVersion: v, Data: data, ActorType: events.ActorAnonymous,
		},
	}
}

func TestEnsureStreamIsIdempotentAndStrict(t *testing.T) {
	_, js := newStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := eventstore.EnsureStream(ctx, js, 1)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent EnsureStream: %v", err)
		}
	}
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx); err == nil {
		t.Error("purge must be denied")
	}
	// Someone switches atomic publish off: the next start must notice and repair or refuse.
	cfg := eventstore.StreamConfig(1)
	cfg.AllowAtomicPublish = false
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.EnsureStream(ctx, js, 1); err != nil {
		t.Fatalf("EnsureStream should restore atomic publish: %v", err)
	}
	info, _ := s.Info(ctx)
	if !info.Config.AllowAtomicPublish {
		t.Error("atomic publish still off")
	}
}

func TestAppendExpectationsAndLoad(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	id := uuid.NewString()
	subj := events.CustomerSubject(id)

	seq1, err := st.Append(ctx, []eventstore.Message{msg(t, subj, events.CustomerCreatedV1{Name: "A"}, eventstore.Seq(0))})
	if err != nil {
		t.Fatal(err)
	}
	// A second create (expectation 0) conflicts.
	_, err = st.Append(ctx, []eventstore.Message{msg(t, subj, events.CustomerCreatedV1{Name: "B"}, eventstore.Seq(0))})
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	upd := msg(t, subj, events.CustomerUpdatedV1{Address: events.Some("x")}, eventstore.Seq(seq1))
	seq2, err := st.Append(ctx, []eventstore.Message{upd})
	if err != nil {
		t.Fatal(err)
	}
	// The ack of that append was "lost": the retry (same event id, stale expectation) must report
	// the original sequence, not a conflict and not a second event.
	again, err := st.Append(ctx, []eventstore.Message{upd})
	if err != nil || again != seq2 {
		t.Fatalf("retry: seq %d err %v, want %d", again, err, seq2)
	}
	got, err := st.Load(ctx, subj, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Seq != seq1 || got[1].Seq != seq2 || got[1].Envelope.Type != events.CustomerUpdated {
		t.Fatalf("loaded %+v", got)
	}
	tail, err := st.Load(ctx, subj, seq1)
	if err != nil || len(tail) != 1 || tail[0].Seq != seq2 {
		t.Fatalf("load after: %+v %v", tail, err)
	}
	if none, err := st.Load(ctx, events.CustomerSubject(uuid.NewString()), 0); err != nil || len(none) != 0 {
		t.Fatalf("empty subject: %v %v", none, err)
	}
	last, err := st.LastSeq(ctx, subj)
	if err != nil || last != seq2 {
		t.Fatalf("LastSeq = %d %v", last, err)
	}
}

func TestLoadPagesPastOneBatch(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	subj := events.CustomerSubject(uuid.NewString())
	seq, err := st.Append(ctx, []eventstore.Message{msg(t, subj, events.CustomerCreatedV1{Name: "A"}, eventstore.Seq(0))})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2100 {
		seq, err = st.Append(ctx, []eventstore.Message{msg(t, subj, events.CustomerUpdatedV1{Address: events.Some(string(rune('a' + i%26)))}, eventstore.Seq(seq))})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Load(ctx, subj, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2101 || got[2100].Seq != seq {
		t.Fatalf("loaded %d events, last %d, want 2101 ending at %d", len(got), got[len(got)-1].Seq, seq)
	}
}

func TestAtomicBatchAllOrNothing(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	c := events.CustomerSubject(uuid.NewString())
	r := events.ReservationSubject(events.KindCustomerName, "acme")
	batch := []eventstore.Message{
		msg(t, c, events.CustomerCreatedV1{Name: "Acme"}, eventstore.Seq(0)),
		msg(t, r, events.ReservationClaimedV1{Kind: events.KindCustomerName}, eventstore.Seq(0)),
	}
	last, err := st.Append(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	// Replaying the committed batch is recognized as already stored.
	if again, err := st.Append(ctx, batch); err != nil || again != last {
		t.Fatalf("replay: %d %v, want %d", again, err, last)
	}
	// A second claim of the same key fails as a whole: its customer is not stored.
	c2 := events.CustomerSubject(uuid.NewString())
	_, err = st.Append(ctx, []eventstore.Message{
		msg(t, c2, events.CustomerCreatedV1{Name: "Acme"}, eventstore.Seq(0)),
		msg(t, r, events.ReservationClaimedV1{Kind: events.KindCustomerName}, eventstore.Seq(0)),
	})
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("err = %v, want conflict", err)
	}
	if got, _ := st.Load(ctx, c2, 0); len(got) != 0 {
		t.Fatalf("half a batch was stored: %+v", got)
	}
	// An expectation on a subject the batch does not write (the ForSubject form).
	parent := events.CustomerSubject(uuid.NewString())
	pseq, err := st.Append(ctx, []eventstore.Message{msg(t, parent, events.CustomerCreatedV1{Name: "P"}, eventstore.Seq(0))})
	if err != nil {
		t.Fatal(err)
	}
	// A message guarded on another subject starts a new aggregate (its own subject is empty).
	attach := func(child string, expect uint64) error {
		m := msg(t, child, events.CustomerCreatedV1{Name: "C"}, eventstore.Seq(expect))
		m.ExpectSubject = parent
		_, err := st.Append(ctx, []eventstore.Message{m, msg(t, events.HierarchySubject("p"), events.HierarchyChildAttachedV1{ChildID: "x"}, nil)})
		return err
	}
	child := events.CustomerSubject(uuid.NewString())
	if err := attach(child, pseq); err != nil {
		t.Fatalf("attach with current parent: %v", err)
	}
	if err := attach(events.CustomerSubject(uuid.NewString()), pseq-1); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("attach with stale parent: %v", err)
	}
	// On a subject with events, such a guard would leave the subject's chain unguarded: refused.
	if err := attach(child, pseq); err == nil || errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("a message guarded on another subject, on a subject with events: %v", err)
	}
}

func TestConcurrentAppendsExactlyOneWins(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	subj := events.CustomerSubject(uuid.NewString())
	seq, err := st.Append(ctx, []eventstore.Message{msg(t, subj, events.CustomerCreatedV1{Name: "A"}, eventstore.Seq(0))})
	if err != nil {
		t.Fatal(err)
	}
	var ok, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Append(ctx, []eventstore.Message{msg(t, subj, events.CustomerUpdatedV1{Address: events.Some(string(rune('a' + i)))}, eventstore.Seq(seq))})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, eventstore.ErrConflict):
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || conflicts.Load() != 29 {
		t.Fatalf("ok=%d conflicts=%d, want 1 and 29", ok.Load(), conflicts.Load())
	}
}

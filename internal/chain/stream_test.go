package chain_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/chain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/projection/projectiontest"
	"github.com/toffstech/customer-management/internal/testenv"
)

func connect(t testing.TB) jetstream.JetStream {
	t.Helper()
	js, _ := testenv.JetStream(t)
	if _, err := eventstore.EnsureStream(context.Background(), js, 1); err != nil {
		t.Fatal(err)
	}
	return js
}

// all reads every event of stream.
func all(t *testing.T, js jetstream.JetStream, stream string) []chain.Event {
	t.Helper()
	var evs []chain.Event
	if err := chain.Walk(context.Background(), js, stream, 0, func(e chain.Event) error {
		evs = append(evs, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

// craft copies evs into a new stream of its own (subjects "craft.<name>." + the original subject),
// as a forger with write access to the store would, and returns its name.
func craft(t *testing.T, js jetstream.JetStream, name string, evs []chain.Event) string {
	t.Helper()
	ctx := context.Background()
	stream := "CRAFT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
	prefix := "craft." + strings.ReplaceAll(name, " ", "-") + "."
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{prefix + ">"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if _, err := js.Publish(ctx, prefix+e.Subject, e.Data); err != nil {
			t.Fatal(err)
		}
	}
	return stream
}

func TestRealLogVerifiesAndCraftedCopiesBreak(t *testing.T) {
	js := connect(t)
	ctx := context.Background()
	w := projectiontest.NewWriter(eventstore.New(js, nil))
	rng := rand.New(rand.NewPCG(5, 6))
	for range 150 {
		if _, err := w.Step(ctx, rng); err != nil {
			t.Fatal(err)
		}
		if _, err := w.DomainStep(ctx, rng); err != nil {
			t.Fatal(err)
		}
		if _, err := w.UserStep(ctx, rng); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := chain.VerifyStream(ctx, js, events.StreamName, 0)
	if err != nil || !rep.OK || rep.Events < 400 || rep.Aggregates < 50 {
		t.Fatalf("the real log: %+v, %v", rep, err)
	}
	evs := all(t, js, events.StreamName)
	if len(evs) != rep.Events {
		t.Fatalf("walked %d events, verified %d", len(evs), rep.Events)
	}
	// The digest up to a sequence is the digest of the log cut there.
	mid := uint64(len(evs) / 2)
	half, err := chain.VerifyStream(ctx, js, events.StreamName, mid)
	if err != nil || half.LastSeq != mid || half.Events != int(mid) || half.Digest == rep.Digest {
		t.Fatalf("up to %d: %+v, %v", mid, half, err)
	}

	// The copies a forger could make of the same log. Pick an event whose aggregate has a later
	// event, and that later event.
	next := map[int]int{}
	last := map[string]int{}
	for i := len(evs) - 1; i >= 0; i-- {
		if j, ok := last[evs[i].Subject]; ok {
			next[i] = j
		}
		last[evs[i].Subject] = i
	}
	victim := -1
	for i := len(evs) / 3; i < len(evs); i++ {
		if j, ok := next[i]; ok && j > i+1 {
			victim = i
			break
		}
	}
	if victim < 0 {
		t.Fatal("no event with a later event of its aggregate")
	}
	later := next[victim]
	copyOf := func() []chain.Event { return append([]chain.Event(nil), evs...) }
	cases := []struct {
		name    string
		forge   func() []chain.Event
		wantSeq uint64 // in the copy, which numbers its events from 1
	}{
		{"intact", copyOf, 0},
		{"changed", func() []chain.Event {
			c := copyOf()
			c[victim].Data = []byte(strings.Replace(string(c[victim].Data), `"time":"2026`, `"time":"2025`, 1))
			return c
		}, uint64(later + 1)},
		{"removed", func() []chain.Event {
			c := copyOf()
			return append(c[:victim:victim], c[victim+1:]...)
		}, uint64(later)},
		{"reordered", func() []chain.Event {
			c := copyOf()
			c[victim], c[later] = c[later], c[victim]
			return c
		}, uint64(victim + 1)},
		{"inserted", func() []chain.Event {
			c := copyOf()
			forged := c[victim]
			forged.Data = []byte(strings.Replace(string(forged.Data), `"id":"`, `"id":"f`, 1))
			return append(c[:victim+1:victim+1], append([]chain.Event{forged}, c[victim+1:]...)...)
		}, uint64(victim + 2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stream := craft(t, js, c.name, c.forge())
			rep, err := chain.VerifyStream(ctx, js, stream, 0)
			if err != nil {
				t.Fatal(err)
			}
			if c.wantSeq == 0 {
				if !rep.OK {
					t.Fatalf("an intact copy is reported broken: %+v", rep.FirstBreak)
				}
				return
			}
			if rep.OK || rep.FirstBreak.Seq != c.wantSeq {
				t.Fatalf("want the first break at sequence %d, got %+v", c.wantSeq, rep.FirstBreak)
			}
		})
	}
}

// TestCleanLogOf100000EventsVerifies appends 100 000 events through the event store (a thousand
// customers, a hundred events each, fifty to a batch) and verifies the log.
func TestCleanLogOf100000EventsVerifies(t *testing.T) {
	js := connect(t)
	ctx := context.Background()
	store := eventstore.New(js, nil)
	const aggregates, perAggregate, batch = 1000, 100, 50
	start := time.Now()
	for a := range aggregates {
		subj := events.CustomerSubject(fmt.Sprintf("0193a1b2-0000-7000-8000-%012d", a))
		for b := 0; b < perAggregate; b += batch {
			msgs := make([]eventstore.Message, batch)
			for i := range msgs {
				v := uint64(b + i + 1)
				data, sv, err := events.MarshalData(events.CustomerUpdatedV1{Address: events.Some(fmt.Sprintf("street %d", v))})
				if err != nil {
					t.Fatal(err)
				}
				msgs[i] = eventstore.Message{Subject: subj, Envelope: events.Envelope{
					ID: fmt.Sprintf("0193a1b2-%04x-7000-8000-%012d", v, a), Type: events.CustomerUpdated, Time: time.Now().UTC(),
					AggregateType: events.AggregateCustomer, AggregateVersion: v, SchemaVersion: sv, ActorType: events.ActorSystem, Data: data,
				}}
			}
			msgs[0].Expect = eventstore.Seq(0)
			if b > 0 {
				last, err := store.LastSeq(ctx, subj)
				if err != nil {
					t.Fatal(err)
				}
				msgs[0].Expect = eventstore.Seq(last)
			}
			if _, err := store.Append(ctx, msgs); err != nil {
				t.Fatal(err)
			}
		}
	}
	appended := time.Since(start)
	start = time.Now()
	rep, err := chain.VerifyStream(ctx, js, events.StreamName, 0)
	took := time.Since(start)
	if err != nil || !rep.OK || rep.Events != aggregates*perAggregate || rep.Aggregates != aggregates {
		t.Fatalf("%+v, %v", rep, err)
	}
	t.Logf("appended %d events in %s; verified in %s (%.0f events/s)", rep.Events, appended.Round(time.Millisecond),
		took.Round(time.Millisecond), float64(rep.Events)/took.Seconds())
}

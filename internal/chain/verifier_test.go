package chain

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/events"
)

// logBuilder crafts a log in memory, chained as the event store chains it.
type logBuilder struct {
	t      *testing.T
	events []Event
	heads  map[string]Event
	vers   map[string]uint64
	n      int
}

func newLog(t *testing.T) *logBuilder {
	return &logBuilder{t: t, heads: map[string]Event{}, vers: map[string]uint64{}}
}

// envelope returns the n-th event of subject, chained to prev (no hash when prev is "").
func (b *logBuilder) envelope(subject string, version uint64, prev string) []byte {
	b.t.Helper()
	b.n++
	data, err := events.Encode(events.Envelope{
		ID: fmt.Sprintf("0193a1b2-0000-7000-8000-%012d", b.n), Source: "/test", Type: events.CustomerUpdated,
		Subject: subject, Time: time.Date(2026, 11, 27, 10, 0, b.n, 0, time.UTC), AggregateType: events.AggregateCustomer,
		AggregateID: subject, AggregateVersion: version, SchemaVersion: 1, ActorType: events.ActorSystem,
		PrevHash: prev, Data: []byte(fmt.Sprintf(`{"address":"street %d"}`, b.n)),
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return data
}

// add appends the next event of subject, correctly chained.
func (b *logBuilder) add(subject string) {
	prev := ""
	if h, ok := b.heads[subject]; ok {
		prev = events.Hash(h.Data)
	}
	b.vers[subject]++
	e := Event{Seq: uint64(len(b.events) + 1), Subject: subject, Data: b.envelope(subject, b.vers[subject], prev)}
	b.events = append(b.events, e)
	b.heads[subject] = e
}

// clean returns a log of n events spread over a few aggregates.
func clean(t *testing.T, n int) []Event {
	b := newLog(t)
	for i := range n {
		b.add(fmt.Sprintf("cm.customer.%d", i%5))
	}
	return b.events
}

// renumber gives events consecutive sequences, as a stream stores them.
func renumber(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		e.Seq = uint64(i + 1)
		out[i] = e
	}
	return out
}

func verify(evs []Event) Report {
	v := NewVerifier()
	for _, e := range evs {
		v.Add(e)
	}
	return v.Report()
}

func TestCleanLogVerifies(t *testing.T) {
	rep := verify(clean(t, 40))
	if !rep.OK || rep.Events != 40 || rep.Aggregates != 5 || rep.LastSeq != 40 || !strings.HasPrefix(rep.Digest, "sha256:") {
		t.Fatalf("report %+v", rep)
	}
	if again := verify(clean(t, 40)); again.Digest != rep.Digest {
		t.Fatalf("the digest of the same log differs: %s, %s", again.Digest, rep.Digest)
	}
}

func TestTamperingIsDetected(t *testing.T) {
	// Events 0..39; aggregate k holds events k, k+5, k+10, …: the next event of event i's
	// aggregate is i+5, at sequence i+6.
	cases := []struct {
		name    string
		tamper  func(evs []Event) []Event
		wantSeq uint64
		reason  string
	}{
		{"changed", func(evs []Event) []Event {
			evs[12].Data = []byte(strings.Replace(string(evs[12].Data), "street 13", "street 99", 1))
			return evs
		}, 18, "changed, removed, reordered or inserted"},
		{"changed actor", func(evs []Event) []Event {
			evs[12].Data = []byte(strings.Replace(string(evs[12].Data), `"actortype":"system"`, `"actortype":"user"`, 1))
			return evs
		}, 18, "changed, removed, reordered or inserted"},
		{"removed", func(evs []Event) []Event {
			return renumber(append(evs[:12:12], evs[13:]...))
		}, 17, "changed, removed, reordered or inserted"},
		{"reordered", func(evs []Event) []Event {
			evs[12], evs[17] = evs[17], evs[12] // two events of one aggregate
			return renumber(evs)
		}, 13, "changed, removed, reordered or inserted"},
		{"reordered across aggregates", func(evs []Event) []Event {
			evs[12], evs[13] = evs[13], evs[12] // order within each chain kept: still valid
			return renumber(evs)
		}, 0, ""},
		{"inserted, unchained", func(evs []Event) []Event {
			b := newLog(t)
			forged := Event{Subject: evs[12].Subject, Data: b.envelope(evs[12].Subject, 4, "")}
			return renumber(append(evs[:13:13], append([]Event{forged}, evs[13:]...)...))
		}, 14, "names no previous event"},
		{"inserted, chained to its predecessor", func(evs []Event) []Event {
			b := newLog(t)
			forged := Event{Subject: evs[12].Subject, Data: b.envelope(evs[12].Subject, 4, events.Hash(evs[12].Data))}
			return renumber(append(evs[:13:13], append([]Event{forged}, evs[13:]...)...))
		}, 19, "changed, removed, reordered or inserted"},
		{"first event removed", func(evs []Event) []Event {
			return renumber(evs[1:])
		}, 5, "events before it are missing"},
		{"moved to another aggregate", func(evs []Event) []Event {
			evs[12].Subject = evs[13].Subject
			return evs
		}, 13, "changed, removed, reordered or inserted"},
		{"not an event", func(evs []Event) []Event {
			evs[20].Data = []byte("garbage")
			return evs
		}, 21, "does not decode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := verify(c.tamper(clean(t, 40)))
			if c.wantSeq == 0 {
				if !rep.OK {
					t.Fatalf("a valid log is reported broken: %+v", rep.FirstBreak)
				}
				return
			}
			if rep.OK || rep.FirstBreak.Seq != c.wantSeq || !strings.Contains(rep.FirstBreak.Reason, c.reason) {
				t.Fatalf("want a break at %d (%q), got %+v", c.wantSeq, c.reason, rep.FirstBreak)
			}
		})
	}
}

// TestChangedLastEventChangesTheDigest covers what a chain cannot show: the last event of an
// aggregate changed, or the log cut short. The digest at a sequence an auditor kept differs.
func TestChangedLastEventChangesTheDigest(t *testing.T) {
	kept := verify(clean(t, 40))
	evs := clean(t, 40)
	evs[39].Data = []byte(strings.Replace(string(evs[39].Data), "street 40", "street 41", 1))
	rep := verify(evs)
	if !rep.OK {
		t.Fatalf("the chains alone cannot see this change, yet: %+v", rep.FirstBreak)
	}
	if rep.Digest == kept.Digest {
		t.Fatal("the digest did not change with the last event")
	}
	if short := verify(clean(t, 39)); short.Digest == kept.Digest || short.LastSeq != 39 {
		t.Fatal("a shorter log has the same digest")
	}
}

func TestVersionGapIsABreak(t *testing.T) {
	b := newLog(t)
	b.add("cm.customer.a")
	b.add("cm.customer.a")
	e := Event{Seq: 3, Subject: "cm.customer.a", Data: b.envelope("cm.customer.a", 4, events.Hash(b.events[1].Data))}
	rep := verify(append(b.events, e))
	if rep.OK || rep.FirstBreak.Seq != 3 || !strings.Contains(rep.FirstBreak.Reason, "version 4 follows version 2") {
		t.Fatalf("%+v", rep.FirstBreak)
	}
}

package projection

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/testenv"
)

// envelope encodes a complete envelope of any type and data, as a buggy or newer producer could.
func envelope(t *testing.T, typ string, data any) []byte {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := events.Encode(events.Envelope{
		ID: uuid.NewString(), Source: "/test", Type: typ, Time: time.Now().UTC(),
		AggregateType: events.AggregateCustomer, AggregateVersion: 1, SchemaVersion: 1, Data: raw,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type parkedRow struct {
	Seq       uint64
	Subject   string
	EventType string
	Error     string
	Data      []byte
}

func (h *harness) parked() []parkedRow {
	h.t.Helper()
	rows, err := h.pool.Query(h.ctx, `SELECT seq, subject, event_type, error, data FROM projection_parked WHERE projection = 'customers' ORDER BY seq`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []parkedRow
	for rows.Next() {
		var r parkedRow
		var seq int64
		if err := rows.Scan(&seq, &r.Subject, &r.EventType, &r.Error, &r.Data); err != nil {
			h.t.Fatal(err)
		}
		r.Seq = uint64(seq)
		out = append(out, r)
	}
	return out
}

func TestPoisonEventsAreParkedAndTheRestApplies(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx
	a, _ := must2(t)(h.w.Create(ctx, "Acme", "1 Main St", ""))

	// Written before the projector starts, so that they reach it in one transaction with the
	// valid events around them.
	garbage := h.publishRaw(events.CustomerSubject(uuid.NewString()), []byte("\x00not json{"))
	unknown := h.publishRaw(events.CustomerSubject(uuid.NewString()), envelope(t, "customer.renamed", map[string]string{"name": "x"}))
	orphan := h.publishRaw(events.CustomerSubject(uuid.NewString()), envelope(t, events.CustomerUpdated, map[string]string{"name": "Nobody"}))
	badParent := h.publishRaw(events.CustomerSubject(uuid.NewString()), envelope(t, events.CustomerCreated, map[string]string{"name": "X", "parent_id": "not-a-uuid"}))
	nulName := h.publishRaw(events.CustomerSubject(uuid.NewString()), envelope(t, events.CustomerCreated, map[string]string{"name": "bad\x00name"}))
	h.publishRaw("cm.unique.customer-name.deadbeef", []byte("bookkeeping garbage is not ours to judge"))
	b, _ := must2(t)(h.w.Create(ctx, "Beta", "2 Side St", a))
	check(t)(h.w.Rename(ctx, a, "Acme Ltd"))

	run := h.start()
	h.caughtUp()

	want := map[uint64]string{garbage: "", unknown: "customer.renamed", orphan: events.CustomerUpdated, badParent: events.CustomerCreated, nulName: events.CustomerCreated}
	got := h.parked()
	if len(got) != len(want) {
		t.Fatalf("parked %d events, want %d: %+v", len(got), len(want), got)
	}
	for _, p := range got {
		typ, ok := want[p.Seq]
		if !ok || p.EventType != typ || p.Error == "" || !strings.HasPrefix(p.Subject, "cm.customer.") {
			t.Errorf("parked %+v, want seq in %v with type %q", p, want, typ)
		}
	}
	if !slices.Equal(got[0].Data, []byte("\x00not json{")) {
		t.Errorf("parked data = %q", got[0].Data)
	}
	// The counter moves just after the commit that the checkpoint shows: poll it.
	testenv.WaitFor(t, 5*time.Second, func() bool { return testutil.ToFloat64(run.p.metrics.parked) == float64(len(want)) },
		"parked counter = %v, want %d", testutil.ToFloat64(run.p.metrics.parked), len(want))
	if r, ok := h.row(b); !ok || r.ParentName != "Acme Ltd" {
		t.Fatalf("b = %+v %v: the events after the poison ones did not apply", r, ok)
	}
	h.matchesLog([]string{a, b})

	// A poison event arriving while the projector runs is parked too, and what follows applies.
	late := h.publishRaw(events.CustomerSubject(a), []byte("{}"))
	c, _ := must2(t)(h.w.Create(ctx, "Gamma", "", b))
	h.caughtUp()
	testenv.WaitFor(t, 5*time.Second, func() bool { return testutil.ToFloat64(run.p.metrics.parked) == float64(len(want)+1) }, "late poison event counted")
	if got := h.parked(); got[len(got)-1].Seq != late {
		t.Errorf("last parked = %+v, want seq %d", got[len(got)-1], late)
	}
	if r, ok := h.row(c); !ok || !slices.Equal(r.Ancestors, []string{b, a}) {
		t.Fatalf("c = %+v %v", r, ok)
	}
}

// TestOneRoundTripBatchParksContradictions commits, in one call of the applier (its one-round-trip
// fast path first), events that decode but contradict the read model, with no Postgres error among
// them: the server must refuse them, for a check made by the client after the batch would come
// after the implicit transaction committed them, and they would be skipped instead of parked.
func TestOneRoundTripBatchParksContradictions(t *testing.T) {
	h := newHarness(t)
	a, _ := must2(t)(h.w.Create(h.ctx, "Acme", "", ""))
	nobody := uuid.NewString()
	want := map[uint64]string{
		h.publishRaw(events.CustomerSubject(nobody), envelope(t, events.CustomerUpdated, map[string]string{"name": "Nobody"})): events.CustomerUpdated,
		h.publishRaw(events.UserSubject(nobody), envelope(t, events.UserDisabled, map[string]string{})):                        events.UserDisabled,
		h.publishRaw(events.UserSubject(nobody), envelope(t, events.UserCreated, map[string]string{"customer_id": nobody})):    events.UserCreated,
		h.publishRaw(events.DomainSubject(nobody), envelope(t, events.DomainUpdated, map[string]string{"scheme": "HTTP"})):     events.DomainUpdated,
		h.publishRaw(events.DomainSubject(nobody), envelope(t, events.DomainMoved, map[string]string{"to_customer_id": a})):    events.DomainMoved,
		h.publishRaw(events.DomainSubject(nobody), envelope(t, events.DomainAdded, map[string]string{"customer_id": nobody})):  events.DomainAdded,
	}
	check(t)(h.w.Rename(h.ctx, a, "Acme Ltd"))

	ap := h.newApplier()
	if err := ap.commit(h.ctx, h.raw(1, h.lastSeq())); err != nil {
		t.Fatal(err)
	}
	got := h.parked()
	if len(got) != len(want) {
		t.Fatalf("parked %d events, want %d: %+v", len(got), len(want), got)
	}
	for _, p := range got {
		if typ, ok := want[p.Seq]; !ok || p.EventType != typ || !strings.Contains(p.Error, "does not hold") {
			t.Errorf("parked %+v, want a seq in %v with type %q", p, want, typ)
		}
	}
	if r, ok := h.row(a); !ok || r.Name != "Acme Ltd" || h.checkpoint() != h.lastSeq() {
		t.Fatalf("a = %+v %v, checkpoint %d: the valid events did not apply", r, ok, h.checkpoint())
	}
}

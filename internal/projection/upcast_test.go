package projection

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// TestExportFailedV1AndV2ProjectIdentically appends an export.failed in schema version 1 (as an
// earlier build wrote it) and its version 2 equivalent for two exports, and checks that both
// give the same rows: the upcaster's work is invisible to the read model.
func TestExportFailedV1AndV2ProjectIdentically(t *testing.T) {
	h := newHarness(t)
	h.start()
	ctx := h.ctx
	customer, _ := must2(t)(h.w.Create(ctx, "Upcast Ltd", "", ""))
	reason := "The export storage could not be reached; please try again later."
	v1, err := json.Marshal(events.ExportFailedV1{Reason: reason, Attempts: 5})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := json.Marshal(events.ExportFailedV2{Code: events.ExportFailureStorage, Reason: reason, Attempts: 5})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ids := []string{uuid.NewString(), uuid.NewString()}
	for i, failed := range []struct {
		data    []byte
		version int
	}{{v1, 1}, {v2, 2}} {
		req, _, err := events.MarshalData(events.ExportRequestedV1{CustomerID: customer, Format: "csv"})
		if err != nil {
			t.Fatal(err)
		}
		subj := events.ExportSubject(ids[i])
		env := func(typ string, version uint64, schema int, data []byte) eventstore.Message {
			return eventstore.Message{Subject: subj, Envelope: events.Envelope{
				ID: uuid.NewString(), Type: typ, Time: at, AggregateType: events.AggregateExport, AggregateID: ids[i],
				AggregateVersion: version, SchemaVersion: schema, ActorType: events.ActorSystem, Data: data,
			}}
		}
		if _, err := h.store.Append(ctx, []eventstore.Message{
			env(events.ExportRequested, 1, 1, req), env(events.ExportFailed, 2, failed.version, failed.data),
		}); err != nil {
			t.Fatal(err)
		}
	}
	h.caughtUp()
	type row struct {
		Status, Reason, Code, Action, ActionType string
		Attempts                                 int
		FinishedAt                               time.Time
	}
	read := func(id string) row {
		var r row
		if err := h.pool.QueryRow(ctx, `SELECT x.status, x.reason, x.reason_code, x.attempts, x.finished_at, a.action, a.action_type
			FROM exports_v1 x JOIN audit a ON a.resource_id = x.id AND a.type = 'export.failed' WHERE x.id = $1`, id).
			Scan(&r.Status, &r.Reason, &r.Code, &r.Attempts, &r.FinishedAt, &r.Action, &r.ActionType); err != nil {
			t.Fatal(err)
		}
		return r
	}
	old, cur := read(ids[0]), read(ids[1])
	if old != cur || old.Status != "failed" || old.Code != events.ExportFailureStorage || old.Attempts != 5 {
		t.Fatalf("v1 projected as %+v, v2 as %+v", old, cur)
	}
	if p := h.parked(); len(p) != 0 {
		t.Fatalf("parked %+v", p)
	}
}

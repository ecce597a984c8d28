package projection

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/personal"
)

// auditMatchesLog asserts that the audit view has exactly one row per event of a customer, a user,
// a domain or an export, carrying that event's identity, actor, version and data, and a customer
// and name wherever the event's resource was known. It returns the number of rows.
func (h *harness) auditMatchesLog() int {
	h.t.Helper()
	type row struct {
		eventID, typ, resourceType, resourceID, resourceName, customerID, actorType, action string
		version                                                                             int64
		change                                                                              string
	}
	got := map[uint64]row{}
	rows, err := h.pool.Query(h.ctx, `SELECT seq, event_id, type, resource_type, resource_id::text, resource_name,
		coalesce(customer_id::text, ''), actor_type, action, aggregate_version, change::text FROM audit`)
	if err != nil {
		h.t.Fatal(err)
	}
	for rows.Next() {
		var seq int64
		var r row
		if err := rows.Scan(&seq, &r.eventID, &r.typ, &r.resourceType, &r.resourceID, &r.resourceName, &r.customerID,
			&r.actorType, &r.action, &r.version, &r.change); err != nil {
			h.t.Fatal(err)
		}
		got[uint64(seq)] = r
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	want := 0
	for _, ev := range h.raw(1, h.lastSeq()) {
		kind, id := resourceOf(ev.Subject)
		if !(customers{}).reads(ev.Subject) {
			if _, ok := got[ev.Seq]; ok {
				h.t.Errorf("seq %d (%s) is not an audited event but has a row", ev.Seq, ev.Subject)
			}
			continue
		}
		want++
		env, err := events.Decode(ev.Data)
		if err != nil {
			h.t.Fatal(err)
		}
		r, ok := got[ev.Seq]
		if !ok {
			h.t.Errorf("no audit row for seq %d (%s %s)", ev.Seq, env.Type, ev.Subject)
			continue
		}
		opened := env.Data
		if events.HasPersonal(env.Type) {
			p, err := events.DecodeData(env)
			fields := 0
			if err == nil {
				_, _ = events.MapPersonal(p, func(_, v string) (string, error) { fields++; return v, nil })
				p, err = personal.Open(h.ctx, h.keys, id, p)
			}
			if err == nil {
				opened, _, err = events.MarshalData(p)
			}
			if err != nil {
				h.t.Fatal(err)
			}
			if fields > 0 && bytes.Equal(opened, env.Data) {
				h.t.Errorf("seq %d (%s) holds its personal fields in clear: %s", ev.Seq, env.Type, env.Data)
			}
		}
		var data, change any
		_ = json.Unmarshal(opened, &data)
		_ = json.Unmarshal([]byte(r.change), &change)
		dj, _ := json.Marshal(data)
		cj, _ := json.Marshal(change)
		if r.eventID != env.ID || r.typ != env.Type || r.resourceType != kind || r.resourceID != id || r.actorType != env.ActorType ||
			r.version != int64(env.AggregateVersion) || string(dj) != string(cj) || r.action == "" || strings.Contains(r.action, "%!") {
			h.t.Errorf("audit row of seq %d (%s): %+v", ev.Seq, env.Type, r)
		}
		if kind != resourceExport && r.resourceName == "" {
			h.t.Errorf("audit row of seq %d (%s) has no resource name: %+v", ev.Seq, env.Type, r)
		}
		if r.customerID == "" {
			h.t.Errorf("audit row of seq %d (%s) has no customer: %+v", ev.Seq, env.Type, r)
		}
	}
	if len(got) != want {
		h.t.Errorf("%d audit rows, want %d", len(got), want)
	}
	return want
}

func TestAuditFollowsRandomCommands(t *testing.T) {
	h := newHarness(t)
	h.start(func(c *Config) { c.MaxBatch = 7 })
	rng := rand.New(rand.NewPCG(51, 52))
	for range 80 {
		check(t)(h.w.Step(h.ctx, rng))
		check(t)(h.w.DomainStep(h.ctx, rng))
		check(t)(h.w.UserStep(h.ctx, rng))
	}
	h.caughtUp()
	if n := h.auditMatchesLog(); n < 200 {
		t.Fatalf("only %d audited events: the test exercises too little", n)
	}
	if p := h.parked(); len(p) != 0 {
		t.Fatalf("parked %+v", p)
	}
}

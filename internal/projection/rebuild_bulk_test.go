package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/projection/projectiontest"
)

// exactTables returns every row of the rebuilt relations' tables in schema as Postgres prints the
// row (json columns as stored, to the byte), sorted, by table.
func (h *harness) exactTables(schema string) map[string][]string {
	h.t.Helper()
	return h.tableRows(schema, "t::text")
}

// indexes lists the indexes of the rebuilt relations' tables in schema, as they are defined.
func (h *harness) indexes(schema string) string {
	h.t.Helper()
	var tables []string
	for _, r := range rebuildRelations {
		if r.kind == "TABLE" {
			tables = append(tables, r.name)
		}
	}
	var list string
	if err := h.pool.QueryRow(h.ctx, `SELECT string_agg(replace(indexdef, $1 || '.', ''), E'\n' ORDER BY indexname)
		FROM pg_indexes WHERE schemaname = $1 AND tablename = ANY($2)`, schema, tables).Scan(&list); err != nil {
		h.t.Fatal(err)
	}
	return list
}

// sameTables fails the test, showing the first differences, unless got and want hold the same rows.
func sameTables(t *testing.T, what string, want, got map[string][]string) {
	t.Helper()
	for _, r := range rebuildRelations {
		if r.kind != "TABLE" {
			continue
		}
		w, g := want[r.name], got[r.name]
		inW := map[string]bool{}
		for _, s := range w {
			inW[s] = true
		}
		inG := map[string]bool{}
		for _, s := range g {
			inG[s] = true
		}
		var diffs []string
		for _, s := range w {
			if !inG[s] {
				diffs = append(diffs, "  missing    "+s)
			}
		}
		for _, s := range g {
			if !inW[s] {
				diffs = append(diffs, "  unexpected "+s)
			}
		}
		if len(diffs) > 0 || len(w) != len(g) {
			if len(diffs) > 12 {
				diffs = append(diffs[:12], "  …")
			}
			t.Errorf("%s: %s has %d rows, want %d:\n%s", what, r.name, len(g), len(w), strings.Join(diffs, "\n"))
		}
	}
}

// exporter appends export events as the exporter and the API do: requests of exports of live
// customers, and their lifecycles (the first export of three fails with a version 1
// export.failed, which the codec upcasts, the second with a version 2 one, the third succeeds, is
// downloaded twice and expires). A few events carry no aggregate version: the reducer then counts.
type exporter struct {
	h         *harness
	versions  map[string]uint64
	requested int
	open      []string
	kind      map[string]int
	stage     map[string]int
}

func newExporter(h *harness) *exporter {
	return &exporter{h: h, versions: map[string]uint64{}, kind: map[string]int{}, stage: map[string]int{}}
}

// append stores one export event; data is a payload, or raw JSON of schema version v.
func (x *exporter) append(rng *rand.Rand, id, actor string, p events.Payload, raw []byte, v int) {
	x.h.t.Helper()
	data, version := raw, v
	if p != nil {
		var err error
		if data, version, err = events.MarshalData(p); err != nil {
			x.h.t.Fatal(err)
		}
	}
	subject := events.ExportSubject(id)
	x.versions[subject]++
	aggVersion := x.versions[subject]
	if rng.IntN(5) == 0 {
		aggVersion = 0
	}
	actorType := events.ActorSystem
	if actor != "" {
		actorType = events.ActorUser
	}
	typ := events.ExportFailed
	if p != nil {
		typ = p.EventType()
	}
	if _, err := x.h.store.Append(x.h.ctx, []eventstore.Message{{Subject: subject, Envelope: events.Envelope{
		ID: uuid.Must(uuid.NewV7()).String(), Source: "/test", Type: typ, Subject: "exports/" + id, Time: time.Now().UTC(),
		AggregateType: events.AggregateExport, AggregateID: id, AggregateVersion: aggVersion, SchemaVersion: version,
		ActorType: actorType, ActorID: actor, RequestID: fmt.Sprintf("req-%d", rng.IntN(1000)), Data: data,
	}}}); err != nil {
		x.h.t.Fatal(err)
	}
}

// step requests an export of a live customer, or moves the oldest open one on.
func (x *exporter) step(rng *rand.Rand, actor string) {
	x.h.t.Helper()
	if live := x.h.w.Live(); len(live) > 0 && (len(x.open) == 0 || rng.IntN(4) == 0) {
		id := uuid.Must(uuid.NewV7()).String()
		x.append(rng, id, actor, events.ExportRequestedV1{CustomerID: live[rng.IntN(len(live))], Format: "csv", AfterSeq: 1}, nil, 0)
		x.open, x.kind[id] = append(x.open, id), x.requested%3
		x.requested++
		return
	}
	if len(x.open) == 0 {
		return
	}
	id := x.open[0]
	x.stage[id]++
	done := false
	switch s := x.stage[id]; {
	case s <= 2:
		x.append(rng, id, "", events.ExportStartedV1{Attempt: s}, nil, 0)
	case x.kind[id] == 0:
		x.append(rng, id, "", nil, []byte(`{"reason":"The export storage could not be reached: \"boom\" 100%","attempts":3}`), 1)
		done = true
	case x.kind[id] == 1:
		x.append(rng, id, "", events.ExportFailedV2{Code: events.ExportFailureOther, Reason: "disk %1$s full, café", Attempts: 2}, nil, 0)
		done = true
	case s == 3:
		x.append(rng, id, "", events.ExportSucceededV1{ObjectKey: "exports/" + id, Filename: "domains.csv", Rows: rng.IntN(100),
			Bytes: int64(rng.IntN(1 << 20)), SHA256: "abc", ExpiresAt: time.Now().Add(time.Hour).Format(time.RFC3339)}, nil, 0)
	case s < 6:
		x.append(rng, id, actor, events.ExportDownloadedV1{}, nil, 0)
	default:
		x.append(rng, id, "", events.ExportExpiredV1{}, nil, 0)
		done = true
	}
	if done {
		x.open = x.open[1:]
	}
}

// randomLog appends a random valid log: customers created, renamed, moved and deleted; users and
// domains of every kind of event; exports; actions of users; and the erasure of a customer whose
// users acted and were renamed before it was deleted.
func (h *harness) randomLog(seed uint64, steps int) {
	h.t.Helper()
	t, ctx, w := h.t.(*testing.T), h.ctx, h.w
	rng := rand.New(rand.NewPCG(seed, seed+1))
	x := newExporter(h)

	// The erased customer, with users whose data the read model copies, an action of one of them
	// on another customer, and a domain; erased before the random steps, which never touch it.
	gone, owner, _ := check3(t)(w.CreateWithOwner(ctx, fmt.Sprintf("Gone %d", seed), "1 Gone St", "", "Gwen Gone", fmt.Sprintf("gwen.%d@example.com", seed)))
	kept, keeper, _ := check3(t)(w.CreateWithOwner(ctx, fmt.Sprintf("Kept %d", seed), "", "", "Ken Kept", fmt.Sprintf("ken.%d@example.com", seed)))
	u, _ := must2(t)(w.CreateUser(ctx, gone, "Business User", "Ursula", fmt.Sprintf("ursula.%d@example.com", seed), "rosebud"))
	check(t)(w.UpdateUser(ctx, u, events.UserUpdatedV1{Email: events.Some(fmt.Sprintf("ursula.new.%d@example.com", seed)), Remark: events.Null[string]()}))
	check(t)(w.SetUserDisabled(ctx, u, true))
	must2(t)(w.AddDomain(ctx, gone, w.RandomDomainSettings(rng)))
	w.ActorID = owner
	check(t)(w.Rename(ctx, kept, fmt.Sprintf("Kept %d renamed by Gwen", seed)))
	x.step(rng, owner)
	w.ActorID = u
	check(t)(w.SetAddress(ctx, kept, "Ursula was here"))
	w.ActorID = ""
	check(t)(w.Delete(ctx, gone))
	if err := h.keys.Destroy(ctx, gone); err != nil {
		t.Fatal(err)
	}
	check(t)(w.Erase(ctx, gone))

	for i := range steps {
		// Most commands by users (the owner of the kept customer, or any live user), some by the
		// system.
		switch users := w.LiveUsers(); {
		case rng.IntN(4) == 0 || len(users) == 0:
			w.ActorID = ""
		case rng.IntN(3) == 0:
			w.ActorID = keeper
		default:
			w.ActorID = users[rng.IntN(len(users))]
		}
		check(t)(w.Step(ctx, rng))
		check(t)(w.DomainStep(ctx, rng))
		check(t)(w.UserStep(ctx, rng))
		if i%3 == 0 {
			x.step(rng, w.ActorID)
		}
	}
	w.ActorID = ""
}

// TestBulkRebuildEqualsTheReducer: on random logs, the bulk replay leaves every table exactly as
// the live projector's reducer left it, row by row and byte by byte.
func TestBulkRebuildEqualsTheReducer(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			h := newHarness(t)
			h.start()
			h.randomLog(seed, 70)
			h.caughtUp()
			if p := h.parked(); len(p) != 0 {
				t.Fatalf("the random log has poison events: %+v", p)
			}
			live := h.exactTables("public")
			for _, r := range rebuildRelations {
				if r.kind == "TABLE" && len(live[r.name]) == 0 {
					t.Fatalf("%s is empty: the log tests nothing there", r.name)
				}
			}
			// Every kind of event the reducer applies is in the log.
			var types []string
			if err := h.pool.QueryRow(h.ctx, `SELECT array_agg(DISTINCT type ORDER BY type) FROM audit`).Scan(&types); err != nil {
				t.Fatal(err)
			}
			if len(types) != 21 {
				t.Fatalf("the log has %d of the 21 event types: %v", len(types), types)
			}

			rep, err := Rebuild(h.ctx, RebuildConfig{Pool: h.pool, Store: h.store, Keys: h.keys, KeepRetired: true, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Bulk {
				t.Fatal("the rebuild did not use the bulk replay")
			}
			sameTables(t, "bulk rebuild against the live tables", live, h.exactTables("public"))
			sameTables(t, "the retired tables", live, h.exactTables(rep.Retired))
			if got, want := h.indexes("public"), h.indexes(rep.Retired); got != want || !strings.Contains(got, "audit_v1_text_trgm") {
				t.Fatalf("indexes of the rebuilt tables:\n%s\nof the replaced ones:\n%s", got, want)
			}
			h.caughtUp()

			h.liveGoesOn(rand.New(rand.NewPCG(seed, 99)), 10)
		})
	}
}

// TestBulkRebuildEqualsTheSQLReplayAfterAnErasure: users moved in and out of an erased customer,
// one of them moved as the command layer moves a user (restating its personal fields, sealed with
// the new customer's key). After such an erasure a rebuild differs from the live tables, which
// held the fields in clear before they were scrubbed; the bulk replay must still equal the
// replay event by event.
func TestBulkRebuildEqualsTheSQLReplayAfterAnErasure(t *testing.T) {
	h := newHarness(t)
	ctx, w := h.ctx, h.w
	gone, owner, _ := check3(t)(w.CreateWithOwner(ctx, "Gone Corp", "", "", "Gwen Gone", "gwen@example.com"))
	kept, keeper, _ := check3(t)(w.CreateWithOwner(ctx, "Kept Corp", "", "", "Ken Kept", "ken@example.com"))
	leaver, _ := must2(t)(w.CreateUser(ctx, gone, "Business User", "Lea Leaver", "lea@example.com", "leaving"))
	mover, _ := must2(t)(w.CreateUser(ctx, gone, "Business User", "Mo Mover", "mo@example.com", "moving"))
	comer, _ := must2(t)(w.CreateUser(ctx, kept, "Business User", "Cam Comer", "cam@example.com", ""))
	w.ActorID = leaver
	check(t)(w.SetAddress(ctx, kept, "Lea's address"))
	w.ActorID = ""
	check(t)(w.UpdateUser(ctx, leaver, events.UserUpdatedV1{CustomerID: events.Some(kept)}))
	check(t)(w.UpdateUser(ctx, mover, events.UserUpdatedV1{CustomerID: events.Some(kept),
		Personal: &events.UserPersonalV1{Name: "Mo Mover", Email: "mo@example.com", Remark: "moving"}}))
	check(t)(w.UpdateUser(ctx, comer, events.UserUpdatedV1{CustomerID: events.Some(gone), Name: events.Some("Cam Came")}))
	w.ActorID = owner
	check(t)(w.Rename(ctx, kept, "Kept Corp Ltd"))
	w.ActorID = comer // whose email, sealed with the kept customer's key, outlives the erasure in the log
	check(t)(w.SetAddress(ctx, kept, "Cam's address"))
	w.ActorID = keeper
	check(t)(w.Delete(ctx, gone))
	if err := h.keys.Destroy(ctx, gone); err != nil {
		t.Fatal(err)
	}
	check(t)(w.Erase(ctx, gone))
	w.ActorID = leaver
	check(t)(w.UpdateUser(ctx, leaver, events.UserUpdatedV1{Email: events.Some("lea.new@example.com")}))
	w.ActorID = ""
	// An erasure of a customer that still has users, which the reducer scrubs too.
	still, _, _ := check3(t)(w.CreateWithOwner(ctx, "Still Corp", "", "", "Stan Still", "stan@example.com"))
	must2(t)(w.CreateUser(ctx, still, "Business User", "Sue Still", "sue@example.com", "remark of Sue"))
	if err := h.keys.Destroy(ctx, still); err != nil {
		t.Fatal(err)
	}
	check(t)(w.Erase(ctx, still))

	sql, err := Rebuild(ctx, RebuildConfig{Pool: h.pool, Store: h.store, Keys: h.keys, Logger: quietLogger(), eventByEvent: true})
	if err != nil || sql.Bulk {
		t.Fatalf("rebuild event by event: %+v %v", sql, err)
	}
	want := h.exactTables("public")
	if !strings.Contains(strings.Join(want["audit_v1"], "\n"), events.Erased) {
		t.Fatal("no audit row reads as erased: the test proves nothing")
	}
	bulk, err := Rebuild(ctx, RebuildConfig{Pool: h.pool, Store: h.store, Keys: h.keys, Logger: quietLogger()})
	if err != nil || !bulk.Bulk {
		t.Fatalf("bulk rebuild: %+v %v", bulk, err)
	}
	sameTables(t, "bulk rebuild against the rebuild event by event", want, h.exactTables("public"))
}

// TestBulkRebuildFallsBackOnPoisonEvents: a log with a poison event makes the bulk replay give up,
// whether the fold finds it or Postgres refuses what it copies, and the rebuild replays the log
// event by event: the tables equal the live ones, parked event included.
func TestBulkRebuildFallsBackOnPoisonEvents(t *testing.T) {
	for _, tc := range []struct {
		name   string
		poison func(t *testing.T) []byte
	}{
		{"update of a customer the read model does not hold", func(t *testing.T) []byte {
			return envelope(t, events.CustomerUpdated, map[string]string{"name": "Nobody"})
		}},
		{"unknown event type", func(t *testing.T) []byte {
			return envelope(t, "customer.renamed", map[string]string{"name": "x"})
		}},
		{"a name Postgres cannot store, refused by the copy of the audit rows", func(t *testing.T) []byte {
			return envelope(t, events.CustomerCreated, map[string]string{"name": "bad\x00name"})
		}},
		{"an address Postgres cannot store, refused by the copy of the customers", func(t *testing.T) []byte {
			return envelope(t, events.CustomerCreated, map[string]string{"name": "Good name", "address": "bad\x00address"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.start()
			rng := rand.New(rand.NewPCG(7, 8))
			for range 15 {
				check(t)(h.w.Step(h.ctx, rng))
				check(t)(h.w.DomainStep(h.ctx, rng))
				check(t)(h.w.UserStep(h.ctx, rng))
			}
			poison := h.publishRaw(events.CustomerSubject(uuid.NewString()), tc.poison(t))
			for range 15 {
				check(t)(h.w.Step(h.ctx, rng))
				check(t)(h.w.DomainStep(h.ctx, rng))
			}
			h.caughtUp()
			if p := h.parked(); len(p) != 1 || p[0].Seq != poison {
				t.Fatalf("parked %+v, want the event at %d", p, poison)
			}
			live := h.exactTables("public")

			rep, err := Rebuild(h.ctx, RebuildConfig{Pool: h.pool, Store: h.store, Keys: h.keys, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Bulk {
				t.Fatal("the bulk replay did not give up on the poison event")
			}
			sameTables(t, "rebuild after the bulk replay gave up", live, h.exactTables("public"))
		})
	}
}

// TestJSONBRenderingsMatchPostgres: what the bulk replay computes in Go for the reducer's SQL is
// what Postgres computes: jsonb's text of a value, the merge of two objects, personal_scrub and
// format(); and what Go refuses, Postgres refuses too, or Go does not claim to handle.
func TestJSONBRenderingsMatchPostgres(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx
	texts := []string{
		`{}`, `[]`, `"x"`, `12`, `-0`, `-0.00`, `1.50`, `0.5`, `-12.0100`, `12345678901234567890.5`, `true`, `null`,
		`{"b":1,"a":2,"aa":3,"B":4,"":5}`, `{"a":1,"a":{"x":2},"b":[1,{"c":null,"c":true}]}`,
		` { "k" : [ 1 , 2 ] , "s" : "\u0001\u001f\u007f\b\f\n\r\t\"\\\/ é 😀 \ud83d\ude00 \u00e9 <>&\u2028" } `,
		`{"name":"Ursula","email":"u@example.com","remark":"","personal":{"name":"U","email":"e","x":1},"role":"r"}`,
		`{"personal":"not an object","name":null,"email":{"deep":1}}`, `{"personal":{}}`,
		`{"name":"","email":null,"remark":" ","personal":{"remark":"","email":null,"name":"N"}}`, `[{"name":"x"}]`, `"[erased]"`,
		`{"café":"naïve","ü":1,"z":2}`, `[[[[]]],{}]`,
	}
	refused := []string{`{"a":"\u0000"}`, `"\ud800"`, `"\udc00x"`, `1e5`, `1.5E-2`, `"a` + "\n" + `b"`, `{"a":1,}`, `[01]`, `"\x"`, `nul`, `1 2`}
	for _, s := range texts {
		var want string
		if err := h.pool.QueryRow(ctx, `SELECT $1::text::jsonb::text`, s).Scan(&want); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		got, err := jsonbText([]byte(s))
		if err != nil || got != want {
			t.Errorf("jsonbText(%s) = %s, %v; Postgres says %s", s, got, err, want)
		}
		if err := h.pool.QueryRow(ctx, `SELECT personal_scrub($1::text::jsonb, $2, $3)::json::text`, s, personalKeys, events.Erased).Scan(&want); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got, err := personalScrubText(s, personalKeys, events.Erased); err != nil || got != want {
			t.Errorf("personalScrubText(%s) = %s, %v; Postgres says %s", s, got, err, want)
		}
	}
	for _, s := range refused {
		if _, err := jsonbText([]byte(s)); err == nil {
			t.Errorf("jsonbText(%q) did not refuse", s)
		}
		var out string
		if err := h.pool.QueryRow(ctx, `SELECT $1::text::jsonb::text`, s).Scan(&out); err == nil && !strings.ContainsAny(s, "eE") {
			t.Errorf("jsonbText refuses %q, which Postgres reads as %s", s, out)
		}
	}

	// Merges of random settings with random patches, as domain.updated merges them.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		s := h.w.RandomDomainSettings(rng)
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		base, err := jsonbText(raw)
		if err != nil {
			t.Fatal(err)
		}
		o := h.w.RandomDomainSettings(rng)
		upd := events.DomainUpdatedV1{Host: events.Some(o.Host), Cache: events.Null[events.CacheSettings]()}
		if rng.IntN(2) == 0 {
			upd.Origins, upd.WAF, upd.TLSProtocols = events.Some(o.Origins), events.Some(o.WAF), events.Null[[]string]()
		}
		patch, err := settingsPatch(upd)
		if err != nil {
			t.Fatal(err)
		}
		var want, wantBase string
		if err := h.pool.QueryRow(ctx, `SELECT $1::text::jsonb::json::text, ($1::text::jsonb || $2::text::jsonb)::json::text`, string(raw), string(patch)).
			Scan(&wantBase, &want); err != nil {
			t.Fatal(err)
		}
		got, err := jsonbMerge(base, patch)
		if base != wantBase || err != nil || got != want {
			t.Fatalf("settings %s\nGo   %s\nPG   %s\nmerged with %s\nGo   %s (%v)\nPG   %s", raw, base, wantBase, patch, got, err, want)
		}
	}

	for _, tc := range []struct{ template, name, customer, extra string }{
		{`Added domain %1$s to "%2$s"`, "www.example.com", `Ac"me 100%`, ""},
		{`The domain export of "%2$s" failed: %3$s`, "", "Acme", "disk %1$s full"},
		{`%% and %3$s%2$s%1$s%1$s`, "a", "b", "c"},
	} {
		var want string
		if err := h.pool.QueryRow(ctx, `SELECT format($1, $2::text, $3::text, $4::text)`, tc.template, tc.name, tc.customer, tc.extra).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got, err := pgFormat(tc.template, tc.name, tc.customer, tc.extra); err != nil || got != want {
			t.Errorf("pgFormat(%q) = %q, %v; Postgres says %q", tc.template, got, err, want)
		}
	}
	for _, template := range []string{`%s`, `%1$I`, `%`, `%4$s`, `%-10s`} {
		if _, err := pgFormat(template, "a", "b", "c"); err == nil {
			t.Errorf("pgFormat(%q) did not refuse", template)
		}
	}
}

// TestJSONBOfMatchesMarshal: jsonbOf writes what json.Marshal and jsonbText write together, for
// random settings, settings at the edges of encoding/json's rules, and types it leaves to them.
func TestJSONBOfMatchesMarshal(t *testing.T) {
	indirect := func(v any) (string, error) {
		raw, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		return jsonbText(raw)
	}
	w := projectiontest.NewWriter(nil)
	rng := rand.New(rand.NewPCG(9, 10))
	var values []any
	for range 300 {
		values = append(values, w.RandomDomainSettings(rng))
	}
	odd := w.RandomDomainSettings(rng)
	odd.Host, odd.Scheme, odd.SSL.ExpiresAt, odd.WAF.RuleAction = "", "a\"b\\c\n\t\x01<>&\u2028é😀\x7f", "", ""
	odd.HTTPPorts, odd.HTTPSPorts, odd.Origins, odd.TLSProtocols = nil, []int{}, []events.Origin{}, nil
	odd.WAF.OWASP, odd.Cache.Extensions = nil, []string{""}
	values = append(values, odd, events.DomainSettings{}, events.DomainAddedV1{CustomerID: "x", Settings: odd},
		map[string]int{"b": 1, "aa": 2, "a": -3}, map[string][]string{}, []bool{true, false}, []byte("bytes"),
		struct {
			F float64 `json:"f"`
		}{1.5},
		struct {
			A int `json:"a,omitzero"`
			B int `json:"b,string"`
		}{0, 2},
		struct {
			events.Origin
			X string `json:"-"`
			y int
			Z string `json:",omitempty"`
			W string `json:"w!"`
		}{events.Origin{Port: 1}, "x", 1, "", "w"})
	for _, v := range values {
		want, werr := indirect(v)
		got, err := jsonbOf(v)
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("jsonbOf(%+v) = %s, %v; through json.Marshal: %s, %v", v, got, err, want, werr)
		}
	}
	for _, v := range []any{events.DomainSettings{Host: "bad\x00host"}, events.DomainSettings{Host: "bad\xffutf8"}} {
		want, werr := indirect(v)
		got, err := jsonbOf(v)
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("jsonbOf(%q) = %s, %v; through json.Marshal: %s, %v", v.(events.DomainSettings).Host, got, err, want, werr)
		}
	}
	if jsonbEncoderOf(reflect.TypeFor[events.DomainSettings]()) == nil {
		t.Fatal("DomainSettings has no direct encoder: domain.added goes the slow way")
	}
}

// TestBulkReplayKnowsEveryColumn: the bulk replay writes every column of its tables, and gives up
// on a table with a column it does not know, which a new migration would add.
func TestBulkReplayKnowsEveryColumn(t *testing.T) {
	h := newHarness(t)
	tx, err := h.pool.Begin(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(h.ctx)) //nolint:errcheck // the test's changes go
	if err := checkBulkColumns(h.ctx, tx, "public"); err != nil {
		t.Fatalf("the migrated tables: %v", err)
	}
	if _, err := tx.Exec(h.ctx, `ALTER TABLE domains_v1 ADD COLUMN region text NOT NULL DEFAULT 'eu'`); err != nil {
		t.Fatal(err)
	}
	if err := checkBulkColumns(h.ctx, tx, "public"); !errors.Is(err, errBulkGaveUp) || !strings.Contains(err.Error(), "region") {
		t.Fatalf("with a new column: %v", err)
	}
}

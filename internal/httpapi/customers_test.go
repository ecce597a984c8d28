package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/toffstech/customer-management/internal/idempotency"
)

func TestCustomerLifecycle(t *testing.T) {
	s := newStack(t, stackOptions{})
	parent := s.create(t, map[string]any{"name": "Reseller", "address": "1 Main St"})
	pid := parent.json(t)["id"].(string)
	if parent.Header.Get("Location") != "/v1/customers/"+pid || parent.Header.Get("ETag") != `"1"` || parent.Header.Get("X-Consistency-Token") == "" {
		t.Fatalf("create headers: %v", parent.Header)
	}
	child := s.create(t, map[string]any{"name": "  Acme Ltd ", "address": "2 Side St", "parent_id": pid})
	cj := child.json(t)
	cid := cj["id"].(string)
	if cj["name"] != "Acme Ltd" || cj["parent_id"] != pid || cj["parent_name"] != "Reseller" || cj["version"] != float64(1) {
		t.Fatalf("created child: %v", cj)
	}
	if v, err := uuid.Parse(cid); err != nil || v.Version() != 7 {
		t.Errorf("id %s is not a UUIDv7", cid)
	}

	got := s.do(t, "GET", "/v1/customers/"+cid, nil)
	if got.StatusCode != 200 || got.Header.Get("ETag") != `"1"` || got.json(t)["address"] != "2 Side St" {
		t.Fatalf("get: %d %v %s", got.StatusCode, got.Header, got.body)
	}
	if nm := s.do(t, "GET", "/v1/customers/"+cid, nil, "If-None-Match", `"1"`); nm.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match current: %d", nm.StatusCode)
	}

	before := s.eventCount(t)
	upd := s.do(t, "PATCH", "/v1/customers/"+cid, `{"address":"3 New St"}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`)
	if upd.StatusCode != 200 || upd.Header.Get("ETag") != `"2"` || upd.json(t)["address"] != "3 New St" || upd.json(t)["name"] != "Acme Ltd" {
		t.Fatalf("patch: %d %v %s", upd.StatusCode, upd.Header, upd.body)
	}
	if n := s.eventCount(t); n != before+1 {
		t.Errorf("an address change appended %d events, want 1", n-before)
	}
	// Changing nothing appends nothing and still answers 200 with the current state.
	same := s.do(t, "PATCH", "/v1/customers/"+cid, map[string]any{"address": "3 New St", "name": "Acme Ltd"})
	if same.StatusCode != 200 || same.Header.Get("ETag") != `"2"` || s.eventCount(t) != before+1 {
		t.Fatalf("no-op patch: %d %v events %d", same.StatusCode, same.Header, s.eventCount(t)-before)
	}
	stale := s.do(t, "PATCH", "/v1/customers/"+cid, map[string]any{"address": "x"}, "If-Match", `"1"`)
	if stale.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d %s", stale.StatusCode, stale.body)
	}
	// Move to root with a merge-patch null.
	root := s.do(t, "PATCH", "/v1/customers/"+cid, `{"parent_id":null}`, "Content-Type", "application/merge-patch+json")
	if root.StatusCode != 200 || root.json(t)["parent_id"] != nil || root.json(t)["parent_name"] != nil {
		t.Fatalf("move to root: %d %s", root.StatusCode, root.body)
	}

	// Delete: with a stale If-Match refused, then done; afterwards 404 everywhere.
	if r := s.do(t, "DELETE", "/v1/customers/"+cid, nil, "If-Match", `"2"`); r.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("delete with stale If-Match: %d", r.StatusCode)
	}
	del := s.do(t, "DELETE", "/v1/customers/"+cid, nil, "If-Match", root.Header.Get("ETag"))
	if del.StatusCode != http.StatusNoContent || del.Header.Get("X-Consistency-Token") == "" {
		t.Fatalf("delete: %d %s", del.StatusCode, del.body)
	}
	for _, r := range []response{
		s.do(t, "GET", "/v1/customers/"+cid, nil),
		s.do(t, "PATCH", "/v1/customers/"+cid, map[string]any{"name": "x"}),
		s.do(t, "DELETE", "/v1/customers/"+cid, nil),
	} {
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("%s after delete: %d", r.Request.Method, r.StatusCode)
		}
	}
	list := s.do(t, "GET", "/v1/customers", nil, "X-Consistency-Token", del.Header.Get("X-Consistency-Token"))
	for _, it := range list.json(t)["items"].([]any) {
		if it.(map[string]any)["id"] == cid {
			t.Error("a deleted customer is still listed")
		}
	}
}

func TestDeleteRefusedNamesChildren(t *testing.T) {
	s := newStack(t, stackOptions{})
	pid := s.create(t, map[string]any{"name": "Parent"}).json(t)["id"].(string)
	s.create(t, map[string]any{"name": "Kid One", "parent_id": pid})
	before := s.eventCount(t)
	r := s.do(t, "DELETE", "/v1/customers/"+pid, nil)
	if r.StatusCode != http.StatusConflict || !strings.Contains(string(r.body), "Kid One") {
		t.Fatalf("delete with children: %d %s", r.StatusCode, r.body)
	}
	if s.eventCount(t) != before {
		t.Error("a refused delete appended events")
	}
}

func TestConcurrentPatchesWithOneIfMatch(t *testing.T) {
	s := newStack(t, stackOptions{})
	id := s.create(t, map[string]any{"name": "Acme"}).json(t)["id"].(string)
	before := s.eventCount(t)
	codes := make([]int, 50)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = s.do(t, "PATCH", "/v1/customers/"+id, map[string]any{"address": fmt.Sprintf("street %d", i)}, "If-Match", `"1"`).StatusCode
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[200] != 1 || count[412] != 49 {
		t.Fatalf("status counts %v, want one 200 and 49 412", count)
	}
	if n := s.eventCount(t); n != before+1 {
		t.Fatalf("%d events appended, want exactly 1", n-before)
	}
}

func TestConcurrentCreatesOfOneName(t *testing.T) {
	s := newStack(t, stackOptions{})
	pid := s.create(t, map[string]any{"name": "Parent"}).json(t)["id"].(string)
	codes := make([]int, 50)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = s.do(t, "POST", "/v1/customers", map[string]any{"name": "Same Name", "parent_id": pid}).StatusCode
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[201] != 1 || count[409] != 49 {
		t.Fatalf("status counts %v, want one 201 and 49 409", count)
	}
}

func TestIdempotencyKey(t *testing.T) {
	s := newStack(t, stackOptions{})
	body := map[string]any{"name": "Acme", "address": "1 Main St"}
	first := s.do(t, "POST", "/v1/customers", body, "Idempotency-Key", "key-1")
	if first.StatusCode != 201 {
		t.Fatalf("first: %d %s", first.StatusCode, first.body)
	}
	n := s.eventCount(t)
	again := s.do(t, "POST", "/v1/customers", body, "Idempotency-Key", "key-1")
	if again.StatusCode != 201 || string(again.body) != string(first.body) || again.Header.Get("Location") != first.Header.Get("Location") ||
		again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v %s", again.StatusCode, again.Header, again.body)
	}
	if s.eventCount(t) != n {
		t.Fatal("the replay appended events")
	}
	other := s.do(t, "POST", "/v1/customers", map[string]any{"name": "Other"}, "Idempotency-Key", "key-1")
	if other.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(other.json(t)["type"].(string), "idempotency") {
		t.Fatalf("same key, other body: %d %s", other.StatusCode, other.body)
	}
	// A request still in flight with the key: 409.
	me := s.do(t, "GET", "/v1/me", nil).json(t)["id"].(string)
	key := idempotency.Key("user:"+me, "key-2")
	fp := idempotency.Fingerprint("POST", "/v1/customers", []byte(`{"name":"Busy"}`))
	if out, _, _, err := s.idem.Begin(context.Background(), key, fp); err != nil || out != idempotency.Proceed {
		t.Fatal(out, err)
	}
	busy := s.do(t, "POST", "/v1/customers", `{"name":"Busy"}`, "Idempotency-Key", "key-2")
	if busy.StatusCode != http.StatusConflict {
		t.Fatalf("in flight: %d %s", busy.StatusCode, busy.body)
	}
	// PATCH and DELETE honour keys too; a replayed delete answers 204 again, not 404.
	id := first.json(t)["id"].(string)
	for range 2 {
		if r := s.do(t, "PATCH", "/v1/customers/"+id, map[string]any{"address": "2"}, "Idempotency-Key", "k-patch"); r.StatusCode != 200 {
			t.Fatalf("patch: %d", r.StatusCode)
		}
	}
	n = s.eventCount(t)
	for range 2 {
		if r := s.do(t, "DELETE", "/v1/customers/"+id, nil, "Idempotency-Key", "k-del"); r.StatusCode != 204 {
			t.Fatalf("delete: %d %s", r.StatusCode, r.body)
		}
	}
	// customer.deleted, its name released, its hierarchy closed, its owner's user.deleted and email
	// released, members.closed
	if got := s.eventCount(t) - n; got != 6 {
		t.Fatalf("two deletes with one key appended %d events, want the 6 of one delete", got)
	}
	// A failed request is remembered too (4xx), so a retry gets the same answer.
	bad := s.do(t, "POST", "/v1/customers", map[string]any{"name": ""}, "Idempotency-Key", "k-bad")
	bad2 := s.do(t, "POST", "/v1/customers", map[string]any{"name": ""}, "Idempotency-Key", "k-bad")
	if bad.StatusCode != 422 || bad2.StatusCode != 422 || bad2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("invalid with key: %d %d", bad.StatusCode, bad2.StatusCode)
	}
}

func TestReadYourWrites(t *testing.T) {
	s := newStack(t, stackOptions{})
	for i := range 40 {
		name := fmt.Sprintf("Customer %03d", i)
		r := s.create(t, map[string]any{"name": name})
		list := s.do(t, "GET", "/v1/customers?limit=1", nil, "X-Consistency-Token", r.Header.Get("X-Consistency-Token"))
		items := list.json(t)["items"].([]any)
		if list.StatusCode != 200 || len(items) != 1 || items[0].(map[string]any)["name"] != name {
			t.Fatalf("write %d not visible with its token: %d %s", i, list.StatusCode, list.body)
		}
	}
}

func TestConsistencyTimeout(t *testing.T) {
	s := newStack(t, stackOptions{consistencyWait: 200 * time.Millisecond, noProjector: true})
	r := s.create(t, map[string]any{"name": "Acme"})
	start := time.Now()
	list := s.do(t, "GET", "/v1/customers", nil, "X-Consistency-Token", r.Header.Get("X-Consistency-Token"))
	if list.StatusCode != http.StatusServiceUnavailable || list.Header.Get("Retry-After") == "" {
		t.Fatalf("not caught up: %d %s", list.StatusCode, list.body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waited %s, bound is 200ms", d)
	}
	// Single reads come from the log and need no waiting.
	if g := s.do(t, "GET", r.Header.Get("Location"), nil); g.StatusCode != 200 {
		t.Errorf("get own write: %d", g.StatusCode)
	}
}

func TestBadInputAppendsNothing(t *testing.T) {
	s := newStack(t, stackOptions{})
	id := s.create(t, map[string]any{"name": "Acme"}).json(t)["id"].(string)
	big := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		header             []string
		status             int
		field              string
	}{
		{"malformed json", "POST", "/v1/customers", `{"name":`, nil, 400, ""},
		{"not an object", "POST", "/v1/customers", `[1]`, nil, 400, ""},
		{"two objects", "POST", "/v1/customers", `{"name":"a"}{"name":"b"}`, nil, 400, ""},
		{"empty body", "POST", "/v1/customers", ``, nil, 400, ""},
		{"unknown field", "POST", "/v1/customers", `{"name":"a","plan":"Lite"}`, nil, 400, "plan"},
		{"wrong type", "POST", "/v1/customers", `{"name":5}`, nil, 400, "name"},
		{"wrong content type", "POST", "/v1/customers", `{"name":"a"}`, []string{"Content-Type", "text/plain"}, 415, ""},
		{"too large", "POST", "/v1/customers", big, nil, 413, ""},
		{"missing name", "POST", "/v1/customers", `{"address":"x"}`, nil, 422, "name"},
		{"blank name", "POST", "/v1/customers", `{"name":"   "}`, nil, 422, "name"},
		{"name too long", "POST", "/v1/customers", map[string]any{"name": strings.Repeat("n", 201)}, nil, 422, "name"},
		{"control char", "POST", "/v1/customers", map[string]any{"name": "a\u0000b"}, nil, 422, "name"},
		{"address too long", "POST", "/v1/customers", map[string]any{"name": "a", "address": strings.Repeat("x", 501)}, nil, 422, "address"},
		{"invalid parent uuid", "POST", "/v1/customers", map[string]any{"name": "a", "parent_id": "nope"}, nil, 422, "parent_id"},
		{"unknown parent", "POST", "/v1/customers", map[string]any{"name": "a", "parent_id": uuid.NewString()}, nil, 422, "parent_id"},
		{"itself as parent", "PATCH", "/v1/customers/" + id, map[string]any{"parent_id": id}, nil, 422, "parent_id"},
		{"null name", "PATCH", "/v1/customers/" + id, `{"name":null}`, nil, 422, "name"},
		{"patch unknown field", "PATCH", "/v1/customers/" + id, `{"id":"x"}`, nil, 400, "id"},
		{"invalid path uuid", "PATCH", "/v1/customers/12345", `{"name":"x"}`, nil, 400, "id"},
		{"invalid path uuid get", "GET", "/v1/customers/not-a-uuid", nil, nil, 400, "id"},
		{"invalid path uuid delete", "DELETE", "/v1/customers/not-a-uuid", nil, nil, 400, "id"},
		{"unknown customer", "PATCH", "/v1/customers/" + uuid.NewString(), `{"name":"x"}`, nil, 404, ""},
		{"limit zero", "GET", "/v1/customers?limit=0", nil, nil, 400, "limit"},
		{"limit too big", "GET", "/v1/customers?limit=101", nil, nil, 400, "limit"},
		{"limit not a number", "GET", "/v1/customers?limit=ten", nil, nil, 400, "limit"},
		{"q not utf-8", "GET", "/v1/customers?q=%ff", nil, nil, 400, "q"},
		{"q too long", "GET", "/v1/customers?q=" + strings.Repeat("q", 201), nil, nil, 400, "q"},
		{"bad sort", "GET", "/v1/customers?sort=address", nil, nil, 400, "sort"},
		{"bad parent filter", "GET", "/v1/customers?parent_id=x", nil, nil, 400, "parent_id"},
		{"bad cursor", "GET", "/v1/customers?cursor=garbage", nil, nil, 400, "cursor"},
		{"bad token", "GET", "/v1/customers", nil, []string{"X-Consistency-Token", "abc"}, 400, "X-Consistency-Token"},
		{"bad idempotency key", "POST", "/v1/customers", `{"name":"a"}`, []string{"Idempotency-Key", strings.Repeat("k", 300)}, 400, "Idempotency-Key"},
		{"unknown route", "GET", "/v1/nothing", nil, nil, 404, ""},
		{"method not allowed", "PUT", "/v1/customers", nil, nil, 405, ""},
	}
	before := s.eventCount(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, tc.method, tc.path, tc.body, tc.header...)
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.StatusCode, tc.status, r.body)
			}
			p := r.json(t)
			if p["type"] == "" || p["title"] == "" || p["status"] != float64(tc.status) {
				t.Errorf("not a problem detail: %s", r.body)
			}
			if tc.field == "" {
				return
			}
			errs, _ := p["errors"].([]any)
			for _, e := range errs {
				if e.(map[string]any)["field"] == tc.field {
					return
				}
			}
			t.Errorf("the problem does not name field %q: %s", tc.field, r.body)
		})
	}
	if n := s.eventCount(t); n != before {
		t.Fatalf("bad input appended %d events", n-before)
	}
}

func TestListSearchSortAndPages(t *testing.T) {
	s := newStack(t, stackOptions{})
	pid := s.create(t, map[string]any{"name": "Holding", "address": "Zürich"}).json(t)["id"].(string)
	var last response
	for i := range 7 {
		last = s.create(t, map[string]any{"name": fmt.Sprintf("Shop %d", i), "address": fmt.Sprintf("%d Market St", i), "parent_id": pid})
	}
	tok := last.Header.Get("X-Consistency-Token")
	page := s.do(t, "GET", "/v1/customers?q=MARKET&limit=3&sort=name", nil, "X-Consistency-Token", tok)
	j := page.json(t)
	items := j["items"].([]any)
	if len(items) != 3 || items[0].(map[string]any)["name"] != "Shop 0" || j["next_cursor"] == nil {
		t.Fatalf("first page: %s", page.body)
	}
	it := items[0].(map[string]any)
	for _, k := range []string{"id", "name", "address", "parent_id", "parent_name", "created_at", "updated_at", "version"} {
		if _, ok := it[k]; !ok {
			t.Errorf("item lacks %s", k)
		}
	}
	if it["parent_name"] != "Holding" {
		t.Errorf("parent_name = %v", it["parent_name"])
	}
	seen := 0
	cursor := ""
	for {
		p := s.do(t, "GET", "/v1/customers?q=market&limit=3&sort=name&cursor="+cursor, nil).json(t)
		seen += len(p["items"].([]any))
		if p["next_cursor"] == nil {
			break
		}
		cursor = p["next_cursor"].(string)
	}
	if seen != 7 {
		t.Errorf("paging saw %d customers, want 7", seen)
	}
	if r := s.do(t, "GET", "/v1/customers?q=zürich", nil).json(t)["items"].([]any); len(r) != 1 {
		t.Errorf("search by address: %d items", len(r))
	}
	if r := s.do(t, "GET", "/v1/customers?parent_id="+pid+"&limit=100", nil).json(t)["items"].([]any); len(r) != 7 {
		t.Errorf("children filter: %d items", len(r))
	}
	newest := s.do(t, "GET", "/v1/customers?limit=1", nil).json(t)["items"].([]any)[0].(map[string]any)
	if newest["name"] != "Shop 6" {
		t.Errorf("default sort is not newest first: %v", newest["name"])
	}
}

func TestOperationalEndpoints(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.create(t, map[string]any{"name": "Acme"})
	if r := s.do(t, "GET", "/healthz", nil); r.StatusCode != 200 {
		t.Errorf("healthz %d", r.StatusCode)
	}
	r := s.do(t, "GET", "/readyz", nil)
	if r.StatusCode != 200 || !strings.Contains(string(r.body), `"postgres":"ok"`) || !strings.Contains(string(r.body), `"nats":"ok"`) {
		t.Errorf("readyz %d %s", r.StatusCode, r.body)
	}
	m := s.do(t, "GET", "/metrics", nil)
	for _, want := range []string{"cm_http_request_duration_seconds_bucket", "cm_append_conflicts_total", "cm_projection_lag_events"} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^cm_events_appended_total [1-9]`).Match(m.body) {
		t.Errorf("events appended not counted")
	}
	if r := s.do(t, "GET", "/openapi.yaml", nil); r.StatusCode != 200 || !strings.HasPrefix(string(r.body), "openapi: 3.1") {
		t.Errorf("openapi %d", r.StatusCode)
	}
	if rid := s.do(t, "GET", "/healthz", nil, "X-Request-ID", "abc-123").Header.Get("X-Request-ID"); rid != "abc-123" {
		t.Errorf("request id not echoed: %q", rid)
	}
}

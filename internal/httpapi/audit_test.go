package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// items returns a page's items.
func items(t *testing.T, r response) []map[string]any {
	t.Helper()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", r.StatusCode, r.body)
	}
	var out []map[string]any
	for _, it := range r.json(t)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestHistoryAuditLogAndVerifyOverHTTP(t *testing.T) {
	s := newStack(t, stackOptions{})
	start := time.Now().UTC().Add(-time.Second)
	owner := func(email string) map[string]any {
		return map[string]any{"name": "Owner", "email": email, "password": ownerPassword, "password_confirm": ownerPassword}
	}
	a := s.create(t, map[string]any{"name": "Audit A", "owner": owner("owner-audit-a@example.com")}).json(t)["id"].(string)
	a1 := s.create(t, map[string]any{"name": "Audit A1", "parent_id": a, "owner": owner("owner-audit-a1@example.com")}).json(t)["id"].(string)
	b := s.create(t, map[string]any{"name": "Audit B", "owner": owner("owner-audit-b@example.com")}).json(t)["id"].(string)
	if r := s.do(t, "PATCH", "/v1/customers/"+a, map[string]any{"address": "1 Audit Street"}); r.StatusCode != 200 {
		t.Fatalf("edit A: %d %s", r.StatusCode, r.body)
	}
	origin := []any{map[string]any{"type": "IPv4", "address": "203.0.113.10", "port": 443, "enabled": true}}
	d := s.do(t, "POST", "/v1/customers/"+a1+"/domains", map[string]any{"host": "audit.example.com", "origins": origin}).json(t)["id"].(string)
	if r := s.do(t, "PATCH", "/v1/domains/"+d, map[string]any{"cache": map[string]any{"ttl_minutes": 5}, "waf": map[string]any{"enabled": true}}); r.StatusCode != 200 {
		t.Fatalf("edit domain: %d %s", r.StatusCode, r.body)
	}
	if r := s.do(t, "DELETE", "/v1/domains/"+d, nil); r.StatusCode != 204 {
		t.Fatalf("remove domain: %d %s", r.StatusCode, r.body)
	}
	del := s.do(t, "DELETE", "/v1/customers/"+a1, nil)
	if del.StatusCode != 204 {
		t.Fatalf("delete A1: %d %s", del.StatusCode, del.body)
	}
	token := del.Header.Get("X-Consistency-Token")

	// The history of the deleted A1, in stream order, each event with its actor, request id,
	// version and change.
	h := items(t, s.do(t, "GET", "/v1/customers/"+a1+"/history", nil, "X-Consistency-Token", token))
	var types []string
	for _, e := range h {
		types = append(types, e["type"].(string))
		if e["actor_email"] != operatorEmail || e["actor_type"] != "user" || e["request_id"] == "" || e["customer_id"] != a1 {
			t.Errorf("entry %v", e)
		}
	}
	want := "customer.created user.created domain.added domain.updated domain.removed customer.deleted user.deleted customer.erased"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("history of A1:\n got %s\nwant %s", got, want)
	}
	if h[0]["action"] != `Added customer "Audit A1"` || h[0]["action_type"] != "Add" || h[0]["aggregate_version"] != float64(1) ||
		h[1]["action"] != `Added user [erased] to "Audit A1"` || // A1 is deleted: its users are erased
		h[3]["action"] != "Edited domain audit.example.com: cache and WAF" || h[3]["aggregate_version"] != float64(2) ||
		h[4]["action_type"] != "Delete" || h[5]["action"] != `Deleted customer "Audit A1"` {
		t.Fatalf("history entries: %s", mapString(map[string]any{"h": h}))
	}
	if c := h[3]["change"].(map[string]any); c["cache"].(map[string]any)["ttl_minutes"] != float64(5) {
		t.Errorf("change of domain.updated: %v", c)
	}
	// Pages: two at a time, the same events.
	var paged []string
	next := ""
	for {
		r := s.do(t, "GET", "/v1/customers/"+a1+"/history?limit=2&cursor="+next, nil)
		for _, e := range items(t, r) {
			paged = append(paged, e["type"].(string))
		}
		n, _ := r.json(t)["next_cursor"].(string)
		if n == "" {
			break
		}
		next = url.QueryEscape(n)
	}
	if strings.Join(paged, " ") != want {
		t.Fatalf("paged history: %v", paged)
	}

	// Its chains hold.
	v := s.do(t, "GET", "/v1/customers/"+a1+"/history/verify", nil).json(t)
	if v["ok"] != true || v["events"].(float64) < 7 || !strings.HasPrefix(v["digest"].(string), "sha256:") {
		t.Fatalf("verify: %v", v)
	}

	// Reach and permission: A's owner reads A1's history (A1 stood under A), not B's; a Technical
	// View user of A may not read the audit log.
	ownerA := s.login(t, "owner-audit-a@example.com", ownerPassword)
	if r := s.doAs(t, ownerA, "GET", "/v1/customers/"+a1+"/history", nil); r.StatusCode != 200 {
		t.Errorf("owner of A reads deleted A1's history: %d %s", r.StatusCode, r.body)
	}
	if r := s.doAs(t, ownerA, "GET", "/v1/customers/"+b+"/history", nil); r.StatusCode != 404 {
		t.Errorf("owner of A reads B's history: %d", r.StatusCode)
	}
	if r := s.doAs(t, ownerA, "GET", "/v1/customers/"+b+"/history/verify", nil); r.StatusCode != 404 {
		t.Errorf("owner of A verifies B's history: %d", r.StatusCode)
	}
	pw := "technical view passphrase"
	if r := s.do(t, "POST", "/v1/users", map[string]any{"customer_id": a, "role": "Technical View", "name": "TV", "email": "tv-audit@example.com",
		"password": pw, "password_confirm": pw}); r.StatusCode != 201 {
		t.Fatalf("add TV: %d %s", r.StatusCode, r.body)
	}
	tv := s.login(t, "tv-audit@example.com", pw)
	if r := s.doAs(t, tv, "GET", "/v1/customers/"+a+"/history", nil); r.StatusCode != 403 {
		t.Errorf("technical view reads history: %d", r.StatusCode)
	}

	// The Audit Log: newest first, filters, scope.
	window := "since=" + url.QueryEscape(start.Format(time.RFC3339Nano)) + "&until=" + url.QueryEscape(time.Now().UTC().Add(time.Minute).Format(time.RFC3339))
	all := items(t, s.do(t, "GET", "/v1/audit?"+window+"&limit=100", nil))
	if len(all) < 12 || all[0]["time"].(string) < all[len(all)-1]["time"].(string) {
		t.Fatalf("audit log: %d entries, first %v", len(all), all[0])
	}
	for i := 1; i < len(all); i++ {
		if all[i-1]["seq"].(float64) < all[i]["seq"].(float64) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	deletes := items(t, s.do(t, "GET", "/v1/audit?"+window+"&action_type=Delete", nil))
	for _, e := range deletes {
		if e["action_type"] != "Delete" {
			t.Errorf("action_type filter let %v through", e)
		}
	}
	if len(deletes) != 4 { // the domain, A1, A1's owner and the erasure of its personal data
		t.Errorf("%d deletes", len(deletes))
	}
	domains := items(t, s.do(t, "GET", "/v1/audit?"+window+"&resource_type=domain&q=AUDIT.example", nil))
	if len(domains) != 3 {
		t.Errorf("domain entries matching the host: %d", len(domains))
	}
	byActor := items(t, s.do(t, "GET", "/v1/audit?"+window+"&actor="+url.QueryEscape(strings.ToUpper(operatorEmail))+"&limit=100", nil))
	mine := 0 // all but the bootstrap's system events, which may fall in the window
	for _, e := range all {
		if e["actor_email"] == operatorEmail {
			mine++
		}
	}
	if len(byActor) != mine || mine < 13 {
		t.Errorf("by actor: %d, want %d", len(byActor), mine)
	}
	subtree := items(t, s.do(t, "GET", "/v1/audit?"+window+"&customer_id="+a+"&limit=100", nil))
	for _, e := range subtree {
		if e["customer_id"] != a && e["customer_id"] != a1 {
			t.Errorf("customer_id filter let %v through", e)
		}
	}
	ownerB := s.login(t, "owner-audit-b@example.com", ownerPassword)
	for _, e := range items(t, s.doAs(t, ownerB, "GET", "/v1/audit?"+window+"&limit=100", nil)) {
		if e["customer_id"] != b {
			t.Errorf("owner of B sees %v", e)
		}
	}
	if r := s.do(t, "GET", "/v1/audit?until=2026-01-01T00:00:00Z", nil); r.StatusCode != 400 || !strings.Contains(string(r.body), `"field":"since"`) {
		t.Errorf("no since: %d %s", r.StatusCode, r.body)
	}
	if r := s.do(t, "GET", "/v1/audit?"+window+"&action_type=Smash", nil); r.StatusCode != 400 || !strings.Contains(string(r.body), `"field":"action_type"`) {
		t.Errorf("bad action type: %d %s", r.StatusCode, r.body)
	}
	if r := s.doAs(t, tv, "GET", "/v1/audit?"+window, nil); r.StatusCode != 403 {
		t.Errorf("technical view reads the audit log: %d", r.StatusCode)
	}
}

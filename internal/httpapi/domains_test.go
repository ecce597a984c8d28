package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestDomainsOverHTTP(t *testing.T) {
	s := newStack(t, stackOptions{})
	a := s.create(t, map[string]any{"name": "Domain Owner A"}).json(t)["id"].(string)
	b := s.create(t, map[string]any{"name": "Domain Owner B"}).json(t)["id"].(string)
	origin := []any{map[string]any{"type": "IPv4", "address": "203.0.113.10", "port": 443, "enabled": true, "backup": false}}

	r := s.do(t, "POST", "/v1/customers/"+a+"/domains", map[string]any{"host": "WWW.Bücher.example", "origins": origin})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("add: %d %s", r.StatusCode, r.body)
	}
	d := r.json(t)
	id := d["id"].(string)
	if d["host"] != "www.xn--bcher-kva.example" || d["scheme"] != "HTTPS" || d["load_balancing"] != "Round Robin" || r.Header.Get("Location") != "/v1/domains/"+id {
		t.Fatalf("added with defaults: %s", r.body)
	}
	if r := s.do(t, "POST", "/v1/customers/"+b+"/domains", map[string]any{"host": "www.bücher.example", "origins": origin}); r.StatusCode != http.StatusConflict {
		t.Fatalf("same host elsewhere: %d %s", r.StatusCode, r.body)
	}
	// Every rejection names its field.
	for field, body := range map[string]map[string]any{
		"http_ports[0]":     {"host": "x.example.com", "origins": origin, "http_ports": []int{443}},
		"https_ports[0]":    {"host": "x.example.com", "origins": origin, "https_ports": []int{80}},
		"origins[0].port":   {"host": "x.example.com", "origins": []any{map[string]any{"type": "IPv4", "address": "203.0.113.10", "port": 0}}},
		"host":              {"host": "not a host", "origins": origin},
		"tls_protocols":     {"host": "x.example.com", "origins": origin, "tls_protocols": []string{}},
		"ssl.expires_at":    {"host": "x.example.com", "origins": origin, "ssl": map[string]any{"type": "Auto SSL", "expires_at": "31/01/2027"}},
		"waf.mode":          {"host": "x.example.com", "origins": origin, "waf": map[string]any{"mode": "Panic"}},
		"load_balancing":    {"host": "x.example.com", "origins": origin, "load_balancing": "random"},
		"cache.ttl_minutes": {"host": "x.example.com", "origins": origin, "cache": map[string]any{"ttl_minutes": -5}},
	} {
		r := s.do(t, "POST", "/v1/customers/"+a+"/domains", body)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", field, r.StatusCode, r.body)
		}
	}
	if r := s.do(t, "POST", "/v1/customers/"+a+"/domains", map[string]any{"host": "x.example.com", "origins": origin, "colour": "red"}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: %d", r.StatusCode)
	}

	// The customer's list, searchable by host, in the customer's scope; a consistency token makes
	// the new domain visible at once.
	r2 := s.do(t, "POST", "/v1/customers/"+a+"/domains", map[string]any{"host": "api.example.com", "origins": origin})
	list := s.do(t, "GET", "/v1/customers/"+a+"/domains?q=API&limit=10", nil, "X-Consistency-Token", r2.Header.Get("X-Consistency-Token"))
	items := list.json(t)["items"].([]any)
	if list.StatusCode != 200 || len(items) != 1 || items[0].(map[string]any)["host"] != "api.example.com" || items[0].(map[string]any)["customer_name"] != "Domain Owner A" {
		t.Fatalf("list: %d %s", list.StatusCode, list.body)
	}
	if all := s.do(t, "GET", "/v1/customers/"+a+"/domains", nil).json(t)["items"].([]any); len(all) != 2 {
		t.Errorf("all domains of A: %d", len(all))
	}

	// Merge patch: one nested field changes, the rest stays.
	r = s.do(t, "PATCH", "/v1/domains/"+id, `{"cache":{"ttl_minutes":60},"ssl":{"expires_at":"2027-01-31"}}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`)
	if r.StatusCode != 200 {
		t.Fatalf("patch: %d %s", r.StatusCode, r.body)
	}
	got := r.json(t)
	cache := got["cache"].(map[string]any)
	if cache["ttl_minutes"] != float64(60) || cache["enabled"] != true || got["ssl"].(map[string]any)["expires_at"] != "2027-01-31" || got["version"] != float64(2) {
		t.Fatalf("after patch: %s", r.body)
	}
	if r := s.do(t, "PATCH", "/v1/domains/"+id, map[string]any{"scheme": "HTTP"}, "If-Match", `"1"`); r.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: %d", r.StatusCode)
	}
	// Move to B.
	r = s.do(t, "PATCH", "/v1/domains/"+id, map[string]any{"customer_id": b})
	if r.StatusCode != 200 || r.json(t)["customer_id"] != b {
		t.Fatalf("move: %d %s", r.StatusCode, r.body)
	}
	// Deleting B removes the domain with it.
	if r := s.do(t, "DELETE", "/v1/customers/"+b, nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete B: %d %s", r.StatusCode, r.body)
	}
	if r := s.do(t, "GET", "/v1/domains/"+id, nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("domain of a deleted customer: %d", r.StatusCode)
	}
	// Remove another one directly.
	r = s.do(t, "POST", "/v1/customers/"+a+"/domains", map[string]any{"host": "shop.example.com", "origins": origin})
	if r.StatusCode != http.StatusCreated {
		t.Fatal(r.StatusCode)
	}
	if r := s.do(t, "DELETE", "/v1/domains/"+r.json(t)["id"].(string), nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("remove: %d", r.StatusCode)
	}
}

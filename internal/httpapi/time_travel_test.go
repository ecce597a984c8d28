package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTimeTravelOverHTTP(t *testing.T) {
	s := newStack(t, stackOptions{})
	parent := s.create(t, map[string]any{"name": "TT Parent"}).json(t)["id"].(string)
	before := time.Now().UTC()
	id := s.create(t, map[string]any{"name": "TT One", "address": "1 First St", "parent_id": parent}).json(t)["id"].(string)
	created := time.Now().UTC()
	if r := s.do(t, "PATCH", "/v1/customers/"+id, map[string]any{"name": "TT Two"}); r.StatusCode != 200 {
		t.Fatal(r.StatusCode)
	}
	if r := s.do(t, "PATCH", "/v1/customers/"+parent, map[string]any{"name": "TT Parent Renamed"}); r.StatusCode != 200 {
		t.Fatal(r.StatusCode)
	}
	renamed := time.Now().UTC()
	if r := s.do(t, "PATCH", "/v1/customers/"+id, map[string]any{"address": "2 Second St"}); r.StatusCode != 200 {
		t.Fatal(r.StatusCode)
	}
	at := func(q string) map[string]any {
		t.Helper()
		r := s.do(t, "GET", "/v1/customers/"+id+"?"+q, nil)
		if r.StatusCode != 200 {
			t.Fatalf("%s: %d %s", q, r.StatusCode, r.body)
		}
		if r.Header.Get("ETag") != "" {
			t.Errorf("%s: a past state has an ETag", q)
		}
		return r.json(t)
	}
	ts := func(tm time.Time) string { return url.QueryEscape(tm.Format(time.RFC3339Nano)) }

	if c := at("version=1"); c["name"] != "TT One" || c["address"] != "1 First St" || c["version"] != float64(1) {
		t.Errorf("version 1: %v", c)
	}
	if c := at("version=2"); c["name"] != "TT Two" || c["address"] != "1 First St" {
		t.Errorf("version 2: %v", c)
	}
	if c := at("as_of=" + ts(created)); c["name"] != "TT One" || c["parent_name"] != "TT Parent" {
		t.Errorf("as of creation: %v", c)
	}
	if c := at("as_of=" + ts(renamed)); c["name"] != "TT Two" || c["address"] != "1 First St" || c["parent_name"] != "TT Parent Renamed" {
		t.Errorf("as of the parent's rename: %v", c)
	}
	if c := at("version=9"); c["address"] != "2 Second St" || c["version"] != float64(3) {
		t.Errorf("a version past the last: %v", c)
	}
	if r := s.do(t, "GET", "/v1/customers/"+id+"?as_of="+ts(before), nil); r.StatusCode != 404 || !strings.Contains(string(r.body), "did not exist yet") {
		t.Errorf("before creation: %d %s", r.StatusCode, r.body)
	}

	// Deleted: its past stays readable to those with Audit Log View.
	if r := s.do(t, "DELETE", "/v1/customers/"+id, nil); r.StatusCode != 204 {
		t.Fatal(r.StatusCode)
	}
	if r := s.do(t, "GET", "/v1/customers/"+id, nil); r.StatusCode != 404 {
		t.Fatalf("deleted, now: %d", r.StatusCode)
	}
	if c := at("version=2"); c["name"] != "TT Two" {
		t.Errorf("deleted, version 2: %v", c)
	}
	if r := s.do(t, "GET", "/v1/customers/"+id+"?as_of="+ts(time.Now().UTC()), nil); r.StatusCode != 404 || !strings.Contains(string(r.body), "deleted by that point") {
		t.Errorf("after deletion: %d %s", r.StatusCode, r.body)
	}
	pw := "technical view passphrase"
	if r := s.do(t, "POST", "/v1/users", map[string]any{"customer_id": parent, "role": "Technical View", "name": "TV", "email": "tv-tt@example.com",
		"password": pw, "password_confirm": pw}); r.StatusCode != 201 {
		t.Fatalf("add TV: %d %s", r.StatusCode, r.body)
	}
	tv := s.login(t, "tv-tt@example.com", pw)
	if r := s.doAs(t, tv, "GET", "/v1/customers/"+id+"?version=1", nil); r.StatusCode != 403 {
		t.Errorf("a deleted customer's past without Audit Log View: %d", r.StatusCode)
	}
	if r := s.doAs(t, tv, "GET", "/v1/customers/"+parent+"?version=1", nil); r.StatusCode != 200 {
		t.Errorf("a live customer's past with Customer View: %d", r.StatusCode)
	}
	for q, field := range map[string]string{"version=0": "version", "version=x": "version", "as_of=yesterday": "as_of"} {
		if r := s.do(t, "GET", "/v1/customers/"+parent+"?"+q, nil); r.StatusCode != 400 || !strings.Contains(string(r.body), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", q, r.StatusCode, r.body)
		}
	}
}

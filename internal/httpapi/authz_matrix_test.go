package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// The people of the authorization matrix, in the order of the expectation columns.
var matrixPrincipals = []string{"support", "owner A", "owner A1", "technical view A", "business user A", "owner B", "disabled user A", "ended session", "no session"}

// The targets, in the order of the four codes of each expectation: A, A's child A1, A's sibling B,
// and P, the provider's own root customer (where the support user lives).
var matrixTargets = []string{"A", "A1", "B", "P"}

// matrixRow is one endpoint of the matrix: how to call it on a target, and for each principal the
// expected statuses on A, A1, B and P. Rows without an entry for the last three principals expect
// 401 there. Extend the table when endpoints are added.
type matrixRow struct {
	name   string
	method string
	// path and body build the request for a target (ids of the fixture by target name).
	path func(f *matrixFixture, target string) string
	body func(f *matrixFixture, target string) any
	// header adds request headers (e.g. a stale If-Match, so a permitted write answers 412 and
	// changes nothing).
	header []string
	expect map[string][4]int
}

type matrixFixture struct {
	customers map[string]string // target → customer id
	domains   map[string]string // target → id of one of its domains
	exports   map[string]string // target → id of one of its exports
	owners    map[string]string // target → id of its owner user (P: the support user)
	tokens    map[string]string // principal → bearer token ("" for no session)
	n         atomic.Int64
}

func (f *matrixFixture) unique(prefix string) string { return fmt.Sprintf("%s-%d", prefix, f.n.Add(1)) }

const (
	ok, created, noContent  = http.StatusOK, http.StatusCreated, http.StatusNoContent
	unauth, forbid, missing = http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound
	stale, invalid          = http.StatusPreconditionFailed, http.StatusUnprocessableEntity
	conflict                = http.StatusConflict
)

var matrix = []matrixRow{
	{
		name: "GET customer", method: "GET",
		path: func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] },
		expect: map[string][4]int{
			"support":          {ok, ok, ok, ok},
			"owner A":          {ok, ok, missing, missing},
			"owner A1":         {missing, ok, missing, missing},
			"technical view A": {ok, ok, missing, missing},
			"business user A":  {ok, ok, missing, missing},
			"owner B":          {missing, missing, ok, missing},
		},
	},
	{
		name: "GET manageable parents", method: "GET",
		path: func(f *matrixFixture, t string) string {
			return "/v1/customers/" + f.customers[t] + "/manageable-parents"
		},
		expect: map[string][4]int{
			"support":          {ok, ok, ok, ok},
			"owner A":          {ok, ok, missing, missing},
			"owner A1":         {missing, ok, missing, missing},
			"technical view A": {ok, ok, missing, missing},
			"business user A":  {ok, ok, missing, missing},
			"owner B":          {missing, missing, ok, missing},
		},
	},
	{
		name: "PATCH customer (stale If-Match)", method: "PATCH", header: []string{"If-Match", `"999"`},
		path: func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] },
		body: func(*matrixFixture, string) any { return map[string]any{"address": "changed"} },
		expect: map[string][4]int{
			"support":          {stale, stale, stale, stale},
			"owner A":          {stale, stale, missing, missing},
			"owner A1":         {missing, stale, missing, missing},
			"technical view A": {forbid, forbid, missing, missing},
			"business user A":  {forbid, forbid, missing, missing},
			"owner B":          {missing, missing, stale, missing},
		},
	},
	{
		name: "DELETE customer (stale If-Match)", method: "DELETE", header: []string{"If-Match", `"999"`},
		path: func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] },
		expect: map[string][4]int{
			"support":          {stale, stale, stale, stale},
			"owner A":          {forbid, stale, missing, missing},
			"owner A1":         {missing, forbid, missing, missing},
			"technical view A": {forbid, forbid, missing, missing},
			"business user A":  {forbid, forbid, missing, missing},
			"owner B":          {missing, missing, forbid, missing},
		},
	},
	{
		name: "POST customer under the target", method: "POST",
		path: func(*matrixFixture, string) string { return "/v1/customers" },
		body: func(f *matrixFixture, t string) any {
			pw := "matrix passphrase 123"
			return map[string]any{"name": f.unique("child"), "parent_id": f.customers[t],
				"owner": map[string]any{"name": "O", "email": f.unique("o") + "@example.com", "password": pw, "password_confirm": pw}}
		},
		expect: map[string][4]int{
			"support":          {created, created, created, created},
			"owner A":          {created, created, invalid, invalid},
			"owner A1":         {invalid, created, invalid, invalid},
			"technical view A": {forbid, forbid, invalid, invalid},
			"business user A":  {forbid, forbid, invalid, invalid},
			"owner B":          {invalid, invalid, created, invalid},
		},
	},
	{
		name: "POST user into the target", method: "POST",
		path: func(*matrixFixture, string) string { return "/v1/users" },
		body: func(f *matrixFixture, t string) any {
			pw := "matrix passphrase 123"
			return map[string]any{"customer_id": f.customers[t], "role": "Business User", "name": "U",
				"email": f.unique("u") + "@example.com", "password": pw, "password_confirm": pw}
		},
		expect: map[string][4]int{
			"support":          {created, created, created, created},
			"owner A":          {created, created, invalid, invalid},
			"owner A1":         {invalid, created, invalid, invalid},
			"technical view A": {forbid, forbid, invalid, invalid},
			"business user A":  {forbid, forbid, invalid, invalid},
			"owner B":          {invalid, invalid, created, invalid},
		},
	},
	{
		name: "GET the target's owner", method: "GET",
		path: func(f *matrixFixture, t string) string { return "/v1/users/" + f.owners[t] },
		expect: map[string][4]int{
			"support":          {ok, ok, ok, ok},
			"owner A":          {ok, ok, missing, missing},
			"owner A1":         {missing, ok, missing, missing},
			"technical view A": {ok, ok, missing, missing},
			"business user A":  {ok, ok, missing, missing},
			"owner B":          {missing, missing, ok, missing},
		},
	},
	{
		name: "disable the target's owner (stale If-Match)", method: "POST", header: []string{"If-Match", `"999"`},
		path: func(f *matrixFixture, t string) string { return "/v1/users/" + f.owners[t] + ":disable" },
		expect: map[string][4]int{
			"support":          {stale, stale, stale, stale},
			"owner A":          {stale, stale, missing, missing},
			"owner A1":         {missing, stale, missing, missing},
			"technical view A": {forbid, forbid, missing, missing},
			"business user A":  {forbid, forbid, missing, missing},
			"owner B":          {missing, missing, stale, missing},
		},
	},
	{
		name: "POST customers:validate under the target", method: "POST",
		path: func(*matrixFixture, string) string { return "/v1/customers:validate" },
		body: func(f *matrixFixture, t string) any {
			return map[string]any{"name": f.unique("child"), "parent_id": f.customers[t]}
		},
		expect: map[string][4]int{
			"support":          {noContent, noContent, noContent, noContent},
			"owner A":          {noContent, noContent, invalid, invalid},
			"owner A1":         {invalid, noContent, invalid, invalid},
			"technical view A": {forbid, forbid, invalid, invalid},
			"business user A":  {forbid, forbid, invalid, invalid},
			"owner B":          {invalid, invalid, noContent, invalid},
		},
	},
	{
		name: "GET customers managed by the target", method: "GET",
		path:   func(f *matrixFixture, t string) string { return "/v1/customers?parent_id=" + f.customers[t] },
		expect: everyoneLoggedIn(ok),
	},
	{
		name: "GET users of the target", method: "GET",
		path:   func(f *matrixFixture, t string) string { return "/v1/users?customer_id=" + f.customers[t] },
		expect: everyoneLoggedIn(ok),
	},
	{
		name: "PATCH the target's owner (stale If-Match)", method: "PATCH", header: []string{"If-Match", `"999"`},
		path:   func(f *matrixFixture, t string) string { return "/v1/users/" + f.owners[t] },
		body:   func(*matrixFixture, string) any { return map[string]any{"remark": "changed"} },
		expect: userWrite,
	},
	{
		name: "enable the target's owner (stale If-Match)", method: "POST", header: []string{"If-Match", `"999"`},
		path:   func(f *matrixFixture, t string) string { return "/v1/users/" + f.owners[t] + ":enable" },
		expect: userWrite,
	},
	{
		name: "DELETE the target's owner (stale If-Match)", method: "DELETE", header: []string{"If-Match", `"999"`},
		path:   func(f *matrixFixture, t string) string { return "/v1/users/" + f.owners[t] },
		expect: userWrite,
	},
	{
		name: "PUT the target owner's permissions (stale If-Match)", method: "PUT", header: []string{"If-Match", `"999"`},
		path: func(f *matrixFixture, t string) string { return "/v1/users/" + f.owners[t] + "/permissions" },
		body: func(*matrixFixture, string) any { return map[string]any{"granted": []string{}, "revoked": []string{}} },
		expect: map[string][4]int{
			"support":          {stale, stale, stale, stale},
			"owner A":          {forbid, forbid, forbid, forbid},
			"owner A1":         {forbid, forbid, forbid, forbid},
			"technical view A": {forbid, forbid, forbid, forbid},
			"business user A":  {forbid, forbid, forbid, forbid},
			"owner B":          {forbid, forbid, forbid, forbid},
		},
	},
	{
		name: "GET the target's domain list", method: "GET",
		path: func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] + "/domains" },
		expect: map[string][4]int{
			"support":          {ok, ok, ok, ok},
			"owner A":          {ok, ok, missing, missing},
			"owner A1":         {missing, ok, missing, missing},
			"technical view A": {ok, ok, missing, missing},
			"business user A":  {ok, ok, missing, missing},
			"owner B":          {missing, missing, ok, missing},
		},
	},
	{
		name: "GET the target's domain", method: "GET",
		path: func(f *matrixFixture, t string) string { return "/v1/domains/" + f.domains[t] },
		expect: map[string][4]int{
			"support":          {ok, ok, ok, ok},
			"owner A":          {ok, ok, missing, missing},
			"owner A1":         {missing, ok, missing, missing},
			"technical view A": {ok, ok, missing, missing},
			"business user A":  {ok, ok, missing, missing},
			"owner B":          {missing, missing, ok, missing},
		},
	},
	{
		name: "POST a domain into the target", method: "POST",
		path: func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] + "/domains" },
		body: func(f *matrixFixture, _ string) any { return matrixDomain(f) },
		expect: map[string][4]int{
			"support":          {created, created, created, created},
			"owner A":          {created, created, missing, missing},
			"owner A1":         {missing, created, missing, missing},
			"technical view A": {forbid, forbid, missing, missing},
			"business user A":  {forbid, forbid, missing, missing},
			"owner B":          {missing, missing, created, missing},
		},
	},
	{
		name: "PATCH the target's domain (stale If-Match)", method: "PATCH", header: []string{"If-Match", `"999"`},
		path:   func(f *matrixFixture, t string) string { return "/v1/domains/" + f.domains[t] },
		body:   func(*matrixFixture, string) any { return map[string]any{"scheme": "HTTP"} },
		expect: userWrite,
	},
	{
		name: "DELETE the target's domain (stale If-Match)", method: "DELETE", header: []string{"If-Match", `"999"`},
		path:   func(f *matrixFixture, t string) string { return "/v1/domains/" + f.domains[t] },
		expect: userWrite,
	},
	{
		name: "GET the target's export", method: "GET",
		path:   func(f *matrixFixture, t string) string { return "/v1/exports/" + f.exports[t] },
		expect: reads,
	},
	{
		name: "GET the target's export list", method: "GET",
		path:   func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] + "/exports" },
		expect: reads,
	},
	{
		name: "GET the target's history", method: "GET",
		path:   func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] + "/history" },
		expect: auditReads,
	},
	{
		name: "GET the target's history verification", method: "GET",
		path:   func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] + "/history/verify" },
		expect: auditReads,
	},
	{
		// The targets are live: support may ask, and is told to delete first; nobody else may ask.
		name: "POST the target:erase", method: "POST",
		path: func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] + ":erase" },
		expect: map[string][4]int{
			"support":          {conflict, conflict, conflict, conflict},
			"owner A":          {forbid, forbid, forbid, forbid},
			"owner A1":         {forbid, forbid, forbid, forbid},
			"technical view A": {forbid, forbid, forbid, forbid},
			"business user A":  {forbid, forbid, forbid, forbid},
			"owner B":          {forbid, forbid, forbid, forbid},
		},
	},
	{
		name: "GET the target as of version 1", method: "GET",
		path:   func(f *matrixFixture, t string) string { return "/v1/customers/" + f.customers[t] + "?version=1" },
		expect: reads,
	},
	{
		name: "GET /v1/audit", method: "GET",
		path: func(*matrixFixture, string) string {
			return "/v1/audit?since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z"
		},
		expect: auditLog,
	},
	{
		name: "GET /v1/events", method: "GET",
		path:   func(*matrixFixture, string) string { return "/v1/events?limit=5" },
		expect: auditLog,
	},
	{
		name: "GET /v1/me", method: "GET",
		path:   func(*matrixFixture, string) string { return "/v1/me" },
		expect: everyoneLoggedIn(ok),
	},
	{
		name: "GET /v1/roles", method: "GET",
		path:   func(*matrixFixture, string) string { return "/v1/roles" },
		expect: everyoneLoggedIn(ok),
	},
	{
		name: "PUT /v1/me/password with a wrong current password", method: "PUT",
		path: func(*matrixFixture, string) string { return "/v1/me/password" },
		body: func(*matrixFixture, string) any {
			return map[string]any{"current_password": "not it at all", "password": "a new passphrase 99", "password_confirm": "a new passphrase 99"}
		},
		expect: everyoneLoggedIn(invalid),
	},
}

// userWrite is the expectation of the writes on a target's owner (or domain) that Owner may do
// and the technical view and business user may not.
var userWrite = map[string][4]int{
	"support":          {stale, stale, stale, stale},
	"owner A":          {stale, stale, missing, missing},
	"owner A1":         {missing, stale, missing, missing},
	"technical view A": {forbid, forbid, missing, missing},
	"business user A":  {forbid, forbid, missing, missing},
	"owner B":          {missing, missing, stale, missing},
}

// reads is the expectation of reading something of the target that every role may read.
var reads = map[string][4]int{
	"support":          {ok, ok, ok, ok},
	"owner A":          {ok, ok, missing, missing},
	"owner A1":         {missing, ok, missing, missing},
	"technical view A": {ok, ok, missing, missing},
	"business user A":  {ok, ok, missing, missing},
	"owner B":          {missing, missing, ok, missing},
}

// auditReads is the expectation of the history of a target: reach, then Audit Log View, which
// the Technical View and Business User roles lack.
var auditReads = map[string][4]int{
	"support":          {ok, ok, ok, ok},
	"owner A":          {ok, ok, missing, missing},
	"owner A1":         {missing, ok, missing, missing},
	"technical view A": {forbid, forbid, missing, missing},
	"business user A":  {forbid, forbid, missing, missing},
	"owner B":          {missing, missing, ok, missing},
}

// auditLog is the expectation of the Audit Log and the raw events, which have no target: every
// principal with Audit Log View reads its own reach.
var auditLog = map[string][4]int{
	"support":          {ok, ok, ok, ok},
	"owner A":          {ok, ok, ok, ok},
	"owner A1":         {ok, ok, ok, ok},
	"technical view A": {forbid, forbid, forbid, forbid},
	"business user A":  {forbid, forbid, forbid, forbid},
	"owner B":          {ok, ok, ok, ok},
}

// everyoneLoggedIn expects code for every logged-in principal on every target.
func everyoneLoggedIn(code int) map[string][4]int {
	out := map[string][4]int{}
	for _, p := range matrixPrincipals[:6] {
		out[p] = [4]int{code, code, code, code}
	}
	return out
}

// TestAuthorizationMatrix runs every row for every principal and target, then checks that no list
// or search shows anything out of the principal's reach.
func TestAuthorizationMatrix(t *testing.T) {
	s := newStack(t, stackOptions{})
	f := &matrixFixture{customers: map[string]string{}, owners: map[string]string{}, domains: map[string]string{}, exports: map[string]string{}, tokens: map[string]string{}}
	pw := "matrix passphrase 123"
	owner := func(email string) map[string]any {
		return map[string]any{"name": "Owner", "email": email, "password": pw, "password_confirm": pw}
	}
	mk := func(target, parent, email string) {
		body := map[string]any{"name": "Matrix " + target, "owner": owner(email)}
		if parent != "" {
			body["parent_id"] = f.customers[parent]
		}
		r := s.create(t, body)
		j := r.json(t)
		f.customers[target] = j["id"].(string)
		f.owners[target] = j["owner"].(map[string]any)["id"].(string)
	}
	mk("A", "", "owner-a@example.com")
	mk("A1", "A", "owner-a1@example.com")
	mk("B", "", "owner-b@example.com")
	me := s.do(t, "GET", "/v1/me", nil).json(t)
	f.customers["P"], f.owners["P"] = me["customer_id"].(string), me["id"].(string)
	for _, tgt := range matrixTargets {
		r := s.do(t, "POST", "/v1/customers/"+f.customers[tgt]+"/domains", matrixDomain(f))
		if r.StatusCode != created {
			t.Fatalf("domain of %s: %d %s", tgt, r.StatusCode, r.body)
		}
		f.domains[tgt] = r.json(t)["id"].(string)
		x := s.do(t, "POST", "/v1/customers/"+f.customers[tgt]+"/exports", nil)
		if x.StatusCode != http.StatusAccepted {
			t.Fatalf("export of %s: %d %s", tgt, x.StatusCode, x.body)
		}
		f.exports[tgt] = x.json(t)["id"].(string)
	}
	addUser := func(role, email string) string {
		r := s.do(t, "POST", "/v1/users", map[string]any{"customer_id": f.customers["A"], "role": role, "name": role,
			"email": email, "password": pw, "password_confirm": pw})
		if r.StatusCode != created {
			t.Fatalf("add %s: %d %s", role, r.StatusCode, r.body)
		}
		return r.json(t)["id"].(string)
	}
	addUser("Technical View", "tv-a@example.com")
	addUser("Business User", "bu-a@example.com")
	disabled := addUser("Business User", "off-a@example.com")

	f.tokens["support"] = s.token
	for p, email := range map[string]string{"owner A": "owner-a@example.com", "owner A1": "owner-a1@example.com", "owner B": "owner-b@example.com",
		"technical view A": "tv-a@example.com", "business user A": "bu-a@example.com", "disabled user A": "off-a@example.com", "ended session": "bu-a@example.com"} {
		f.tokens[p] = s.login(t, email, pw)
	}
	if r := s.doAs(t, f.tokens["ended session"], "POST", "/v1/auth/logout", nil); r.StatusCode != noContent {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	if r := s.do(t, "POST", "/v1/users/"+disabled+":disable", nil); r.StatusCode != ok {
		t.Fatalf("disable: %d %s", r.StatusCode, r.body)
	}
	// The disabled user can log in no more either.
	if r := s.doAs(t, "", "POST", "/v1/auth/login", map[string]any{"email": "off-a@example.com", "password": pw}); r.StatusCode != unauth {
		t.Errorf("a disabled user logs in: %d", r.StatusCode)
	}

	for _, row := range matrix {
		for _, p := range matrixPrincipals {
			want, has := row.expect[p]
			if !has {
				want = [4]int{unauth, unauth, unauth, unauth}
			}
			for i, target := range matrixTargets {
				var body any
				if row.body != nil {
					body = row.body(f, target)
				}
				r := s.doAs(t, f.tokens[p], row.method, row.path(f, target), body, row.header...)
				if r.StatusCode != want[i] {
					t.Errorf("%s by %s on %s: %d, want %d: %.200s", row.name, p, target, r.StatusCode, want[i], r.body)
				}
			}
		}
	}

	// Lists and searches: nothing out of reach, whatever the filter.
	reach := map[string][]string{
		"support": {"A", "A1", "B", "P"}, "owner A": {"A", "A1"}, "owner A1": {"A1"},
		"technical view A": {"A", "A1"}, "business user A": {"A", "A1"}, "owner B": {"B"},
	}
	for p, within := range reach {
		allowed := map[string]bool{}
		for _, tgt := range within {
			allowed[f.customers[tgt]] = true
		}
		for _, path := range []string{"/v1/customers?limit=100", "/v1/customers?q=Matrix&limit=100", "/v1/customers?parent_id=" + f.customers["A"] + "&limit=100"} {
			r := s.doAs(t, f.tokens[p], "GET", path, nil)
			for _, it := range r.json(t)["items"].([]any) {
				item := it.(map[string]any)
				id := item["id"].(string)
				if !allowed[id] && !allowed[fmt.Sprint(item["parent_id"])] && !strings.HasPrefix(item["name"].(string), "child") {
					t.Errorf("%s sees customer %s (%v) in %s", p, id, item["name"], path)
				}
				if !reachable(f, p, item, reach) {
					t.Errorf("%s sees customer %v out of reach in %s", p, item["name"], path)
				}
			}
		}
		r := s.doAs(t, f.tokens[p], "GET", "/v1/users?limit=100", nil)
		for _, it := range r.json(t)["items"].([]any) {
			cid := it.(map[string]any)["customer_id"].(string)
			if !underReach(f, p, cid, reach, s, t) {
				t.Errorf("%s sees user %v of customer %s out of reach", p, it.(map[string]any)["email"], cid)
			}
		}
		if r := s.doAs(t, f.tokens[p], "GET", "/v1/users?q=owner-b", nil); p != "support" && p != "owner B" && len(r.json(t)["items"].([]any)) != 0 {
			t.Errorf("%s finds B's owner by search", p)
		}
	}
	for _, p := range []string{"disabled user A", "ended session", "no session"} {
		for _, path := range []string{"/v1/customers", "/v1/users", "/v1/me", "/v1/roles"} {
			if r := s.doAs(t, f.tokens[p], "GET", path, nil); r.StatusCode != unauth {
				t.Errorf("%s GET %s: %d", p, path, r.StatusCode)
			}
		}
	}
}

// reachable reports whether a listed customer is within p's reach: one of its reach roots or
// below one (children created by the matrix rows carry the parent they were created under).
func reachable(f *matrixFixture, p string, item map[string]any, reach map[string][]string) bool {
	if p == "support" {
		return true
	}
	for _, tgt := range reach[p] {
		if item["id"] == f.customers[tgt] || item["parent_id"] == f.customers[tgt] {
			return true
		}
	}
	return false
}

// underReach reports whether customer cid is within p's reach, asking the API as support.
func underReach(f *matrixFixture, p, cid string, reach map[string][]string, s *stack, t *testing.T) bool {
	if p == "support" {
		return true
	}
	for _, tgt := range reach[p] {
		if cid == f.customers[tgt] {
			return true
		}
	}
	c := s.doAs(t, f.tokens["support"], "GET", "/v1/customers/"+cid, nil).json(t)
	for _, tgt := range reach[p] {
		if c["parent_id"] == f.customers[tgt] {
			return true
		}
	}
	return false
}

// matrixDomain is the body of a new domain with a unique host.
func matrixDomain(f *matrixFixture) map[string]any {
	return map[string]any{"host": f.unique("d") + ".example.com",
		"origins": []any{map[string]any{"type": "IPv4", "address": "203.0.113.10", "port": 443, "enabled": true}}}
}

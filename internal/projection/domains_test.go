package projection

import (
	"encoding/json"
	"github.com/toffstech/customer-management/internal/testenv"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/projection/projectiontest"
)

// domainRow reads one domain from the domains view; ok is false when it is absent.
func (h *harness) domainRow(id string) (projectiontest.DomainRow, bool) {
	h.t.Helper()
	rows, err := projectiontest.ActualDomains(h.ctx, h.pool)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, r := range rows {
		if r.ID == id {
			return r, true
		}
	}
	return projectiontest.DomainRow{}, false
}

// mustDomain is domainRow that fails the test when the domain is absent.
func (h *harness) mustDomain(id string) projectiontest.DomainRow {
	h.t.Helper()
	r, ok := h.domainRow(id)
	if !ok {
		h.t.Fatalf("domain %s is not in the domains view", id)
	}
	return r
}

// domainSettings decodes a row's settings.
func domainSettings(t *testing.T, r projectiontest.DomainRow) events.DomainSettings {
	t.Helper()
	var s events.DomainSettings
	if err := json.Unmarshal([]byte(r.Settings), &s); err != nil {
		t.Fatalf("settings of %s: %v", r.ID, err)
	}
	return s
}

// domainsMatchLog asserts that the domains view equals the fold of the log: every domain's events
// folded with domain.Domain.Apply, its customer's name and ancestors from the fold of the
// customers. It returns the number of live domains.
func (h *harness) domainsMatchLog() int {
	h.t.Helper()
	customers, err := projectiontest.Expected(h.ctx, h.store, h.allCustomers())
	if err != nil {
		h.t.Fatal(err)
	}
	ids, err := projectiontest.DomainIDs(h.ctx, h.js)
	if err != nil {
		h.t.Fatal(err)
	}
	want, err := projectiontest.ExpectedDomains(h.ctx, h.store, ids, customers)
	if err != nil {
		h.t.Fatal(err)
	}
	got, err := projectiontest.ActualDomains(h.ctx, h.pool)
	if err != nil {
		h.t.Fatal(err)
	}
	if d := projectiontest.DiffDomains(want, got); d != "" {
		h.t.Fatalf("domains view differs from the log (%d rows want, %d got):\n%s", len(want), len(got), d)
	}
	return len(want)
}

func TestProjectorFollowsDomainLifecycle(t *testing.T) {
	h := newHarness(t)
	run := h.start()
	ctx, w := h.ctx, h.w
	rng := rand.New(rand.NewPCG(21, 22))

	// A with child A1, roots B and D.
	a, _ := must2(t)(w.Create(ctx, "Acme", "", ""))
	a1, _ := must2(t)(w.Create(ctx, "Acme One", "", a))
	b, _ := must2(t)(w.Create(ctx, "Beta", "", ""))
	d, _ := must2(t)(w.Create(ctx, "Delta", "", ""))
	s1 := w.RandomDomainSettings(rng)
	d1, seq1 := must2(t)(w.AddDomain(ctx, a1, s1))
	d2, _ := must2(t)(w.AddDomain(ctx, a1, w.RandomDomainSettings(rng)))
	d3, _ := must2(t)(w.AddDomain(ctx, a, w.RandomDomainSettings(rng)))
	h.caughtUp()

	added := h.mustDomain(d1)
	if added.CustomerID != a1 || added.CustomerName != "Acme One" || !slices.Equal(added.CustomerAncestors, []string{a}) ||
		added.Host != s1.Host || added.Version != 1 || added.LastSeq != seq1-2 || !added.CreatedAt.Equal(added.UpdatedAt) {
		t.Fatalf("d1 after domain.added = %s", added)
	}
	if got := domainSettings(t, added); !equalJSON(t, got, s1) {
		t.Fatalf("d1 settings = %+v, want %+v", got, s1)
	}

	// An update replaces exactly the sections it carries, each whole.
	cache := events.CacheSettings{Enabled: true, QueryString: true, TTLMinutes: 5, Extensions: []string{"svg"}, ForceParams: []string{}}
	check(t)(w.UpdateDomain(ctx, d1, events.DomainUpdatedV1{HTTPPorts: events.Some([]int{80, 8080}), Cache: events.Some(cache)}))
	h.caughtUp()
	r := h.mustDomain(d1)
	want := s1
	want.HTTPPorts, want.Cache = []int{80, 8080}, cache
	if got := domainSettings(t, r); !equalJSON(t, got, want) || r.Host != s1.Host || r.Version != 2 ||
		!r.CreatedAt.Equal(added.CreatedAt) || !r.UpdatedAt.After(added.UpdatedAt) {
		t.Fatalf("d1 after a sections update = %s", r)
	}

	// A new host changes the host column with the settings.
	check(t)(w.UpdateDomain(ctx, d1, events.DomainUpdatedV1{Host: events.Some("xn--bcher-kva.example"), TLSProtocols: events.Null[[]string]()}))
	h.caughtUp()
	r = h.mustDomain(d1)
	want.Host, want.TLSProtocols = "xn--bcher-kva.example", nil
	if got := domainSettings(t, r); r.Host != "xn--bcher-kva.example" || !equalJSON(t, got, want) || r.Version != 3 {
		t.Fatalf("d1 after a host update = %s", r)
	}

	// A move takes the new customer's name and ancestors.
	check(t)(w.MoveDomain(ctx, d1, b))
	h.caughtUp()
	if r := h.mustDomain(d1); r.CustomerID != b || r.CustomerName != "Beta" || len(r.CustomerAncestors) != 0 || r.Version != 4 ||
		!equalJSON(t, domainSettings(t, r), want) {
		t.Fatalf("d1 moved to b = %s", r)
	}

	// A customer rename renames it in its domains' rows, and only there.
	check(t)(w.Rename(ctx, a1, "Acme One Ltd"))
	h.caughtUp()
	if r := h.mustDomain(d2); r.CustomerName != "Acme One Ltd" || r.Version != 1 {
		t.Fatalf("d2 after renaming a1 = %s", r)
	}
	if r := h.mustDomain(d3); r.CustomerName != "Acme" {
		t.Fatalf("d3 after renaming a1 = %s", r)
	}

	// Moving a under d moves the domains of a's whole subtree; the rename in the same update too.
	check(t)(w.Move(ctx, a, d, "Acme Moved"))
	h.caughtUp()
	if r := h.mustDomain(d3); r.CustomerName != "Acme Moved" || !slices.Equal(r.CustomerAncestors, []string{d}) {
		t.Fatalf("domain of a after moving a = %s", r)
	}
	if r := h.mustDomain(d2); !slices.Equal(r.CustomerAncestors, []string{a, d}) || r.CustomerName != "Acme One Ltd" {
		t.Fatalf("domain of a1 after moving a = %s", r)
	}
	if r := h.mustDomain(d1); len(r.CustomerAncestors) != 0 {
		t.Fatalf("domain of b after moving a = %s", r)
	}
	// And to the root, which a1 becomes.
	check(t)(w.Move(ctx, a1, "", ""))
	h.caughtUp()
	if r := h.mustDomain(d2); len(r.CustomerAncestors) != 0 {
		t.Fatalf("domain of a1 after a1 went to the root = %s", r)
	}
	// Moving d1 back under the moved tree.
	check(t)(w.MoveDomain(ctx, d1, a))
	h.caughtUp()
	if r := h.mustDomain(d1); r.CustomerID != a || r.CustomerName != "Acme Moved" || !slices.Equal(r.CustomerAncestors, []string{d}) {
		t.Fatalf("d1 moved to a = %s", r)
	}
	h.domainsMatchLog()

	// Removing a domain, and deleting a customer with its domains and users in one batch.
	check(t)(w.RemoveDomain(ctx, d3))
	d4, _ := must2(t)(w.AddDomain(ctx, a1, w.RandomDomainSettings(rng)))
	must2(t)(w.CreateUser(ctx, a1, "Technical View", "Grace", "grace@acme.example", ""))
	check(t)(w.Delete(ctx, a1))
	h.caughtUp()
	for _, id := range []string{d2, d3, d4} {
		if _, ok := h.domainRow(id); ok {
			t.Errorf("removed domain %s is still listed", id)
		}
	}
	if _, ok := h.domainRow(d1); !ok {
		t.Error("d1, a domain of another customer, was removed too")
	}
	h.matchesLog(h.allCustomers())
	h.usersMatchLog()
	if n := h.domainsMatchLog(); n != 1 {
		t.Errorf("%d live domains, want 1", n)
	}
	if p := h.parked(); len(p) != 0 {
		t.Errorf("parked %+v", p)
	}
	if n := testutil.ToFloat64(run.p.metrics.parked); n != 0 {
		t.Errorf("parked counter = %v", n)
	}
}

// equalJSON reports whether a and b encode to the same JSON.
func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}

func TestDomainsFollowRandomCommandsAndRedeliveryChangesNothing(t *testing.T) {
	h := newHarness(t)
	// Two projectors with small batches, so that transactions and the fast path's checkpoint race
	// cut through the domains' commands everywhere.
	h.start(func(c *Config) { c.MaxBatch = 5 })
	two := h.start(func(c *Config) { c.MaxBatch = 40 })
	rng := rand.New(rand.NewPCG(31, 32))
	for range 120 {
		check(t)(h.w.Step(h.ctx, rng))
		check(t)(h.w.DomainStep(h.ctx, rng))
		check(t)(h.w.DomainStep(h.ctx, rng))
		if rng.IntN(3) == 0 {
			check(t)(h.w.UserStep(h.ctx, rng))
		}
	}
	h.caughtUp()
	h.matchesLog(h.allCustomers())
	h.usersMatchLog()
	if n := h.domainsMatchLog(); n < 20 {
		t.Fatalf("only %d live domains after the random commands: the test exercises too little", n)
	}
	if p := h.parked(); len(p) != 0 {
		t.Fatalf("parked %+v", p)
	}
	two.stop()

	// The same events again, through an applier that believes the checkpoint is 0.
	before, cp := h.snapshot(), h.checkpoint()
	evs := h.raw(1, h.lastSeq())
	ap := h.newApplier()
	if err := ap.commit(h.ctx, evs); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(evs); i += 11 {
		if err := ap.commit(h.ctx, evs[i:min(i+11, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
	if n := testutil.ToFloat64(ap.metrics.applied); n != 0 {
		t.Errorf("applied %v events again", n)
	}
	if got := h.snapshot(); got != before || h.checkpoint() != cp {
		t.Errorf("tables or checkpoint changed:\nbefore %s\nafter  %s", before, got)
	}
}

func TestPoisonDomainEventsAreParked(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx
	rng := rand.New(rand.NewPCG(41, 42))
	a, _ := must2(t)(h.w.Create(ctx, "Acme", "", ""))
	b, _ := must2(t)(h.w.Create(ctx, "Beta", "", ""))
	s := h.w.RandomDomainSettings(rng)
	d, _ := must2(t)(h.w.AddDomain(ctx, a, s))
	nobody := uuid.NewString()
	env := func(typ string, data any) []byte { return envelope(t, typ, data) }
	nulHost := s
	nulHost.Host = "bad\x00host.example"
	nulRule := h.w.RandomDomainSettings(rng)
	nulRule.Redirection.Rules = []events.RedirectRule{{Name: "nul\x00", Type: "Static", StatusCode: 301, URL: "https://x.example", Priority: 1}}

	// Written before the projector starts, so that they reach it in one transaction with the
	// valid events around them: the fast path must not commit them.
	want := map[uint64]string{
		h.publishRaw(events.DomainSubject(nobody), env(events.DomainUpdated, map[string]any{"scheme": "HTTP"})):                                        events.DomainUpdated,
		h.publishRaw(events.DomainSubject(nobody), env(events.DomainMoved, map[string]string{"from_customer_id": a, "to_customer_id": b})):             events.DomainMoved,
		h.publishRaw(events.DomainSubject(uuid.NewString()), env(events.DomainAdded, events.DomainAddedV1{CustomerID: uuid.NewString(), Settings: s})): events.DomainAdded,
		h.publishRaw(events.DomainSubject(uuid.NewString()), env(events.DomainAdded, map[string]any{"customer_id": "not-a-uuid"})):                     events.DomainAdded,
		h.publishRaw(events.DomainSubject(d), env(events.DomainAdded, events.DomainAddedV1{CustomerID: a, Settings: s})):                               events.DomainAdded,
		h.publishRaw(events.DomainSubject(d), env(events.DomainMoved, map[string]string{"from_customer_id": a, "to_customer_id": uuid.NewString()})):   events.DomainMoved,
		h.publishRaw(events.DomainSubject(d), env(events.DomainMoved, map[string]string{"from_customer_id": a, "to_customer_id": ""})):                 events.DomainMoved,
		h.publishRaw(events.DomainSubject(d), env(events.DomainUpdated, map[string]any{"http_ports": "eighty"})):                                       events.DomainUpdated,
		h.publishRaw(events.DomainSubject(d), env(events.CustomerCreated, map[string]string{"name": "x"})):                                             events.CustomerCreated,
		h.publishRaw(events.DomainSubject(d), env("domain.renamed", map[string]string{"host": "x.example"})):                                           "domain.renamed",
		h.publishRaw(events.DomainSubject(d), []byte("\x00not json{")):                                                                                 "",
		h.publishRaw(events.DomainSubject("not-a-uuid"), env(events.DomainRemoved, map[string]string{})):                                               events.DomainRemoved,
		h.publishRaw(events.DomainSubject(uuid.NewString()), env(events.DomainAdded, events.DomainAddedV1{CustomerID: a, Settings: nulHost})):          events.DomainAdded,
		h.publishRaw(events.DomainSubject(d), env(events.DomainUpdated, map[string]any{"redirection": nulRule.Redirection})):                           events.DomainUpdated,
	}
	// Removing a domain the read model does not hold is not poison: the result is as it should be.
	h.publishRaw(events.DomainSubject(nobody), env(events.DomainRemoved, map[string]string{}))
	check(t)(h.w.UpdateDomain(ctx, d, events.DomainUpdatedV1{Scheme: events.Some("HTTP")}))
	check(t)(h.w.MoveDomain(ctx, d, b))
	check(t)(h.w.Rename(ctx, b, "Beta Ltd"))

	run := h.start()
	h.caughtUp()
	got := h.parked()
	if len(got) != len(want) {
		t.Fatalf("parked %d events, want %d: %+v", len(got), len(want), got)
	}
	for _, p := range got {
		typ, ok := want[p.Seq]
		if !ok || p.EventType != typ || p.Error == "" || !strings.HasPrefix(p.Subject, "cm.domain.") {
			t.Errorf("parked %+v, want a seq in %v with type %q", p, want, typ)
		}
	}
	// The counter moves just after the commit that the checkpoint shows: poll it.
	testenv.WaitFor(t, 5*time.Second, func() bool { return testutil.ToFloat64(run.p.metrics.parked) == float64(len(want)) },
		"parked counter = %v, want %d", testutil.ToFloat64(run.p.metrics.parked), len(want))
	r := h.mustDomain(d)
	if st := domainSettings(t, r); st.Scheme != "HTTP" || r.CustomerID != b || r.CustomerName != "Beta Ltd" || r.Version != 3 || r.Host != s.Host {
		t.Fatalf("d = %s: the events after the poison ones did not apply, or a poison one did", r)
	}
	if n, err := projectiontest.ActualDomains(ctx, h.pool); err != nil || len(n) != 1 {
		t.Fatalf("domains = %v, %v", n, err)
	}
}

// TestDomainRowsWithoutCSVCells checks rows projected before the projector rendered CSV cells
// (migration 0009): an update of some settings leaves them without a line, whose export then
// decodes the settings, and an update of every setting gives them the whole line.
func TestDomainRowsWithoutCSVCells(t *testing.T) {
	h := newHarness(t)
	h.start()
	ctx, w := h.ctx, h.w
	rng := rand.New(rand.NewPCG(41, 42))
	a, _ := must2(t)(w.Create(ctx, "Acme", "", ""))
	d1, _ := must2(t)(w.AddDomain(ctx, a, w.RandomDomainSettings(rng)))
	h.caughtUp()
	if r := h.mustDomain(d1); !strings.HasPrefix(r.CSVHead, r.Host+",") || !strings.HasSuffix(r.CSVTail, "\r\n") {
		t.Fatalf("a new domain's CSV line: %s", r)
	}
	if _, err := h.pool.Exec(ctx, "UPDATE domains_v1 SET csv_cells = NULL"); err != nil {
		t.Fatal(err)
	}

	check(t)(w.UpdateDomain(ctx, d1, events.DomainUpdatedV1{Cache: events.Some(events.CacheSettings{Enabled: true, TTLMinutes: 9})}))
	h.caughtUp()
	if r := h.mustDomain(d1); r.CSVHead != "" || r.CSVTail != "" {
		t.Fatalf("an update of the cache gave a row without cells a line: %s", r)
	}
	var cells []*string
	if err := h.pool.QueryRow(ctx, "SELECT csv_cells FROM domains_v1 WHERE id = $1", d1).Scan(&cells); err != nil {
		t.Fatal(err)
	}
	if len(cells) != 11 || cells[6] == nil || !strings.Contains(*cells[6], "ttl=9m") || cells[0] != nil {
		t.Fatalf("cells after the cache update: %d %v", len(cells), cells)
	}

	s := w.RandomDomainSettings(rng)
	check(t)(w.UpdateDomain(ctx, d1, events.DomainUpdatedV1{
		Host: events.Some(s.Host), HTTPPorts: events.Some(s.HTTPPorts), HTTPSPorts: events.Some(s.HTTPSPorts),
		Scheme: events.Some(s.Scheme), Origins: events.Some(s.Origins), Cache: events.Some(s.Cache),
		Redirection: events.Some(s.Redirection), SSL: events.Some(s.SSL), TLSProtocols: events.Some(s.TLSProtocols),
		WAF: events.Some(s.WAF),
	}))
	h.caughtUp()
	h.domainsMatchLog()
}

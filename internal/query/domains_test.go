package query_test

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/query"
)

// referenceDomain is the JSON shape of a domain in ../shared/reference/domain-model.md.
const referenceDomain = `{
  "host": "www.example.com",
  "http_ports": [80],
  "https_ports": [443],
  "scheme": "HTTPS",
  "origins": [{"type": "IPv4", "address": "203.0.113.10", "port": 443, "enabled": true, "backup": false}],
  "load_balancing": "Round Robin",
  "cache": {"enabled": true, "query_string": false, "ttl_minutes": 120, "extensions": ["css", "js"],
            "follow_origin": false, "force_params": []},
  "redirection": {"domain_flattening": false,
                  "redirect_url": {"enabled": false, "scheme": "HTTPS", "url": ""},
                  "rules": [{"name": "old-blog", "type": "Static", "status_code": 301, "url": "https://example.com/blog", "priority": 1}]},
  "ssl": {"type": "Auto SSL", "expires_at": "2027-01-31"},
  "tls_protocols": ["TLSv1.2", "TLSv1.3"],
  "waf": {"enabled": true, "mode": "Block", "owasp": {"A01": true, "A02": true, "A03": true}}
}`

// referenceSettings decodes referenceDomain with host.
func referenceSettings(t testing.TB, host string) events.DomainSettings {
	var s events.DomainSettings
	if err := json.Unmarshal([]byte(referenceDomain), &s); err != nil {
		panic(err)
	}
	s.Host = host
	return s
}

// addDomain inserts a domain of customer, in the shape the projection writes (customer name and
// ancestors copied from the customer's row, settings the JSON of events.DomainSettings, host as
// given — the projection does not check it), and returns its id.
func (f *fixture) addDomain(customer, host string, created time.Time) string {
	f.t.Helper()
	s := referenceSettings(f.t, host)
	raw, err := json.Marshal(s)
	if err != nil {
		f.t.Fatal(err)
	}
	id := uuid.NewString()
	tag, err := f.pool.Exec(f.ctx, `
		INSERT INTO domains_v1 (id, customer_id, customer_name, customer_ancestors, host, settings, created_at, updated_at, version, last_seq)
		SELECT $1, c.id, c.name, c.ancestors, $3, $4::jsonb::json, $5, $5, 1, 1
		FROM customers_v1 c WHERE c.id = $2`, id, customer, host, string(raw), created)
	if err != nil || tag.RowsAffected() != 1 {
		f.t.Fatalf("add domain of %s: %v (%s)", customer, err, tag)
	}
	return id
}

// allDomains pages through Domains.List and returns the ids in the order seen.
func (f *fixture) allDomains(p query.DomainListParams) []string {
	f.t.Helper()
	q := query.NewDomains(f.pool)
	var ids []string
	for pages := 0; ; pages++ {
		page, err := q.List(f.ctx, p)
		if err != nil {
			f.t.Fatalf("List(%+v): %v", p, err)
		}
		if len(page.Items) > p.Limit && p.Limit > 0 {
			f.t.Fatalf("page of %d items with limit %d", len(page.Items), p.Limit)
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		if pages > 1000 {
			f.t.Fatal("paging does not end")
		}
		p.Cursor = page.NextCursor
	}
}

func TestDomainListVisitsEveryRowOnceInEverySort(t *testing.T) {
	f := newFixture(t)
	base := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	a := f.add("Acme", "", "", base)
	b := f.add("Beta", "", "", base)
	type row struct {
		id, host string
		created  time.Time
	}
	var rows []row
	// Hosts that tie (the projection does not enforce uniqueness), differ only in case, or sort
	// differently byte-wise than in a natural-language collation; creation times that tie.
	hosts := []string{"www.example.com", "www.example.com", "WWW.Example.com", "a-b.example", "ab.example", "a.example",
		"xn--bcher-kva.example", "z.example", "_dmarc.example", "0.example", "a-b.example"}
	for i := range 41 {
		h := hosts[i%len(hosts)]
		created := base.Add(time.Duration(i%4) * time.Microsecond)
		rows = append(rows, row{f.addDomain(a, h, created), strings.ToLower(h), created})
	}
	for range 5 {
		f.addDomain(b, "www.example.com", base) // another customer's: never listed
	}
	byHost := func(x, y row) int { return cmp.Or(strings.Compare(x.host, y.host), strings.Compare(x.id, y.id)) }
	byCreated := func(x, y row) int { return cmp.Or(x.created.Compare(y.created), strings.Compare(x.id, y.id)) }
	order := func(less func(x, y row) int, desc bool) []string {
		s := slices.Clone(rows)
		slices.SortFunc(s, less)
		if desc {
			slices.Reverse(s)
		}
		ids := make([]string, len(s))
		for i, r := range s {
			ids[i] = r.id
		}
		return ids
	}
	for sort, want := range map[string][]string{
		"":            order(byHost, false),
		"host":        order(byHost, false),
		"-host":       order(byHost, true),
		"created_at":  order(byCreated, false),
		"-created_at": order(byCreated, true),
	} {
		for _, limit := range []int{1, 4, 40, 41, 200} {
			if got := f.allDomains(query.DomainListParams{CustomerID: a, Sort: sort, Limit: limit}); !slices.Equal(got, want) {
				t.Errorf("sort %q limit %d: got %v\nwant %v", sort, limit, got, want)
			}
		}
		// The same with a scope and a search that keep every domain.
		for _, p := range []query.DomainListParams{{WithinCustomer: a}, {Q: "EXAMPLE"}, {Q: ".", WithinCustomer: strings.ToUpper(a)}} {
			p.CustomerID, p.Sort, p.Limit = a, sort, 3
			if got := f.allDomains(p); !slices.Equal(got, want) {
				t.Errorf("sort %q, %+v: got %d ids, want %d", sort, p, len(got), len(want))
			}
		}
	}
}

func TestDomainItemsGetAndScope(t *testing.T) {
	f := newFixture(t)
	domains := query.NewDomains(f.pool)
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := f.add("Acme", "", "", now)
	a1 := f.add("Acme One", "", a, now)
	b := f.add("Beta", "", "", now)
	da1 := f.addDomain(a1, "www.acme.example", now)
	da := f.addDomain(a, "acme.example", now.Add(time.Second))
	db := f.addDomain(b, "beta.example", now)
	if _, err := f.pool.Exec(f.ctx, "UPDATE domains_v1 SET version = 4, updated_at = $2 WHERE id = $1", da1, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	page, err := domains.List(f.ctx, query.DomainListParams{CustomerID: a1})
	if err != nil || len(page.Items) != 1 || page.NextCursor != "" {
		t.Fatalf("page = %+v, %v", page, err)
	}
	it := page.Items[0]
	if it.ID != da1 || it.CustomerID != a1 || it.CustomerName != "Acme One" || it.Host != "www.acme.example" || it.Version != 4 ||
		!it.CreatedAt.Equal(now) || !it.UpdatedAt.Equal(now.Add(time.Minute)) {
		t.Errorf("item = %+v", it)
	}
	if s, err := it.DomainSettings(); err != nil || !reflect.DeepEqual(s, referenceSettings(t, "www.acme.example")) {
		t.Errorf("DomainSettings = %+v, %v", s, err)
	}

	// The JSON item is the reference's domain shape plus id, customer_id, customer_name,
	// created_at, updated_at and version, in one flat object.
	raw, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	var ref map[string]any
	if err := json.Unmarshal([]byte(referenceDomain), &ref); err != nil {
		t.Fatal(err)
	}
	ref["host"] = "www.acme.example"
	wantMeta := map[string]any{"id": da1, "customer_id": a1, "customer_name": "Acme One",
		"created_at": now.Format(time.RFC3339Nano), "updated_at": now.Add(time.Minute).Format(time.RFC3339Nano), "version": float64(4)}
	want := maps.Clone(ref)
	maps.Copy(want, wantMeta)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON item =\n%s\nwant the keys %v", raw, slices.Sorted(maps.Keys(want)))
	}
	if !strings.HasPrefix(string(raw), `{"id":"`+da1+`","customer_id":"`+a1+`","customer_name":"Acme One",`) ||
		!strings.HasSuffix(string(raw), `,"version":4}`) {
		t.Errorf("JSON item does not start with its identity and end with its version: %s", raw)
	}
	// A page is {"items": [...]} without a cursor on the last page.
	if raw, err := json.Marshal(page); err != nil || !strings.HasPrefix(string(raw), `{"items":[{"id":`) || strings.Contains(string(raw), "next_cursor") {
		t.Errorf("JSON page = %s, %v", raw, err)
	}
	// Settings that are not an object are an error, not broken JSON.
	if _, err := json.Marshal(query.DomainItem{ID: da1, Settings: json.RawMessage(`[1]`)}); err == nil {
		t.Error("an item with array settings encoded")
	}
	// Settings keys that collide with the item's own fields do not duplicate them (keys that are
	// no setting are left out); a missing host is taken from Host.
	raw, err = json.Marshal(query.DomainItem{ID: "x", Host: "h.example", Version: 2, Settings: json.RawMessage(`{"id":"y","version":7,"scheme":"HTTP"}`)})
	if err != nil || strings.Count(string(raw), `"id"`) != 1 || strings.Count(string(raw), `"version"`) != 1 ||
		!strings.Contains(string(raw), `"host":"h.example"`) || !strings.Contains(string(raw), `"scheme":"HTTP"`) || !json.Valid(raw) {
		t.Errorf("colliding keys: %s, %v", raw, err)
	}

	for name, tc := range map[string]struct {
		p    query.DomainListParams
		want []string
	}{
		"a1 within a":     {query.DomainListParams{CustomerID: a1, WithinCustomer: a}, []string{da1}},
		"a1 within a1":    {query.DomainListParams{CustomerID: a1, WithinCustomer: a1}, []string{da1}},
		"a within a":      {query.DomainListParams{CustomerID: a, WithinCustomer: a}, []string{da}},
		"a within a1":     {query.DomainListParams{CustomerID: a, WithinCustomer: a1}, nil},
		"b within a":      {query.DomainListParams{CustomerID: b, WithinCustomer: a}, nil},
		"b":               {query.DomainListParams{CustomerID: b}, []string{db}},
		"upper-case ids":  {query.DomainListParams{CustomerID: strings.ToUpper(a1), WithinCustomer: strings.ToUpper(a)}, []string{da1}},
		"unknown":         {query.DomainListParams{CustomerID: uuid.NewString()}, nil},
		"search in scope": {query.DomainListParams{CustomerID: a, Q: "ACME"}, []string{da}},
	} {
		tc.p.Limit = 1
		if got := f.allDomains(tc.p); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}

	if got, err := domains.Get(f.ctx, da); err != nil || got.ID != da || got.CustomerName != "Acme" || got.Host != "acme.example" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	for name, tc := range map[string]struct {
		id, within string
		found      bool
	}{
		"own customer":      {da1, a1, true},
		"descendant":        {da1, a, true},
		"parent":            {da, a1, false},
		"sibling":           {db, a, false},
		"unknown":           {uuid.NewString(), "", false},
		"malformed id":      {"nope", "", false},
		"upper-case within": {da1, strings.ToUpper(a), true},
	} {
		got, err := domains.GetWithin(f.ctx, tc.id, tc.within)
		switch {
		case tc.found && (err != nil || got.ID != tc.id):
			t.Errorf("%s: GetWithin = %+v, %v", name, got, err)
		case !tc.found && !errors.Is(err, query.ErrNotFound):
			t.Errorf("%s: GetWithin err = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := domains.GetWithin(f.ctx, da, "x"); !errors.Is(err, query.ErrBadParam) {
		t.Errorf("GetWithin with a malformed scope: %v", err)
	}
}

func TestDomainSearchIsLiteralAndCaseInsensitive(t *testing.T) {
	f := newFixture(t)
	at := time.Now().UTC()
	a := f.add("100% Pure_Co", "", "", at)
	ids := map[string]string{}
	// The projection stores hosts as the log has them; these include characters no valid host
	// has, to prove that % and _ in q are literal.
	for _, h := range []string{"www.example.com", "shop.example.org", "a_b.example", "axb.example", "50%off.example",
		"500ff.example", `back\slash.example`, "xn--bcher-kva.example", "xn--mnchen-3ya.de"} {
		ids[h] = f.addDomain(a, h, at)
	}
	for q, want := range map[string][]string{
		"EXAMPLE.COM":  {"www.example.com"},
		"  shop. ":     {"shop.example.org"},
		"a_b":          {"a_b.example"}, // not "any character"
		"_":            {"a_b.example"},
		"%":            {"50%off.example"},
		"0%o":          {"50%off.example"},
		`k\s`:          {`back\slash.example`},
		"bücher":       {"xn--bcher-kva.example"}, // an internationalized label finds its punycode
		"BÜCHER":       {"xn--bcher-kva.example"},
		"münchen.de":   {"xn--mnchen-3ya.de"},
		"xn--bcher":    {"xn--bcher-kva.example"},
		"pure":         nil, // the customer's name is no host
		"no such host": nil,
	} {
		var wantIDs []string
		for _, h := range want {
			wantIDs = append(wantIDs, ids[h])
		}
		got := f.allDomains(query.DomainListParams{CustomerID: a, Q: q, Limit: 1})
		slices.Sort(got)
		slices.Sort(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("q=%q: got %v, want %v", q, got, want)
		}
	}
}

func TestDomainListRejectsMisusedCursorsAndBadParams(t *testing.T) {
	f := newFixture(t)
	domains := query.NewDomains(f.pool)
	at := time.Now().UTC()
	a := f.add("Acme", "", "", at)
	b := f.add("Acme Two", "", "", at)
	for i := range 5 {
		f.addDomain(a, "www"+string(rune('a'+i))+".example", at)
		f.addDomain(b, "www"+string(rune('a'+i))+".example", at)
	}
	first, err := domains.List(f.ctx, query.DomainListParams{CustomerID: a, Q: "www", Limit: 2})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	cur := first.NextCursor
	cpage, err := f.q.List(f.ctx, query.ListParams{Q: "acme", Limit: 1})
	if err != nil || cpage.NextCursor == "" {
		t.Fatalf("customers page: %+v, %v", cpage, err)
	}
	for name, p := range map[string]query.DomainListParams{
		"other q":          {CustomerID: a, Q: "ww", Cursor: cur},
		"other sort":       {CustomerID: a, Q: "www", Sort: "-host", Cursor: cur},
		"other customer":   {CustomerID: b, Q: "www", Cursor: cur},
		"added scope":      {CustomerID: a, Q: "www", WithinCustomer: a, Cursor: cur},
		"a customers one":  {CustomerID: a, Q: "acme", Cursor: cpage.NextCursor},
		"garbage":          {CustomerID: a, Q: "www", Cursor: "!!!"},
		"truncated":        {CustomerID: a, Q: "www", Cursor: cur[:len(cur)/2]},
		"forged id":        {CustomerID: a, Cursor: base64.RawURLEncoding.EncodeToString([]byte(`{"s":"host","k":"a","i":"1; DROP TABLE","f":""}`))},
		"different case q": {CustomerID: a, Q: "WWW", Cursor: cur},
	} {
		p.Limit = 2
		if _, err := domains.List(f.ctx, p); !errors.Is(err, query.ErrBadCursor) {
			t.Errorf("%s: err = %v, want ErrBadCursor", name, err)
		}
	}
	// And a domains cursor is neither a customers nor a users cursor.
	if _, err := f.q.List(f.ctx, query.ListParams{Q: "www", Limit: 2, Cursor: cur}); !errors.Is(err, query.ErrBadCursor) {
		t.Errorf("a domains cursor continued a customers listing: %v", err)
	}
	if _, err := query.NewUsers(f.pool).List(f.ctx, query.UserListParams{Q: "www", Limit: 2, Cursor: cur}); !errors.Is(err, query.ErrBadCursor) {
		t.Errorf("a domains cursor continued a users listing: %v", err)
	}
	if page, err := domains.List(f.ctx, query.DomainListParams{CustomerID: a, Q: " www ", Limit: 2, Cursor: cur}); err != nil || len(page.Items) != 2 {
		t.Errorf("continuing: %+v, %v", page, err)
	}
	for name, p := range map[string]query.DomainListParams{
		"no customer":    {},
		"sort":           {CustomerID: a, Sort: "name"},
		"limit":          {CustomerID: a, Limit: -1},
		"customer":       {CustomerID: "nope"},
		"scope":          {CustomerID: a, WithinCustomer: "123"},
		"long q":         {CustomerID: a, Q: strings.Repeat("a", query.MaxQLength+1)},
		"invalid q":      {CustomerID: a, Q: "\xff"},
		"braced uuid id": {CustomerID: "{" + a + "}"},
	} {
		if _, err := domains.List(f.ctx, p); !errors.Is(err, query.ErrBadParam) {
			t.Errorf("%s: err = %v, want ErrBadParam", name, err)
		}
	}
	if page, err := domains.List(f.ctx, query.DomainListParams{CustomerID: a, Limit: 10_000}); err != nil || len(page.Items) != 5 {
		t.Errorf("a limit above the maximum is lowered: %d items, %v", len(page.Items), err)
	}
}

func TestStreamForExportIsOneSnapshotInHostOrderWithBoundedMemory(t *testing.T) {
	f := newFixture(t)
	domains := query.NewDomains(f.pool)
	at := time.Now().UTC()
	a := f.add("Acmé, \"Quoted\" Ltd", "", "", at)
	b := f.add("Beta", "", "", at)
	const n = 20_000
	tmpl, err := json.Marshal(referenceSettings(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	// Hosts in an order unrelated to the insertion order; a few of another customer. Every other
	// row has its CSV cells, the others none (as rows projected before the projector rendered
	// them), so their settings are decoded.
	if _, err := f.pool.Exec(f.ctx, `
		INSERT INTO domains_v1 (id, customer_id, customer_name, customer_ancestors, host, settings, created_at, updated_at, version, last_seq, csv_cells)
		SELECT gen_random_uuid(), c.id, c.name, c.ancestors, h, jsonb_set($3::jsonb, '{host}', to_jsonb(h))::json, now(), now(), 1, 1,
		       CASE WHEN i % 2 = 0 THEN ARRAY[h, '80', '443', 'HTTPS', '"a, b"', '443', 'c', 'r', 'N/A', 'TLSv1.3', 'w'] END
		FROM customers_v1 c, LATERAL (SELECT i, 'h' || (i * 7919 % 20011) || '-' || i || '.example.com' AS h FROM generate_series(1, $2::int) i) g
		WHERE c.id = $1`, a, n, string(tmpl)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		f.addDomain(b, "0000.example", at)
	}
	if _, err := f.pool.Exec(f.ctx, "ANALYZE domains_v1"); err != nil {
		t.Fatal(err)
	}

	tx, err := f.pool.BeginTx(f.ctx, query.ExportTxOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(f.ctx) //nolint:errcheck

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseHeap, baseAllocs := ms.HeapAlloc, ms.Mallocs
	peak := baseHeap
	var (
		prev      string
		seen      int
		rendered  int
		unordered int
		meddled   bool
	)
	start := time.Now()
	count, err := domains.StreamForExport(f.ctx, tx, a, func(r query.ExportRow) error {
		seen++
		if string(r.CustomerName) != "Acmé, \"Quoted\" Ltd" {
			t.Fatalf("row %d: customer name %q", seen, r.CustomerName)
		}
		var host string
		if s := r.Settings; s != nil {
			if r.Head != nil || r.Tail != nil || s.Scheme != "HTTPS" || len(s.Origins) != 1 || s.Cache.TTLMinutes != 120 ||
				s.WAF.OWASP["A03"] != true || s.SSL.ExpiresAt != "2027-01-31" {
				t.Fatalf("row %d: %q %q %+v", seen, r.Head, r.Tail, s)
			}
			host = s.Host
		} else {
			rendered++
			var ok bool
			if host, ok = strings.CutSuffix(string(r.Head), ",80,443,HTTPS,"); !ok || string(r.Tail) != ",\"a, b\",443,c,r,N/A,TLSv1.3,w\r\n" {
				t.Fatalf("row %d: head %q tail %q", seen, r.Head, r.Tail)
			}
		}
		if host <= prev {
			unordered++
		}
		prev = host
		if !meddled {
			// Writes committed while the export runs are not part of its snapshot.
			meddled = true
			if _, err := f.pool.Exec(f.ctx, `DELETE FROM domains_v1 WHERE customer_id = $1 AND host > $2`, a, "h5"); err != nil {
				t.Fatal(err)
			}
			f.addDomain(a, "000-late.example", at)
		}
		if seen%500 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	took := time.Since(start)
	runtime.ReadMemStats(&ms)
	if err != nil || count != n || seen != n {
		t.Fatalf("StreamForExport = %d, %v; fn saw %d rows; want %d", count, err, seen, n)
	}
	if unordered > 0 {
		t.Errorf("%d rows out of host order", unordered)
	}
	if rendered != n/2 {
		t.Errorf("%d rows with their CSV line, want %d", rendered, n/2)
	}
	if growth := int64(peak) - int64(baseHeap); growth > 16<<20 {
		t.Errorf("the heap grew by %d MiB while streaming %d domains", growth>>20, n)
	} else {
		t.Logf("%d domains in %s (%.0f rows/s); heap %d KiB before, peak %d KiB; %.0f allocations per row",
			n, took, float64(n)/took.Seconds(), baseHeap>>10, peak>>10, float64(ms.Mallocs-baseAllocs)/n)
	}

	// In the same transaction, the same snapshot again; fn's error stops the stream and comes
	// back as it is, and the transaction stays usable.
	stop := errors.New("object storage unreachable")
	seen = 0
	count, err = domains.StreamForExport(f.ctx, tx, a, func(query.ExportRow) error {
		if seen++; seen == 1501 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || count != 1500 {
		t.Errorf("StreamForExport with a failing fn = %d, %v", count, err)
	}
	if count, err = domains.StreamForExport(f.ctx, tx, a, func(query.ExportRow) error { return nil }); err != nil || count != n {
		t.Errorf("StreamForExport again in the same transaction = %d, %v", count, err)
	}
	if err := tx.Commit(f.ctx); err != nil {
		t.Fatal(err)
	}

	// A new snapshot sees the writes; a customer without domains streams nothing.
	var now int
	if err := f.pool.QueryRow(f.ctx, "SELECT count(*) FROM domains WHERE customer_id = $1", a).Scan(&now); err != nil || now >= n {
		t.Fatalf("the meddling did not happen: %d rows, %v", now, err)
	}
	for customer, want := range map[string]int{a: now, b: 3, uuid.NewString(): 0} {
		err := pgx.BeginTxFunc(f.ctx, f.pool, query.ExportTxOptions, func(tx pgx.Tx) error {
			got, err := domains.StreamForExport(f.ctx, tx, customer, func(query.ExportRow) error { return nil })
			if got != want {
				t.Errorf("customer %s: %d rows, want %d", customer, got, want)
			}
			return err
		})
		if err != nil {
			t.Errorf("customer %s: %v", customer, err)
		}
	}

	// Only a REPEATABLE READ (or SERIALIZABLE) READ ONLY transaction will do.
	for name, opts := range map[string]pgx.TxOptions{
		"read committed":   {AccessMode: pgx.ReadOnly},
		"read write":       {IsoLevel: pgx.RepeatableRead},
		"serializable ro":  {IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly},
		"malformed":        query.ExportTxOptions,
		"missing customer": query.ExportTxOptions,
	} {
		tx, err := f.pool.BeginTx(f.ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		customer := a
		switch name {
		case "malformed":
			customer = "nope"
		case "missing customer":
			customer = ""
		}
		_, err = domains.StreamForExport(f.ctx, tx, customer, func(query.ExportRow) error { return nil })
		switch name {
		case "serializable ro":
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case "malformed", "missing customer":
			if !errors.Is(err, query.ErrBadParam) {
				t.Errorf("%s: err = %v, want ErrBadParam", name, err)
			}
		default:
			if !errors.Is(err, query.ErrExportTx) {
				t.Errorf("%s: err = %v, want ErrExportTx", name, err)
			}
		}
		_ = tx.Rollback(f.ctx)
	}
}

// BenchmarkStreamForExport reports how fast StreamForExport hands 100 000 domains of one customer
// to a function that does nothing with them: the read side's share of an export. Run it with
// -benchtime=1x or a few x; the setup takes a while.
func BenchmarkStreamForExport(b *testing.B) {
	f := newFixture(b)
	domains := query.NewDomains(f.pool)
	a := f.add("Acme", "", "", time.Now())
	const n = 100_000
	tmpl, err := json.Marshal(referenceSettings(b, ""))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.pool.Exec(f.ctx, `
		INSERT INTO domains_v1 (id, customer_id, customer_name, customer_ancestors, host, settings, created_at, updated_at, version, last_seq, csv_cells)
		SELECT gen_random_uuid(), $1, 'Acme', '{}', h, jsonb_set($3::jsonb, '{host}', to_jsonb(h))::json, now(), now(), 1, 1,
		       ARRAY[h, '80', '443', 'HTTPS', '"203.0.113.10; 203.0.113.11 (backup)"', '443; 443', '"enabled; ttl=120m; query string ignored; extensions=css, js; follow origin off"', 'none', '2027-01-31', 'TLSv1.2; TLSv1.3', '"enabled; mode=Block; OWASP A01, A02, A03"']
		FROM (SELECT 'h' || (i * 7919 % 100003) || '-' || i || '.example.com' AS h FROM generate_series(1, $2::int) i) g`, a, n, string(tmpl)); err != nil {
		b.Fatal(err)
	}
	if _, err := f.pool.Exec(f.ctx, "VACUUM ANALYZE domains_v1"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		err := pgx.BeginTxFunc(f.ctx, f.pool, query.ExportTxOptions, func(tx pgx.Tx) error {
			got, err := domains.StreamForExport(f.ctx, tx, a, func(query.ExportRow) error { return nil })
			if got != n {
				b.Fatalf("%d rows", got)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

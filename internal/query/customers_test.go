package query_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/query"
	"github.com/toffstech/customer-management/internal/testenv"
)

// fixture is a migrated database whose customers table the test fills directly, in the shape the
// projection writes.
type fixture struct {
	t    testing.TB
	ctx  context.Context
	pool *pgxpool.Pool
	q    *query.Customers
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := projection.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, pool: pool, q: query.NewCustomers(pool)}
}

// add inserts a customer under parent ("" for a root) and returns its id.
func (f *fixture) add(name, address, parent string, created time.Time) string {
	f.t.Helper()
	id := uuid.NewString()
	var p any
	if parent != "" {
		p = parent
	}
	_, err := f.pool.Exec(f.ctx, `
		INSERT INTO customers_v1 (id, name, address, parent_id, parent_name, ancestors, depth, created_at, updated_at, version, last_seq)
		SELECT $1, $2, $3, $4::uuid, p.name,
		       CASE WHEN $4::uuid IS NULL THEN '{}'::uuid[] ELSE array_prepend($4::uuid, p.ancestors) END,
		       coalesce(p.depth, 0) + 1, $5, $5, 1, 1
		FROM (SELECT 1) one LEFT JOIN customers_v1 p ON p.id = $4::uuid`, id, name, address, p, created)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// all pages through List and returns the ids in the order seen.
func (f *fixture) all(p query.ListParams) []string {
	f.t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		page, err := f.q.List(f.ctx, p)
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

// ordered lists the ids in the order SQL gives for an ORDER BY clause, without paging.
func (f *fixture) ordered(orderBy string) []string {
	f.t.Helper()
	rows, err := f.pool.Query(f.ctx, "SELECT id::text FROM customers ORDER BY "+orderBy)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			f.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestListVisitsEveryRowOnceInEverySort(t *testing.T) {
	f := newFixture(t)
	// Many ties: five creation instants, and names that differ only in case.
	base := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	names := []string{"acme", "ACME", "Beta", "beta", "Gamma", "delta", "Delta", "epsilon"}
	for i := range 41 {
		f.add(names[i%len(names)], "", "", base.Add(time.Duration(i%5)*time.Microsecond))
	}
	for sort, order := range map[string]string{
		"":           "created_at DESC, id DESC",
		"created_at": "created_at, id",
		"name":       "lower(name), id",
		"-name":      "lower(name) DESC, id DESC",
	} {
		want := f.ordered(order)
		for _, limit := range []int{1, 3, 7, 41, 200} {
			got := f.all(query.ListParams{Sort: sort, Limit: limit})
			if !slices.Equal(got, want) {
				t.Errorf("sort %q limit %d: got %d ids, want %d, in order %s", sort, limit, len(got), len(want), order)
			}
		}
	}
	// Creation sorts follow creation time, then id.
	asc := f.all(query.ListParams{Sort: "created_at", Limit: 4})
	desc := f.all(query.ListParams{Limit: 4})
	slices.Reverse(desc)
	if !slices.Equal(asc, desc) {
		t.Error("-created_at is not the reverse of created_at")
	}
}

func TestListItemsAndDefaults(t *testing.T) {
	f := newFixture(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	root := f.add("Root Co", "1 Main St", "", now)
	child := f.add("Child Co", "2 Side St", root, now.Add(time.Second))
	page, err := f.q.List(f.ctx, query.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.NextCursor != "" {
		t.Fatalf("page = %+v", page)
	}
	c, r := page.Items[0], page.Items[1] // newest first
	if c.ID != child || *c.ParentID != root || *c.ParentName != "Root Co" || !c.CreatedAt.Equal(now.Add(time.Second)) || c.Version != 1 {
		t.Errorf("child item = %+v", c)
	}
	if r.ID != root || r.ParentID != nil || r.ParentName != nil || r.Address != "1 Main St" {
		t.Errorf("root item = %+v", r)
	}
	got, err := f.q.Get(f.ctx, child)
	if err != nil || got.ID != child || *got.ParentName != "Root Co" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := f.q.Get(f.ctx, uuid.NewString()); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("Get of an unknown id = %v", err)
	}
	empty, err := f.q.List(f.ctx, query.ListParams{Q: "nothing like it"})
	if err != nil || empty.Items == nil || len(empty.Items) != 0 {
		t.Errorf("empty page = %#v, %v (items must be [] in JSON)", empty, err)
	}
}

func TestListSearchIsLiteralAndCaseInsensitive(t *testing.T) {
	f := newFixture(t)
	at := time.Now().UTC()
	ids := map[string]string{}
	for _, n := range [][2]string{
		{"100% Pure", "1 Main St"},
		{"100 Pure", "2 Main St"},
		{"a_b Ltd", "3 Side St"},
		{"axb Ltd", "4 Side St"},
		{"Back\\slash", "5 Low St"},
		{"Plain", "Main_Street 9"},
		{"Other", "MainXStreet 9"},
	} {
		ids[n[0]] = f.add(n[0], n[1], "", at)
	}
	for q, want := range map[string][]string{
		"100%":       {"100% Pure"},
		"a_b":        {"a_b Ltd"},
		"A_B LTD":    {"a_b Ltd"},
		"main_":      {"Plain"},
		`k\s`:        {"Back\\slash"},
		"  pure  ":   {"100% Pure", "100 Pure"},
		"side st":    {"a_b Ltd", "axb Ltd"},
		"%":          {"100% Pure"},
		"_":          {"a_b Ltd", "Plain"},
		"no such":    nil,
		"":           {"100% Pure", "100 Pure", "a_b Ltd", "axb Ltd", "Back\\slash", "Plain", "Other"},
		"mainxSTREE": {"Other"},
	} {
		var wantIDs []string
		for _, n := range want {
			wantIDs = append(wantIDs, ids[n])
		}
		got := f.all(query.ListParams{Q: q, Limit: 2})
		slices.Sort(got)
		slices.Sort(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("q=%q: got %v, want %v", q, got, want)
		}
	}
}

func TestListByParentAndWithinCustomer(t *testing.T) {
	f := newFixture(t)
	at := time.Now().UTC()
	r := f.add("R", "", "", at)
	c := f.add("C", "", r, at)
	g := f.add("G", "", c, at)
	c2 := f.add("C2", "", r, at)
	x := f.add("X", "", "", at)
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	for name, tc := range map[string]struct {
		p    query.ListParams
		want []string
	}{
		"children of r":       {query.ListParams{ParentID: r}, sorted(c, c2)},
		"children of c":       {query.ListParams{ParentID: c}, sorted(g)},
		"within r":            {query.ListParams{WithinCustomer: r}, sorted(r, c, g, c2)},
		"within c":            {query.ListParams{WithinCustomer: c}, sorted(c, g)},
		"within x":            {query.ListParams{WithinCustomer: x}, sorted(x)},
		"children of r in c":  {query.ListParams{ParentID: r, WithinCustomer: c}, sorted(c)},
		"upper-case parent":   {query.ListParams{ParentID: upper(r)}, sorted(c, c2)},
		"within g, search g":  {query.ListParams{WithinCustomer: g, Q: "g"}, sorted(g)},
		"within r, search c2": {query.ListParams{WithinCustomer: r, Q: "c2"}, sorted(c2)},
	} {
		tc.p.Limit = 1
		got := f.all(tc.p)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
	kids, err := f.q.Children(f.ctx, r, 10)
	if err != nil || len(kids) != 2 || kids[0].Name != "C" || kids[1].Name != "C2" {
		t.Errorf("Children(r) = %+v, %v", kids, err)
	}
	if kids, err := f.q.Children(f.ctx, r, 1); err != nil || len(kids) != 1 {
		t.Errorf("Children(r, 1) = %+v, %v", kids, err)
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func TestListRejectsMisusedCursorsAndBadParams(t *testing.T) {
	f := newFixture(t)
	at := time.Now().UTC()
	r := f.add("Root", "Main", "", at)
	for range 5 {
		f.add("Acme", "Main", r, at)
	}
	first, err := f.q.List(f.ctx, query.ListParams{Q: "acme", Limit: 2})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	cur := first.NextCursor
	for name, p := range map[string]query.ListParams{
		"other q":        {Q: "main", Cursor: cur},
		"other sort":     {Q: "acme", Sort: "name", Cursor: cur},
		"added parent":   {Q: "acme", ParentID: r, Cursor: cur},
		"added scope":    {Q: "acme", WithinCustomer: r, Cursor: cur},
		"garbage":        {Q: "acme", Cursor: "!!!"},
		"not json":       {Q: "acme", Cursor: base64.RawURLEncoding.EncodeToString([]byte("nope"))},
		"truncated":      {Q: "acme", Cursor: cur[:len(cur)/2]},
		"forged key":     {Q: "acme", Cursor: base64.RawURLEncoding.EncodeToString([]byte(`{"s":"-created_at","k":"x","i":"` + r + `","f":"` + "0" + `"}`))},
		"forged id":      {Cursor: base64.RawURLEncoding.EncodeToString([]byte(`{"s":"-created_at","k":"1","i":"1; DROP TABLE","f":""}`))},
		"padded base64":  {Q: "acme", Cursor: cur + "="},
		"different case": {Q: "ACME", Cursor: cur},
	} {
		p.Limit = 2
		if _, err := f.q.List(f.ctx, p); !errors.Is(err, query.ErrBadCursor) {
			t.Errorf("%s: err = %v, want ErrBadCursor", name, err)
		}
	}
	// The same parameters continue fine, with surrounding spaces in q ignored.
	if _, err := f.q.List(f.ctx, query.ListParams{Q: " acme ", Limit: 2, Cursor: cur}); err != nil {
		t.Errorf("continuing: %v", err)
	}
	for name, p := range map[string]query.ListParams{
		"sort":      {Sort: "created"},
		"limit":     {Limit: -1},
		"parent":    {ParentID: "nope"},
		"scope":     {WithinCustomer: "123"},
		"long q":    {Q: string(make([]rune, query.MaxQLength+1))},
		"invalid q": {Q: "\xff"},
	} {
		if _, err := f.q.List(f.ctx, p); !errors.Is(err, query.ErrBadParam) {
			t.Errorf("%s: err = %v, want ErrBadParam", name, err)
		}
	}
	if page, err := f.q.List(f.ctx, query.ListParams{Limit: 10_000}); err != nil || len(page.Items) != 6 {
		t.Errorf("a limit above the maximum is lowered: %d items, %v", len(page.Items), err)
	}
}

package query_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/query"
)

// addUser inserts a user of customer, in the shape the projection writes (customer name and
// ancestors copied from the customer's row), and returns its id.
func (f *fixture) addUser(customer, name, email, remark string, created time.Time) string {
	f.t.Helper()
	id := uuid.NewString()
	tag, err := f.pool.Exec(f.ctx, `
		INSERT INTO users_v1 (id, customer_id, customer_name, customer_ancestors, role, name, email, status, remark,
		                      created_at, updated_at, version, last_seq)
		SELECT $1, c.id, c.name, c.ancestors, 'Technical View', $3, $4, 'ON', $5, $6, $6, 1, 1
		FROM customers_v1 c WHERE c.id = $2`, id, customer, name, email, remark, created)
	if err != nil || tag.RowsAffected() != 1 {
		f.t.Fatalf("add user of %s: %v (%s)", customer, err, tag)
	}
	return id
}

// allUsers pages through Users.List and returns the ids in the order seen.
func (f *fixture) allUsers(p query.UserListParams) []string {
	f.t.Helper()
	q := query.NewUsers(f.pool)
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

// orderedUsers lists the user ids in the order SQL gives for an ORDER BY clause, without paging.
func (f *fixture) orderedUsers(orderBy string) []string {
	f.t.Helper()
	rows, err := f.pool.Query(f.ctx, "SELECT id::text FROM users ORDER BY "+orderBy)
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

func TestUserListVisitsEveryRowOnceInEverySort(t *testing.T) {
	f := newFixture(t)
	base := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	a := f.add("Acme", "", "", base)
	b := f.add("Beta", "", a, base)
	names := []string{"ada", "ADA", "Grace", "grace", "Linus", "ken", "Ken", "zoë"}
	for i := range 37 {
		c := a
		if i%3 == 0 {
			c = b
		}
		f.addUser(c, names[i%len(names)], uuid.NewString()+"@example.com", "", base.Add(time.Duration(i%4)*time.Microsecond))
	}
	for sort, order := range map[string]string{
		"":           "created_at DESC, id DESC",
		"created_at": "created_at, id",
		"name":       "lower(name), id",
		"-name":      "lower(name) DESC, id DESC",
	} {
		want := f.orderedUsers(order)
		for _, limit := range []int{1, 4, 36, 37, 200} {
			if got := f.allUsers(query.UserListParams{Sort: sort, Limit: limit}); !slices.Equal(got, want) {
				t.Errorf("sort %q limit %d: got %d ids, want %d, in order %s", sort, limit, len(got), len(want), order)
			}
		}
		// The same with a filter, a scope and a search that keep every user.
		for _, p := range []query.UserListParams{{WithinCustomer: a}, {Q: "example.COM"}} {
			p.Sort, p.Limit = sort, 5
			if got := f.allUsers(p); !slices.Equal(got, want) {
				t.Errorf("sort %q, %+v: got %d ids, want %d", sort, p, len(got), len(want))
			}
		}
	}
}

func TestUserItemsGetAndScope(t *testing.T) {
	f := newFixture(t)
	users := query.NewUsers(f.pool)
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := f.add("Acme", "", "", now)
	a1 := f.add("Acme One", "", a, now)
	a11 := f.add("Acme One One", "", a1, now)
	b := f.add("Beta", "", "", now)
	ua := f.addUser(a, "Ada", "ada@acme.example", "boss", now)
	ua1 := f.addUser(a1, "Grace", "grace@acme.example", "", now.Add(time.Second))
	ua11 := f.addUser(a11, "Ken", "ken@acme.example", "", now.Add(2*time.Second))
	ub := f.addUser(b, "Linus", "linus@beta.example", "", now.Add(3*time.Second))
	if _, err := f.pool.Exec(f.ctx, "UPDATE users_v1 SET status = 'OFF', version = 4 WHERE id = $1", ua1); err != nil {
		t.Fatal(err)
	}

	page, err := users.List(f.ctx, query.UserListParams{})
	if err != nil || len(page.Items) != 4 || page.NextCursor != "" {
		t.Fatalf("page = %+v, %v", page, err)
	}
	it := page.Items[2] // newest first
	if it.ID != ua1 || it.Name != "Grace" || it.Email != "grace@acme.example" || it.CustomerID != a1 || it.CustomerName != "Acme One" ||
		it.Status != query.UserStatusOff || it.Role != "Technical View" || it.Version != 4 || !it.CreatedAt.Equal(now.Add(time.Second)) {
		t.Errorf("item = %+v", it)
	}
	// The JSON item has exactly the List User columns, plus id, customer_id, updated_at, version.
	raw, err := json.Marshal(page.Items[3])
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	want := []string{"created_at", "customer_id", "customer_name", "email", "id", "name", "remark", "role", "status", "updated_at", "version"}
	if got := slices.Sorted(maps.Keys(fields)); !slices.Equal(got, want) || fields["remark"] != "boss" {
		t.Errorf("JSON item = %s", raw)
	}

	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	for name, tc := range map[string]struct {
		p    query.UserListParams
		want []string
	}{
		"within a":              {query.UserListParams{WithinCustomer: a}, sorted(ua, ua1, ua11)},
		"within a1":             {query.UserListParams{WithinCustomer: a1}, sorted(ua1, ua11)},
		"within a11":            {query.UserListParams{WithinCustomer: a11}, sorted(ua11)},
		"within b":              {query.UserListParams{WithinCustomer: b}, sorted(ub)},
		"customer a":            {query.UserListParams{CustomerID: a}, sorted(ua)},
		"customer a1 within a":  {query.UserListParams{CustomerID: a1, WithinCustomer: a}, sorted(ua1)},
		"customer b within a":   {query.UserListParams{CustomerID: b, WithinCustomer: a}, nil},
		"customer a within a1":  {query.UserListParams{CustomerID: a, WithinCustomer: a1}, nil},
		"upper-case scope":      {query.UserListParams{WithinCustomer: upper(a1)}, sorted(ua1, ua11)},
		"search beta within a":  {query.UserListParams{WithinCustomer: a, Q: "beta"}, nil},
		"search acme within a1": {query.UserListParams{WithinCustomer: a1, Q: "acme"}, sorted(ua1, ua11)},
		"unknown scope":         {query.UserListParams{WithinCustomer: uuid.NewString()}, nil},
	} {
		tc.p.Limit = 1
		got := f.allUsers(tc.p)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}

	if got, err := users.Get(f.ctx, ua11); err != nil || got.ID != ua11 || got.CustomerName != "Acme One One" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	for name, tc := range map[string]struct {
		id, within string
		found      bool
	}{
		"own customer":      {ua1, a1, true},
		"descendant":        {ua11, a, true},
		"parent":            {ua, a1, false},
		"sibling":           {ub, a, false},
		"unknown":           {uuid.NewString(), "", false},
		"malformed id":      {"nope", "", false},
		"upper-case within": {ua11, upper(a), true},
	} {
		got, err := users.GetWithin(f.ctx, tc.id, tc.within)
		switch {
		case tc.found && (err != nil || got.ID != tc.id):
			t.Errorf("%s: GetWithin = %+v, %v", name, got, err)
		case !tc.found && !errors.Is(err, query.ErrNotFound):
			t.Errorf("%s: GetWithin err = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := users.GetWithin(f.ctx, ua, "x"); !errors.Is(err, query.ErrBadParam) {
		t.Errorf("GetWithin with a malformed scope: %v", err)
	}

	// The customers' scope helpers.
	for within, want := range map[string]int{"": 4, a: 3, a1: 2, b: 1, uuid.NewString(): 0} {
		if n, err := f.q.CountWithin(f.ctx, within); err != nil || n != want {
			t.Errorf("CountWithin(%q) = %d, %v, want %d", within, n, err, want)
		}
	}
	if _, err := f.q.CountWithin(f.ctx, "x"); !errors.Is(err, query.ErrBadParam) {
		t.Errorf("CountWithin(x): %v", err)
	}
	if c, err := f.q.GetWithin(f.ctx, a11, a); err != nil || c.ID != a11 {
		t.Errorf("GetWithin(a11, a) = %+v, %v", c, err)
	}
	if _, err := f.q.GetWithin(f.ctx, a, a1); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("GetWithin(a, a1): %v", err)
	}
	if _, err := f.q.GetWithin(f.ctx, b, a); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("GetWithin(b, a): %v", err)
	}
	if p, err := f.q.Path(f.ctx, upper(a11)); err != nil || !slices.Equal(p, []string{a11, a1, a}) {
		t.Errorf("Path(a11) = %v, %v", p, err)
	}
	if p, err := f.q.Path(f.ctx, b); err != nil || !slices.Equal(p, []string{b}) {
		t.Errorf("Path(b) = %v, %v", p, err)
	}
	if _, err := f.q.Path(f.ctx, uuid.NewString()); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("Path of an unknown customer: %v", err)
	}
}

func TestUserSearchIsLiteralAndCaseInsensitive(t *testing.T) {
	f := newFixture(t)
	at := time.Now().UTC()
	plain := f.add("Plain Co", "", "", at)
	pct := f.add("100% Pure", "", "", at)
	under := f.add("a_b Ltd", "", "", at)
	ids := map[string]string{}
	for _, u := range []struct{ customer, name, email string }{
		{plain, "Ada Lovelace", "ada@plain.example"},
		{plain, "Grace 50%", "grace@plain.example"},
		{plain, "Linus", "linus_t@plain.example"},
		{plain, "Ken", "kenxt@plain.example"},
		{pct, "Barbara", "barbara@pure.example"},
		{under, "Edsger", "edsger@ab.example"},
		{plain, `Back\slash`, "bs@plain.example"},
	} {
		ids[u.name] = f.addUser(u.customer, u.name, u.email, "", at)
	}
	for q, want := range map[string][]string{
		"LOVELACE":         {"Ada Lovelace"},         // name
		"GRACE@":           {"Grace 50%"},            // email
		"pure":             {"Barbara"},              // customer name
		"%":                {"Grace 50%", "Barbara"}, // a literal % in a name and a customer name
		"50%":              {"Grace 50%"},
		"_t@":              {"Linus"},  // a literal _ in an email, not "any character"
		"a_b":              {"Edsger"}, // a literal _ in a customer name
		"_":                {"Linus", "Edsger"},
		`k\s`:              {`Back\slash`}, // a literal backslash
		"  plain.example ": {"Ada Lovelace", "Grace 50%", "Linus", "Ken", `Back\slash`},
		"no such":          nil,
	} {
		var wantIDs []string
		for _, n := range want {
			wantIDs = append(wantIDs, ids[n])
		}
		got := f.allUsers(query.UserListParams{Q: q, Limit: 2})
		slices.Sort(got)
		slices.Sort(wantIDs)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("q=%q: got %v, want %v", q, got, want)
		}
	}
}

func TestUserListRejectsMisusedCursorsAndBadParams(t *testing.T) {
	f := newFixture(t)
	users := query.NewUsers(f.pool)
	at := time.Now().UTC()
	a := f.add("Acme", "", "", at)
	for range 5 {
		f.addUser(a, "Ada", uuid.NewString()+"@acme.example", "", at)
	}
	first, err := users.List(f.ctx, query.UserListParams{Q: "ada", Limit: 2})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	cur := first.NextCursor
	f.add("Ada Co", "", "", at)
	f.add("Ada Co 2", "", "", at)
	cpage, err := f.q.List(f.ctx, query.ListParams{Q: "ada", Limit: 1})
	if err != nil || cpage.NextCursor == "" {
		t.Fatalf("customers page: %+v, %v", cpage, err)
	}
	for name, p := range map[string]query.UserListParams{
		"other q":          {Q: "acme", Cursor: cur},
		"other sort":       {Q: "ada", Sort: "name", Cursor: cur},
		"added customer":   {Q: "ada", CustomerID: a, Cursor: cur},
		"added scope":      {Q: "ada", WithinCustomer: a, Cursor: cur},
		"a customers one":  {Q: "ada", Cursor: cpage.NextCursor},
		"garbage":          {Q: "ada", Cursor: "!!!"},
		"truncated":        {Q: "ada", Cursor: cur[:len(cur)/2]},
		"forged id":        {Cursor: base64.RawURLEncoding.EncodeToString([]byte(`{"s":"-created_at","k":"1","i":"1; DROP TABLE","f":""}`))},
		"different case q": {Q: "ADA", Cursor: cur},
	} {
		p.Limit = 2
		if _, err := users.List(f.ctx, p); !errors.Is(err, query.ErrBadCursor) {
			t.Errorf("%s: err = %v, want ErrBadCursor", name, err)
		}
	}
	// And a users cursor is no customers cursor.
	if _, err := f.q.List(f.ctx, query.ListParams{Q: "ada", Limit: 2, Cursor: cur}); !errors.Is(err, query.ErrBadCursor) {
		t.Errorf("a users cursor continued a customers listing: %v", err)
	}
	if _, err := users.List(f.ctx, query.UserListParams{Q: " ada ", Limit: 2, Cursor: cur}); err != nil {
		t.Errorf("continuing: %v", err)
	}
	for name, p := range map[string]query.UserListParams{
		"sort":      {Sort: "email"},
		"limit":     {Limit: -1},
		"customer":  {CustomerID: "nope"},
		"scope":     {WithinCustomer: "123"},
		"long q":    {Q: string(make([]rune, query.MaxQLength+1))},
		"invalid q": {Q: "\xff"},
	} {
		if _, err := users.List(f.ctx, p); !errors.Is(err, query.ErrBadParam) {
			t.Errorf("%s: err = %v, want ErrBadParam", name, err)
		}
	}
	if page, err := users.List(f.ctx, query.UserListParams{Limit: 10_000}); err != nil || len(page.Items) != 5 {
		t.Errorf("a limit above the maximum is lowered: %d items, %v", len(page.Items), err)
	}
}

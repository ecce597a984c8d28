package query

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// List limits.
const (
	// DefaultLimit is the page size when ListParams.Limit is 0.
	DefaultLimit = 50
	// MaxLimit is the largest page; a larger ListParams.Limit is lowered to it.
	MaxLimit = 200
	// MaxQLength is the longest search text, in characters.
	MaxQLength = 200
)

// Sorts of List. The default is SortCreatedDesc.
const (
	SortCreatedDesc = "-created_at"
	SortCreatedAsc  = "created_at"
	SortNameAsc     = "name"
	SortNameDesc    = "-name"
)

// CustomerItem is a customer as lists show it. ParentID and ParentName are null for a root
// customer.
type CustomerItem struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Address    string    `json:"address"`
	ParentID   *string   `json:"parent_id"`
	ParentName *string   `json:"parent_name"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// Version is the aggregate version, the customer's ETag.
	Version uint64 `json:"version"`
}

// ListParams selects and orders a page of customers.
type ListParams struct {
	// Q keeps customers whose name or address contains it, case-insensitively; % and _ are
	// literal characters. Surrounding spaces are ignored.
	Q string
	// ParentID keeps the direct children of that customer.
	ParentID string
	// Sort is one of SortCreatedDesc (default), SortCreatedAsc, SortNameAsc, SortNameDesc. Ties
	// are broken by id, so paging is stable.
	Sort string
	// Limit is the page size: 0 means DefaultLimit, more than MaxLimit means MaxLimit.
	Limit int
	// Cursor is the NextCursor of the previous page, or "" for the first page.
	Cursor string
	// WithinCustomer, when set, keeps only that customer and its descendants: the scope of a
	// user of that customer. Empty means every customer.
	WithinCustomer string
	// ExcludeSubtree, when set, leaves out that customer and its descendants: what "Management
	// by" must not offer for it (a customer cannot move under itself or below itself).
	ExcludeSubtree string
}

// Page is one page of customers.
type Page struct {
	Items []CustomerItem `json:"items"`
	// NextCursor continues the listing; it is empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Customers reads the customers read model.
type Customers struct {
	db *pgxpool.Pool
}

// NewCustomers returns the customer queries on pool.
func NewCustomers(pool *pgxpool.Pool) *Customers { return &Customers{db: pool} }

// sortSpec is how one sort orders rows and continues after a cursor.
type sortSpec struct {
	key   string // the sort key expression
	order string // ORDER BY clause
	after string // comparison with the cursor's (key, id)
	cast  string // type of the key parameter
}

var sorts = makeSorts("customers")

// makeSorts returns the sorts of a listing of view, whose id column (a uuid) breaks ties.
func makeSorts(view string) map[string]sortSpec {
	id := view + ".id"
	return map[string]sortSpec{
		SortCreatedDesc: {key: "created_at", order: "created_at DESC, " + id + " DESC", after: "<", cast: "timestamptz"},
		SortCreatedAsc:  {key: "created_at", order: "created_at, " + id, after: ">", cast: "timestamptz"},
		SortNameAsc:     {key: "lower(name)", order: "lower(name), " + id, after: ">", cast: "text"},
		SortNameDesc:    {key: "lower(name)", order: "lower(name) DESC, " + id + " DESC", after: "<", cast: "text"},
	}
}

// checkPage normalizes the parameters every listing shares: it trims q, defaults the sort and
// limit and lowers a limit above MaxLimit, and returns the sort's spec from specs.
func checkPage(q, sort *string, limit *int, specs map[string]sortSpec) (sortSpec, error) {
	*q = strings.TrimSpace(*q)
	if *sort == "" {
		*sort = SortCreatedDesc
	}
	spec, ok := specs[*sort]
	if !ok {
		return sortSpec{}, fmt.Errorf("%w: sort must be one of -created_at, created_at, name, -name (got %q)", ErrBadParam, *sort)
	}
	switch {
	case *limit < 0:
		return sortSpec{}, fmt.Errorf("%w: limit must not be negative", ErrBadParam)
	case *limit == 0:
		*limit = DefaultLimit
	case *limit > MaxLimit:
		*limit = MaxLimit
	}
	if utf8.RuneCountInString(*q) > MaxQLength || !utf8.ValidString(*q) {
		return sortSpec{}, fmt.Errorf("%w: q must be valid text of at most %d characters", ErrBadParam, MaxQLength)
	}
	return spec, nil
}

// itemColumns are the columns scanned by scanItem, followed by lower(name) for the cursor. The
// output column "id" is text, so ORDER BY and cursor comparisons name customers.id (the uuid)
// explicitly: a bare "id" there would sort by the text and miss the (created_at, id) index order.
const itemColumns = `id::text, name, address, parent_id::text, parent_name, created_at, updated_at, version, lower(name)`

// List returns a page of customers. It returns an error wrapping ErrBadParam or ErrBadCursor
// for invalid parameters.
func (c *Customers) List(ctx context.Context, p ListParams) (Page, error) {
	spec, err := checkPage(&p.Q, &p.Sort, &p.Limit, sorts)
	if err != nil {
		return Page{}, err
	}
	if p.ParentID, err = checkID("parent_id", p.ParentID); err != nil {
		return Page{}, err
	}
	if p.ExcludeSubtree, err = checkID("exclude_subtree", p.ExcludeSubtree); err != nil {
		return Page{}, err
	}
	if p.WithinCustomer, err = checkID("within_customer", p.WithinCustomer); err != nil {
		return Page{}, err
	}

	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.Q != "" {
		// lower(col) LIKE lower(pattern) is ILIKE that the trigram indexes on lower(col) serve.
		pat := arg("%" + escapeLike(p.Q) + "%")
		where = append(where, "(lower(name) LIKE lower("+pat+") OR lower(address) LIKE lower("+pat+"))")
	}
	if p.ParentID != "" {
		where = append(where, "parent_id = "+arg(p.ParentID)+"::uuid")
	}
	if p.WithinCustomer != "" {
		w := arg(p.WithinCustomer)
		where = append(where, "(id = "+w+"::uuid OR ancestors @> ARRAY["+w+"::uuid])")
	}
	if p.ExcludeSubtree != "" {
		x := arg(p.ExcludeSubtree)
		where = append(where, "NOT (id = "+x+"::uuid OR ancestors @> ARRAY["+x+"::uuid])")
	}
	filter := filterHash(p)
	if p.Cursor != "" {
		cond, err := after(p.Cursor, p.Sort, filter, spec, "customers.id", arg)
		if err != nil {
			return Page{}, err
		}
		where = append(where, cond)
	}

	sql := "SELECT " + itemColumns + " FROM customers"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY " + spec.order + " LIMIT " + arg(p.Limit+1)

	if p.Q != "" {
		// A search is planned with its pattern every time: the generic plan of a prepared
		// statement cannot know whether the pattern is selective and walks the whole
		// created_at index when few rows match (hundreds of ms at 100 000 customers), where the
		// trigram indexes answer in a few.
		args = append([]any{pgx.QueryExecModeExec}, args...)
	}
	rows, err := c.db.Query(ctx, sql, args...)
	if err != nil {
		return Page{}, fmt.Errorf("query: list customers: %w", err)
	}
	var keys []string
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CustomerItem, error) {
		it, lowerName, err := scanItem(r)
		keys = append(keys, lowerName)
		return it, err
	})
	if err != nil {
		return Page{}, fmt.Errorf("query: list customers: %w", err)
	}
	page := Page{Items: items}
	if len(items) > p.Limit {
		page.Items = items[:p.Limit]
		last := page.Items[p.Limit-1]
		page.NextCursor = nextCursor(p.Sort, filter, spec, last.ID, last.CreatedAt, keys[p.Limit-1])
	}
	if page.Items == nil {
		page.Items = []CustomerItem{}
	}
	return page, nil
}

// Children returns up to limit direct children of a customer, by name; the API names them when it
// refuses to delete their parent. limit <= 0 means DefaultLimit.
func (c *Customers) Children(ctx context.Context, parentID string, limit int) ([]CustomerItem, error) {
	parentID, err := checkID("parent_id", parentID)
	if err != nil || parentID == "" {
		return nil, fmt.Errorf("%w: parent_id must be a customer id", ErrBadParam)
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	rows, err := c.db.Query(ctx, "SELECT "+itemColumns+" FROM customers WHERE parent_id = $1::uuid ORDER BY lower(name), id LIMIT $2", parentID, limit)
	if err != nil {
		return nil, fmt.Errorf("query: children of %s: %w", parentID, err)
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CustomerItem, error) {
		it, _, err := scanItem(r)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("query: children of %s: %w", parentID, err)
	}
	return items, nil
}

// Get returns one customer, or an error wrapping ErrNotFound.
func (c *Customers) Get(ctx context.Context, id string) (CustomerItem, error) {
	return c.GetWithin(ctx, id, "")
}

// GetWithin returns one customer if it is withinCustomer or one of its descendants (any customer
// when withinCustomer is empty), or an error wrapping ErrNotFound: a customer out of scope is not
// found, exactly like one that does not exist. It returns ErrBadParam for a malformed
// withinCustomer.
func (c *Customers) GetWithin(ctx context.Context, id, withinCustomer string) (CustomerItem, error) {
	id, err := checkID("id", id)
	if err != nil || id == "" {
		return CustomerItem{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if withinCustomer, err = checkID("within_customer", withinCustomer); err != nil {
		return CustomerItem{}, err
	}
	sql := "SELECT " + itemColumns + " FROM customers WHERE id = $1::uuid"
	args := []any{id}
	if withinCustomer != "" {
		sql += " AND (id = $2::uuid OR ancestors @> ARRAY[$2::uuid])"
		args = append(args, withinCustomer)
	}
	rows, err := c.db.Query(ctx, sql, args...)
	if err != nil {
		return CustomerItem{}, fmt.Errorf("query: customer %s: %w", id, err)
	}
	it, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (CustomerItem, error) {
		it, _, err := scanItem(r)
		return it, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return CustomerItem{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return CustomerItem{}, fmt.Errorf("query: customer %s: %w", id, err)
	}
	return it, nil
}

// CountWithin returns how many customers are withinCustomer or one of its descendants, or how many
// customers there are when withinCustomer is empty. It returns ErrBadParam for a malformed id.
func (c *Customers) CountWithin(ctx context.Context, withinCustomer string) (int, error) {
	withinCustomer, err := checkID("within_customer", withinCustomer)
	if err != nil {
		return 0, err
	}
	var n int
	if withinCustomer == "" {
		err = c.db.QueryRow(ctx, "SELECT count(*) FROM customers").Scan(&n)
	} else {
		err = c.db.QueryRow(ctx, "SELECT count(*) FROM customers WHERE id = $1::uuid OR ancestors @> ARRAY[$1::uuid]", withinCustomer).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("query: count customers: %w", err)
	}
	return n, nil
}

// Path returns a customer's path: its id followed by its ancestors' ids up to its root, e.g.
// [A1, A, R] for A1 under A under the root R (the path the auth package's scope checks take), or an
// error wrapping ErrNotFound.
func (c *Customers) Path(ctx context.Context, id string) ([]string, error) {
	id, err := checkID("id", id)
	if err != nil || id == "" {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	var path []string
	err = c.db.QueryRow(ctx, "SELECT array_prepend(id, ancestors)::text[] FROM customers WHERE id = $1::uuid", id).Scan(&path)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("query: path of customer %s: %w", id, err)
	}
	return path, nil
}

// scanItem scans itemColumns.
func scanItem(r pgx.CollectableRow) (CustomerItem, string, error) {
	var (
		it        CustomerItem
		version   int64
		lowerName string
	)
	err := r.Scan(&it.ID, &it.Name, &it.Address, &it.ParentID, &it.ParentName, &it.CreatedAt, &it.UpdatedAt, &version, &lowerName)
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	it.Version = uint64(version)
	return it, lowerName, err
}

// escapeLike makes every character of s literal in a LIKE pattern (escape character \).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// checkID checks an optional id parameter and returns it in canonical (lower-case) form.
func checkID(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return "", fmt.Errorf("%w: %s must be a customer id (a UUID)", ErrBadParam, field)
	}
	return id.String(), nil
}

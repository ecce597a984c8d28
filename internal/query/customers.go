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

var sorts = map[string]sortSpec{
	SortCreatedDesc: {key: "created_at", order: "created_at DESC, customers.id DESC", after: "<", cast: "timestamptz"},
	SortCreatedAsc:  {key: "created_at", order: "created_at, customers.id", after: ">", cast: "timestamptz"},
	SortNameAsc:     {key: "lower(name)", order: "lower(name), customers.id", after: ">", cast: "text"},
	SortNameDesc:    {key: "lower(name)", order: "lower(name) DESC, customers.id DESC", after: "<", cast: "text"},
}

// itemColumns are the columns scanned by scanItem, followed by lower(name) for the cursor. The
// output column "id" is text, so ORDER BY and cursor comparisons name customers.id (the uuid)
// explicitly: a bare "id" there would sort by the text and miss the (created_at, id) index order.
const itemColumns = `id::text, name, address, parent_id::text, parent_name, created_at, updated_at, version, lower(name)`

// List returns a page of customers. It returns an error wrapping ErrBadParam or ErrBadCursor
// for invalid parameters.
func (c *Customers) List(ctx context.Context, p ListParams) (Page, error) {
	p.Q = strings.TrimSpace(p.Q)
	if p.Sort == "" {
		p.Sort = SortCreatedDesc
	}
	spec, ok := sorts[p.Sort]
	if !ok {
		return Page{}, fmt.Errorf("%w: sort must be one of -created_at, created_at, name, -name (got %q)", ErrBadParam, p.Sort)
	}
	switch {
	case p.Limit < 0:
		return Page{}, fmt.Errorf("%w: limit must not be negative", ErrBadParam)
	case p.Limit == 0:
		p.Limit = DefaultLimit
	case p.Limit > MaxLimit:
		p.Limit = MaxLimit
	}
	if utf8.RuneCountInString(p.Q) > MaxQLength || !utf8.ValidString(p.Q) {
		return Page{}, fmt.Errorf("%w: q must be valid text of at most %d characters", ErrBadParam, MaxQLength)
	}
	var err error
	if p.ParentID, err = checkID("parent_id", p.ParentID); err != nil {
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
	filter := filterHash(p)
	if p.Cursor != "" {
		cur, err := decodeCursor(p.Cursor, p.Sort, filter)
		if err != nil {
			return Page{}, err
		}
		var key any = cur.Key
		if spec.cast == "timestamptz" {
			if key, err = parseCreatedKey(cur.Key); err != nil {
				return Page{}, err
			}
		}
		where = append(where, "("+spec.key+", customers.id) "+spec.after+" ("+arg(key)+"::"+spec.cast+", "+arg(cur.ID)+"::uuid)")
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
		cur := cursor{Sort: p.Sort, ID: last.ID, Filter: filter, Key: keys[p.Limit-1]}
		if spec.cast == "timestamptz" {
			cur.Key = createdKey(last.CreatedAt)
		}
		page.NextCursor = cur.encode()
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
	id, err := checkID("id", id)
	if err != nil || id == "" {
		return CustomerItem{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	rows, err := c.db.Query(ctx, "SELECT "+itemColumns+" FROM customers WHERE id = $1::uuid", id)
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

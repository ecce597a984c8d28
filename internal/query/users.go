package query

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// User statuses.
const (
	// UserStatusOn is an enabled user.
	UserStatusOn = "ON"
	// UserStatusOff is a disabled user, which has no access.
	UserStatusOff = "OFF"
)

// UserItem is a user as the List User page shows it: Name | Email | Created At | Role | Customer |
// Status | Remark. It never carries a password, a hash or a token: the read model holds none.
type UserItem struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Email        string    `json:"email"`
	CreatedAt    time.Time `json:"created_at"`
	Role         string    `json:"role"`
	CustomerID   string    `json:"customer_id"`
	CustomerName string    `json:"customer_name"`
	// Status is UserStatusOn or UserStatusOff.
	Status    string    `json:"status"`
	Remark    string    `json:"remark"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version is the aggregate version, the user's ETag.
	Version uint64 `json:"version"`
}

// UserListParams selects and orders a page of users.
type UserListParams struct {
	// Q keeps users whose name, email or customer name contains it, case-insensitively; % and _
	// are literal characters. Surrounding spaces are ignored.
	Q string
	// CustomerID keeps the users of that customer (not of its descendants).
	CustomerID string
	// Sort is one of SortCreatedDesc (default), SortCreatedAsc, SortNameAsc, SortNameDesc (by
	// the user's name). Ties are broken by id, so paging is stable.
	Sort string
	// Limit is the page size: 0 means DefaultLimit, more than MaxLimit means MaxLimit.
	Limit int
	// Cursor is the NextCursor of the previous page, or "" for the first page.
	Cursor string
	// WithinCustomer, when set, keeps only the users of that customer and of its descendants: the
	// scope of a user of that customer. Empty means every user.
	WithinCustomer string
}

// UserPage is one page of users.
type UserPage struct {
	Items []UserItem `json:"items"`
	// NextCursor continues the listing; it is empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Users reads the users read model.
type Users struct {
	db *pgxpool.Pool
}

// NewUsers returns the user queries on pool.
func NewUsers(pool *pgxpool.Pool) *Users { return &Users{db: pool} }

var userSorts = makeSorts("users")

// userColumns are the columns scanned by scanUser, followed by lower(name) for the cursor. As in
// itemColumns, the output column "id" is text: ORDER BY and cursors name users.id (the uuid).
const userColumns = `id::text, name, email, created_at, role, customer_id::text, customer_name, status, remark, updated_at, version, lower(name)`

// List returns a page of users. It returns an error wrapping ErrBadParam or ErrBadCursor for
// invalid parameters.
func (u *Users) List(ctx context.Context, p UserListParams) (UserPage, error) {
	spec, err := checkPage(&p.Q, &p.Sort, &p.Limit, userSorts)
	if err != nil {
		return UserPage{}, err
	}
	if p.CustomerID, err = checkID("customer_id", p.CustomerID); err != nil {
		return UserPage{}, err
	}
	if p.WithinCustomer, err = checkID("within_customer", p.WithinCustomer); err != nil {
		return UserPage{}, err
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
		where = append(where, "(lower(name) LIKE lower("+pat+") OR lower(email) LIKE lower("+pat+") OR lower(customer_name) LIKE lower("+pat+"))")
	}
	if p.CustomerID != "" {
		where = append(where, "customer_id = "+arg(p.CustomerID)+"::uuid")
	}
	if p.WithinCustomer != "" {
		w := arg(p.WithinCustomer)
		where = append(where, "(customer_id = "+w+"::uuid OR customer_ancestors @> ARRAY["+w+"::uuid])")
	}
	filter := userFilterHash(p)
	if p.Cursor != "" {
		cond, err := after(p.Cursor, p.Sort, filter, spec, "users.id", arg)
		if err != nil {
			return UserPage{}, err
		}
		where = append(where, cond)
	}

	sql := "SELECT " + userColumns + " FROM users"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY " + spec.order + " LIMIT " + arg(p.Limit+1)
	if p.Q != "" {
		// Planned with its pattern every time, as Customers.List explains.
		args = append([]any{pgx.QueryExecModeExec}, args...)
	}
	rows, err := u.db.Query(ctx, sql, args...)
	if err != nil {
		return UserPage{}, fmt.Errorf("query: list users: %w", err)
	}
	var keys []string
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (UserItem, error) {
		it, lowerName, err := scanUser(r)
		keys = append(keys, lowerName)
		return it, err
	})
	if err != nil {
		return UserPage{}, fmt.Errorf("query: list users: %w", err)
	}
	page := UserPage{Items: items}
	if len(items) > p.Limit {
		page.Items = items[:p.Limit]
		last := page.Items[p.Limit-1]
		page.NextCursor = nextCursor(p.Sort, filter, spec, last.ID, last.CreatedAt, keys[p.Limit-1])
	}
	if page.Items == nil {
		page.Items = []UserItem{}
	}
	return page, nil
}

// Get returns one user, or an error wrapping ErrNotFound.
func (u *Users) Get(ctx context.Context, id string) (UserItem, error) {
	return u.GetWithin(ctx, id, "")
}

// GetWithin returns one user if its customer is withinCustomer or one of its descendants (any
// user when withinCustomer is empty), or an error wrapping ErrNotFound: a user out of scope is
// not found, exactly like one that does not exist. It returns ErrBadParam for a malformed
// withinCustomer.
func (u *Users) GetWithin(ctx context.Context, id, withinCustomer string) (UserItem, error) {
	id, err := checkID("id", id)
	if err != nil || id == "" {
		return UserItem{}, fmt.Errorf("%w: user %q", ErrNotFound, id)
	}
	if withinCustomer, err = checkID("within_customer", withinCustomer); err != nil {
		return UserItem{}, err
	}
	sql := "SELECT " + userColumns + " FROM users WHERE id = $1::uuid"
	args := []any{id}
	if withinCustomer != "" {
		sql += " AND (customer_id = $2::uuid OR customer_ancestors @> ARRAY[$2::uuid])"
		args = append(args, withinCustomer)
	}
	rows, err := u.db.Query(ctx, sql, args...)
	if err != nil {
		return UserItem{}, fmt.Errorf("query: user %s: %w", id, err)
	}
	it, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (UserItem, error) {
		it, _, err := scanUser(r)
		return it, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return UserItem{}, fmt.Errorf("%w: user %s", ErrNotFound, id)
	}
	if err != nil {
		return UserItem{}, fmt.Errorf("query: user %s: %w", id, err)
	}
	return it, nil
}

// scanUser scans userColumns.
func scanUser(r pgx.CollectableRow) (UserItem, string, error) {
	var (
		it        UserItem
		version   int64
		lowerName string
	)
	err := r.Scan(&it.ID, &it.Name, &it.Email, &it.CreatedAt, &it.Role, &it.CustomerID, &it.CustomerName,
		&it.Status, &it.Remark, &it.UpdatedAt, &version, &lowerName)
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	it.Version = uint64(version)
	return it, lowerName, err
}

package query

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// cursor is the position after the last item of a page: the sort key and id of that item, plus
// what the page was listed with, so that a cursor used with other parameters is refused rather
// than silently skipping or repeating rows.
type cursor struct {
	// Sort is the sort the cursor belongs to.
	Sort string `json:"s"`
	// Key is the sort key of the last item: created_at in Unix microseconds, or lower(name).
	Key string `json:"k"`
	// ID is the id of the last item, the tie-breaker.
	ID string `json:"i"`
	// Filter is a hash of the filters (q, parent or customer, scope) and, for users, of the listing.
	Filter string `json:"f"`
}

// encode returns the opaque form handed to clients.
func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses s and checks that it belongs to sort and filter.
func decodeCursor(s, sort, filter string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, fmt.Errorf("%w: not base64url", ErrBadCursor)
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return cursor{}, fmt.Errorf("%w: malformed", ErrBadCursor)
	}
	if c.Sort != sort {
		return cursor{}, fmt.Errorf("%w: it belongs to sort %q, not %q", ErrBadCursor, c.Sort, sort)
	}
	if c.Filter != filter {
		return cursor{}, fmt.Errorf("%w: it belongs to other filters (q, parent_id, customer_id or scope) or another listing", ErrBadCursor)
	}
	if _, err := uuid.Parse(c.ID); err != nil {
		return cursor{}, fmt.Errorf("%w: malformed id", ErrBadCursor)
	}
	return c, nil
}

// createdKey encodes a creation time as a cursor key; Postgres keeps microseconds.
func createdKey(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// parseCreatedKey decodes createdKey.
func parseCreatedKey(k string) (time.Time, error) {
	us, err := strconv.ParseInt(k, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: malformed key", ErrBadCursor)
	}
	return time.UnixMicro(us).UTC(), nil
}

// filterHash identifies the filters a customers cursor was made for.
func filterHash(p ListParams) string {
	if p.ExcludeSubtree != "" {
		return hashFilters(p.Q, p.ParentID, p.WithinCustomer, "exclude", p.ExcludeSubtree)
	}
	return hashFilters(p.Q, p.ParentID, p.WithinCustomer)
}

// userFilterHash identifies the filters a users cursor was made for. The leading "users" keeps a
// customers cursor from passing for a users cursor.
func userFilterHash(p UserListParams) string {
	return hashFilters("users", p.Q, p.CustomerID, p.WithinCustomer)
}

// hashFilters hashes filter values, each terminated by a NUL.
func hashFilters(parts ...string) string {
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// after returns the condition continuing a listing after cursor s (made for sortName and filter)
// in the order of spec; id is the uuid column that breaks ties, arg adds a query parameter.
func after(s, sortName, filter string, spec sortSpec, id string, arg func(any) string) (string, error) {
	cur, err := decodeCursor(s, sortName, filter)
	if err != nil {
		return "", err
	}
	var key any = cur.Key
	if spec.cast == "timestamptz" {
		if key, err = parseCreatedKey(cur.Key); err != nil {
			return "", err
		}
	}
	return "(" + spec.key + ", " + id + ") " + spec.after + " (" + arg(key) + "::" + spec.cast + ", " + arg(cur.ID) + "::uuid)", nil
}

// nextCursor returns the cursor after the last item of a page.
func nextCursor(sortName, filter string, spec sortSpec, id string, created time.Time, lowerName string) string {
	cur := cursor{Sort: sortName, ID: id, Filter: filter, Key: lowerName}
	if spec.cast == "timestamptz" {
		cur.Key = createdKey(created)
	}
	return cur.encode()
}

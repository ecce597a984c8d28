package query

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Audit answers the customer history and the Audit Log from the audit read model (view audit).
type Audit struct {
	db *pgxpool.Pool
}

// NewAudit returns an Audit reading db.
func NewAudit(db *pgxpool.Pool) *Audit { return &Audit{db: db} }

// AuditEntry is one event as the history and the Audit Log show it.
type AuditEntry struct {
	Seq              uint64          `json:"seq"`
	EventID          string          `json:"event_id"`
	Time             time.Time       `json:"time"`
	Type             string          `json:"type"`
	ActionType       string          `json:"action_type"`
	Action           string          `json:"action"`
	ResourceType     string          `json:"resource_type"`
	ResourceID       string          `json:"resource_id"`
	ResourceName     string          `json:"resource_name"`
	CustomerID       string          `json:"customer_id,omitempty"`
	CustomerName     string          `json:"customer_name"`
	ActorType        string          `json:"actor_type"`
	ActorID          string          `json:"actor_id,omitempty"`
	ActorEmail       string          `json:"actor_email"`
	RequestID        string          `json:"request_id"`
	AggregateVersion uint64          `json:"aggregate_version"`
	Change           json.RawMessage `json:"change"`
}

// AuditPage is one page of entries; NextCursor is empty on the last page.
type AuditPage struct {
	Items      []AuditEntry
	NextCursor string
}

// auditColumns are the columns scanAudit reads.
const auditColumns = `seq, event_id, time, type, action_type, action, resource_type, resource_id::text, resource_name,
	coalesce(customer_id::text, ''), customer_name, actor_type, coalesce(actor_id::text, ''), actor_email, request_id,
	aggregate_version, change::text`

func scanAudit(r pgx.CollectableRow) (AuditEntry, error) {
	var (
		e      AuditEntry
		ver    int64
		change string
	)
	err := r.Scan(&e.Seq, &e.EventID, &e.Time, &e.Type, &e.ActionType, &e.Action, &e.ResourceType, &e.ResourceID, &e.ResourceName,
		&e.CustomerID, &e.CustomerName, &e.ActorType, &e.ActorID, &e.ActorEmail, &e.RequestID, &ver, &change)
	e.Time = e.Time.UTC()
	e.AggregateVersion = uint64(ver)
	e.Change = json.RawMessage(change)
	return e, err
}

// auditCursor is the position after the last entry of a page.
type auditCursor struct {
	// Time is the entry's time in Unix microseconds (the Audit Log only).
	Time int64 `json:"t,omitempty"`
	// Seq is the entry's stream sequence.
	Seq uint64 `json:"q"`
	// Filter is a hash of the query's filters and scope.
	Filter string `json:"f"`
}

func (c auditCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeAuditCursor(s, filter string) (auditCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return auditCursor{}, fmt.Errorf("%w: not base64url", ErrBadCursor)
	}
	var c auditCursor
	if err := json.Unmarshal(b, &c); err != nil || c.Seq == 0 {
		return auditCursor{}, fmt.Errorf("%w: malformed", ErrBadCursor)
	}
	if c.Filter != filter {
		return auditCursor{}, fmt.Errorf("%w: it belongs to other filters", ErrBadCursor)
	}
	return c, nil
}

// CustomerWithin reports whether the audit log knows customer id within the subtree of
// withinCustomer (any customer when it is empty), judged by where the customer stood at its
// latest event: the reach test for the history of a deleted customer.
func (a *Audit) CustomerWithin(ctx context.Context, id, withinCustomer string) (bool, error) {
	id, err := checkID("id", id)
	if err != nil || id == "" {
		return false, err
	}
	if withinCustomer, err = checkID("within_customer", withinCustomer); err != nil {
		return false, err
	}
	var ok bool
	err = a.db.QueryRow(ctx, `
		SELECT $2 = '' OR customer_id = $2::text::uuid OR customer_ancestors @> ARRAY[nullif($2, '')::uuid]
		FROM audit WHERE customer_id = $1::uuid ORDER BY seq DESC LIMIT 1`, id, withinCustomer).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("query: audit of customer %s: %w", id, err)
	}
	return ok, nil
}

// History returns the events of customer id and of its users, domains and exports in stream
// order (a domain or user that moved away keeps its events before the move, and the move), limit
// (1–100) at a time after cursor.
func (a *Audit) History(ctx context.Context, id string, limit int, cursor string) (AuditPage, error) {
	id, err := checkID("id", id)
	if err != nil || id == "" {
		return AuditPage{}, fmt.Errorf("%w: id", ErrBadParam)
	}
	limit = clampLimit(limit)
	filter := hashFilters("history", id)
	var after uint64
	if cursor != "" {
		c, err := decodeAuditCursor(cursor, filter)
		if err != nil {
			return AuditPage{}, err
		}
		after = c.Seq
	}
	rows, err := a.db.Query(ctx, `SELECT `+auditColumns+` FROM audit
		WHERE (customer_id = $1::uuid OR other_customer_id = $1::uuid) AND seq > $2
		ORDER BY seq LIMIT $3`, id, int64(after), limit+1)
	if err != nil {
		return AuditPage{}, fmt.Errorf("query: history of %s: %w", id, err)
	}
	items, err := pgx.CollectRows(rows, scanAudit)
	if err != nil {
		return AuditPage{}, fmt.Errorf("query: history of %s: %w", id, err)
	}
	page := AuditPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = auditCursor{Seq: page.Items[limit-1].Seq, Filter: filter}.encode()
	}
	if page.Items == nil {
		page.Items = []AuditEntry{}
	}
	return page, nil
}

// AuditParams are the Audit Log's filters. Since and Until are required.
type AuditParams struct {
	// Since and Until bound the entries' time: Since <= time < Until.
	Since, Until time.Time
	// ActorID or ActorEmail (case-insensitive) keep the entries of one actor.
	ActorID, ActorEmail string
	// ActionType keeps one action type (Add, Edit, Delete, Download).
	ActionType string
	// ResourceType keeps one resource type (customer, user, domain, export).
	ResourceType string
	// CustomerID keeps the entries of a customer and of its subtree.
	CustomerID string
	// Q keeps the entries whose action or actor email contains it, case-insensitively.
	Q string
	// Oldest lists oldest first; newest first otherwise.
	Oldest bool
	// WithinCustomer is the caller's scope: the entries of that customer and its subtree (where
	// they stood when the event happened); empty for everything.
	WithinCustomer string
	Limit          int
	Cursor         string
}

// Log returns a page of the Audit Log.
func (a *Audit) Log(ctx context.Context, p AuditParams) (AuditPage, error) {
	if p.Since.IsZero() || p.Until.IsZero() {
		return AuditPage{}, fmt.Errorf("%w: since and until are required", ErrBadParam)
	}
	var err error
	if p.ActorID, err = checkID("actor", p.ActorID); err != nil {
		return AuditPage{}, err
	}
	if p.CustomerID, err = checkID("customer_id", p.CustomerID); err != nil {
		return AuditPage{}, err
	}
	if p.WithinCustomer, err = checkID("within_customer", p.WithinCustomer); err != nil {
		return AuditPage{}, err
	}
	limit := clampLimit(p.Limit)
	order := "DESC"
	if p.Oldest {
		order = "ASC"
	}
	filter := hashFilters("audit", p.Since.UTC().Format(time.RFC3339Nano), p.Until.UTC().Format(time.RFC3339Nano), p.ActorID,
		strings.ToLower(p.ActorEmail), p.ActionType, p.ResourceType, p.CustomerID, p.Q, order, p.WithinCustomer)

	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where = append(where, "time >= "+arg(p.Since), "time < "+arg(p.Until))
	if p.ActorID != "" {
		where = append(where, "actor_id = "+arg(p.ActorID)+"::uuid")
	}
	if p.ActorEmail != "" {
		where = append(where, "lower(actor_email) = "+arg(strings.ToLower(p.ActorEmail)))
	}
	if p.ActionType != "" {
		where = append(where, "action_type = "+arg(p.ActionType))
	}
	if p.ResourceType != "" {
		where = append(where, "resource_type = "+arg(p.ResourceType))
	}
	for _, c := range []string{p.CustomerID, p.WithinCustomer} {
		if c != "" {
			n := arg(c)
			where = append(where, "(customer_id = "+n+"::uuid OR customer_ancestors @> ARRAY["+n+"::uuid])")
		}
	}
	if p.Q != "" {
		where = append(where, "lower(action || ' ' || actor_email) LIKE "+arg("%"+escapeLike(strings.ToLower(p.Q))+"%"))
	}
	if p.Cursor != "" {
		c, err := decodeAuditCursor(p.Cursor, filter)
		if err != nil {
			return AuditPage{}, err
		}
		cmp := "<"
		if p.Oldest {
			cmp = ">"
		}
		where = append(where, "(time, seq) "+cmp+" ("+arg(time.UnixMicro(c.Time).UTC())+"::timestamptz, "+arg(int64(c.Seq))+"::bigint)")
	}
	sql := "SELECT " + auditColumns + " FROM audit WHERE " + strings.Join(where, " AND ") +
		" ORDER BY time " + order + ", seq " + order + " LIMIT " + arg(limit+1)
	rows, err := a.db.Query(ctx, sql, args...)
	if err != nil {
		return AuditPage{}, fmt.Errorf("query: audit log: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanAudit)
	if err != nil {
		return AuditPage{}, fmt.Errorf("query: audit log: %w", err)
	}
	page := AuditPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = auditCursor{Time: last.Time.UnixMicro(), Seq: last.Seq, Filter: filter}.encode()
	}
	if page.Items == nil {
		page.Items = []AuditEntry{}
	}
	return page, nil
}

// clampLimit makes 0 DefaultLimit and lowers a limit above MaxLimit.
func clampLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultLimit
	case limit > MaxLimit:
		return MaxLimit
	}
	return limit
}

// Resource is an aggregate the audit log shows.
type Resource struct {
	Type string // customer, user, domain or export
	ID   string
}

// Resources lists the users, domains and exports that ever belonged to customer id, as the audit
// log knows them, and the customer itself.
func (a *Audit) Resources(ctx context.Context, id string) ([]Resource, error) {
	id, err := checkID("id", id)
	if err != nil || id == "" {
		return nil, fmt.Errorf("%w: id", ErrBadParam)
	}
	rows, err := a.db.Query(ctx, `SELECT DISTINCT resource_type, resource_id::text FROM audit
		WHERE customer_id = $1::uuid OR other_customer_id = $1::uuid ORDER BY 1, 2`, id)
	if err != nil {
		return nil, fmt.Errorf("query: resources of %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Resource, error) {
		var x Resource
		return x, r.Scan(&x.Type, &x.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("query: resources of %s: %w", id, err)
	}
	return out, nil
}

// SeqsWithin returns the stream sequences of the audited events after seq after whose customer
// stood within the subtree of withinCustomer when they happened, in order, at most limit.
func (a *Audit) SeqsWithin(ctx context.Context, withinCustomer string, after uint64, limit int) ([]uint64, error) {
	within, err := checkID("within_customer", withinCustomer)
	if err != nil || within == "" {
		return nil, fmt.Errorf("%w: within_customer is required", ErrBadParam)
	}
	rows, err := a.db.Query(ctx, `SELECT seq FROM audit WHERE seq > $1
		AND (customer_id = $2::uuid OR customer_ancestors @> ARRAY[$2::uuid]) ORDER BY seq LIMIT $3`, int64(after), within, limit)
	if err != nil {
		return nil, fmt.Errorf("query: audited events: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[uint64])
}

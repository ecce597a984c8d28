package query

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ExportItem is an export as a customer's export list shows it.
type ExportItem struct {
	ID          string     `json:"id"`
	CustomerID  string     `json:"customer_id"`
	Status      string     `json:"status"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	Rows        *int       `json:"rows"`
	Bytes       *int64     `json:"bytes"`
	SHA256      *string    `json:"sha256"`
	Filename    *string    `json:"filename"`
	ExpiresAt   *time.Time `json:"expires_at"`
	Reason      *string    `json:"reason"`
	ReasonCode  *string    `json:"reason_code"`
	Downloads   int        `json:"downloads"`
	// ObjectKey is where the file is; never shown to clients.
	ObjectKey *string `json:"-"`
}

// ExportPage is one page of exports.
type ExportPage struct {
	Items      []ExportItem `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// Exports reads the exports read model.
type Exports struct {
	db *pgxpool.Pool
}

// NewExports returns the export queries on pool.
func NewExports(pool *pgxpool.Pool) *Exports { return &Exports{db: pool} }

const exportColumns = `id::text, customer_id::text, status, requested_by, requested_at, started_at, finished_at, rows, bytes,
	sha256, filename, expires_at, reason, reason_code, downloads, object_key`

func scanExport(r pgx.Row, now time.Time) (ExportItem, error) {
	var x ExportItem
	err := r.Scan(&x.ID, &x.CustomerID, &x.Status, &x.RequestedBy, &x.RequestedAt, &x.StartedAt, &x.FinishedAt, &x.Rows, &x.Bytes,
		&x.SHA256, &x.Filename, &x.ExpiresAt, &x.Reason, &x.ReasonCode, &x.Downloads, &x.ObjectKey)
	if err == nil && x.Status == "succeeded" && x.ExpiresAt != nil && !now.Before(*x.ExpiresAt) {
		x.Status = "expired" // past its expiry, whether or not the sweep recorded it yet
	}
	return x, err
}

// ListByCustomer returns a customer's exports, newest first, limit per page (1–100, 0 = 50).
func (e *Exports) ListByCustomer(ctx context.Context, customerID string, limit int, cursorText string) (ExportPage, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, 100)
	id, err := checkID("customer_id", customerID)
	if err != nil {
		return ExportPage{}, err
	}
	filter := hashFilters("exports", id)
	args := []any{id, limit + 1}
	where := "customer_id = $1::uuid"
	if cursorText != "" {
		cur, err := decodeCursor(cursorText, "-requested_at", filter)
		if err != nil {
			return ExportPage{}, err
		}
		at, err := parseCreatedKey(cur.Key)
		if err != nil {
			return ExportPage{}, err
		}
		args = append(args, at, cur.ID)
		where += " AND (requested_at, id) < ($3::timestamptz, $4::uuid)"
	}
	rows, err := e.db.Query(ctx, "SELECT "+exportColumns+" FROM exports WHERE "+where+" ORDER BY requested_at DESC, id DESC LIMIT $2", args...)
	if err != nil {
		return ExportPage{}, fmt.Errorf("query: list exports: %w", err)
	}
	now := time.Now()
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExportItem, error) { return scanExport(r, now) })
	if err != nil {
		return ExportPage{}, fmt.Errorf("query: list exports: %w", err)
	}
	page := ExportPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = cursor{Sort: "-requested_at", Key: createdKey(last.RequestedAt), ID: last.ID, Filter: filter}.encode()
	}
	if page.Items == nil {
		page.Items = []ExportItem{}
	}
	return page, nil
}

// Expired returns up to limit succeeded exports whose files are past their expiry at now, oldest
// first, for the sweep that removes them.
func (e *Exports) Expired(ctx context.Context, now time.Time, limit int) ([]ExportItem, error) {
	rows, err := e.db.Query(ctx, "SELECT "+exportColumns+` FROM exports WHERE status = 'succeeded' AND expires_at <= $1
		ORDER BY expires_at LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("query: expired exports: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExportItem, error) {
		x, err := scanExport(r, time.Time{}) // keep the stored status
		return x, err
	})
}

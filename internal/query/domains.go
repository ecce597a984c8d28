package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/net/idna"

	"github.com/toffstech/customer-management/internal/events"
)

// Sorts of Domains.List. The default is SortHostAsc; SortCreatedAsc and SortCreatedDesc sort by
// creation date.
const (
	SortHostAsc  = "host"
	SortHostDesc = "-host"
)

// DomainItem is a domain as the API shows it: the reference's domain JSON shape (Settings) plus
// its id, customer, timestamps and version. MarshalJSON flattens it into one object.
type DomainItem struct {
	ID           string
	CustomerID   string
	CustomerName string
	// Host is the lower-case punycode host, the same as Settings' "host".
	Host string
	// Settings is the settings object, the JSON of events.DomainSettings.
	Settings  json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version is the aggregate version, the domain's ETag.
	Version uint64
}

// domainJSON is the JSON form of a DomainItem: the settings' fields between the item's own.
type domainJSON struct {
	ID           string `json:"id"`
	CustomerID   string `json:"customer_id"`
	CustomerName string `json:"customer_name"`
	events.DomainSettings
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   uint64    `json:"version"`
}

// MarshalJSON encodes the item as one object: id, customer_id and customer_name, then the fields
// of the settings in the reference's order (host, http_ports, …, waf, each nested object in its
// own order too), then created_at, updated_at and version. Settings without a host take Host.
func (d DomainItem) MarshalJSON() ([]byte, error) {
	var s events.DomainSettings
	if t := bytes.TrimSpace(d.Settings); len(t) > 0 {
		var err error
		if s, err = decodeSettings(t); err != nil {
			return nil, fmt.Errorf("query: domain item %s: settings: %w", d.ID, err)
		}
	}
	if s.Host == "" {
		s.Host = d.Host
	}
	return json.Marshal(domainJSON{ID: d.ID, CustomerID: d.CustomerID, CustomerName: d.CustomerName, DomainSettings: s,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Version: d.Version})
}

// DomainSettings decodes the item's settings.
func (d DomainItem) DomainSettings() (events.DomainSettings, error) {
	s, err := decodeSettings(d.Settings)
	if err != nil {
		return events.DomainSettings{}, fmt.Errorf("query: settings of domain %s: %w", d.ID, err)
	}
	return s, nil
}

// DomainListParams selects and orders a page of one customer's domains.
type DomainListParams struct {
	// CustomerID is the customer whose domains are listed (not those of its descendants).
	// Required.
	CustomerID string
	// Q keeps domains whose host contains it, case-insensitively; % and _ are literal characters.
	// Surrounding spaces are ignored. Q with non-ASCII letters also matches the punycode of its
	// labels (bücher finds xn--bcher-kva.example).
	Q string
	// Sort is one of SortHostAsc (default), SortHostDesc, SortCreatedAsc, SortCreatedDesc. Hosts
	// compare byte-wise; ties are broken by id, so paging is stable.
	Sort string
	// Limit is the page size: 0 means DefaultLimit, more than MaxLimit means MaxLimit.
	Limit int
	// Cursor is the NextCursor of the previous page, or "" for the first page.
	Cursor string
	// WithinCustomer, when set, keeps only domains of that customer and of its descendants: the
	// scope of a user of that customer. Empty means any customer.
	WithinCustomer string
}

// DomainPage is one page of domains.
type DomainPage struct {
	Items []DomainItem `json:"items"`
	// NextCursor continues the listing; it is empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Domains reads the domains read model.
type Domains struct {
	db *pgxpool.Pool
}

// NewDomains returns the domain queries on pool.
func NewDomains(pool *pgxpool.Pool) *Domains { return &Domains{db: pool} }

// hostKey is the sort key of hosts: byte-wise, as the index domains_v1_customer_host_id orders it.
const hostKey = `lower(host) COLLATE "C"`

var domainSorts = map[string]sortSpec{
	SortHostAsc:     {key: hostKey, order: hostKey + ", domains.id", after: ">", cast: `text COLLATE "C"`},
	SortHostDesc:    {key: hostKey, order: hostKey + " DESC, domains.id DESC", after: "<", cast: `text COLLATE "C"`},
	SortCreatedAsc:  {key: "created_at", order: "created_at, domains.id", after: ">", cast: "timestamptz"},
	SortCreatedDesc: {key: "created_at", order: "created_at DESC, domains.id DESC", after: "<", cast: "timestamptz"},
}

// domainColumns are the columns scanned by scanDomain, followed by the host sort key for the
// cursor. As in itemColumns, the output column "id" is text: ORDER BY and cursors name domains.id.
const domainColumns = `id::text, customer_id::text, customer_name, host, settings::text, created_at, updated_at, version, lower(host)`

// domainFilterHash identifies the filters a domains cursor was made for. The leading "domains"
// keeps a customers or users cursor from passing for a domains cursor.
func domainFilterHash(p DomainListParams) string {
	return hashFilters("domains", p.Q, p.CustomerID, p.WithinCustomer)
}

// List returns a page of a customer's domains. It returns an error wrapping ErrBadParam or
// ErrBadCursor for invalid parameters.
func (d *Domains) List(ctx context.Context, p DomainListParams) (DomainPage, error) {
	if p.Sort == "" {
		p.Sort = SortHostAsc
	}
	if _, ok := domainSorts[p.Sort]; !ok {
		return DomainPage{}, fmt.Errorf("%w: sort must be one of host, -host, created_at, -created_at (got %q)", ErrBadParam, p.Sort)
	}
	spec, err := checkPage(&p.Q, &p.Sort, &p.Limit, domainSorts)
	if err != nil {
		return DomainPage{}, err
	}
	if p.CustomerID, err = checkID("customer_id", p.CustomerID); err != nil {
		return DomainPage{}, err
	}
	if p.CustomerID == "" {
		return DomainPage{}, fmt.Errorf("%w: customer_id is required", ErrBadParam)
	}
	if p.WithinCustomer, err = checkID("within_customer", p.WithinCustomer); err != nil {
		return DomainPage{}, err
	}

	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{"customer_id = " + arg(p.CustomerID) + "::uuid"}
	if p.Q != "" {
		// lower(host) LIKE lower(pattern) is ILIKE that the trigram index on lower(host) serves.
		cond := "lower(host) LIKE lower(" + arg("%"+escapeLike(p.Q)+"%") + ")"
		if puny := punycodeQ(p.Q); puny != "" {
			cond = "(" + cond + " OR lower(host) LIKE " + arg("%"+escapeLike(puny)+"%") + ")"
		}
		where = append(where, cond)
	}
	if p.WithinCustomer != "" {
		w := arg(p.WithinCustomer)
		where = append(where, "(customer_id = "+w+"::uuid OR customer_ancestors @> ARRAY["+w+"::uuid])")
	}
	filter := domainFilterHash(p)
	if p.Cursor != "" {
		cond, err := after(p.Cursor, p.Sort, filter, spec, "domains.id", arg)
		if err != nil {
			return DomainPage{}, err
		}
		where = append(where, cond)
	}
	sql := "SELECT " + domainColumns + " FROM domains WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + spec.order + " LIMIT " + arg(p.Limit+1)
	if p.Q != "" {
		// Planned with its pattern every time, as Customers.List explains.
		args = append([]any{pgx.QueryExecModeExec}, args...)
	}
	rows, err := d.db.Query(ctx, sql, args...)
	if err != nil {
		return DomainPage{}, fmt.Errorf("query: list domains: %w", err)
	}
	var keys []string
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DomainItem, error) {
		it, key, err := scanDomain(r)
		keys = append(keys, key)
		return it, err
	})
	if err != nil {
		return DomainPage{}, fmt.Errorf("query: list domains: %w", err)
	}
	page := DomainPage{Items: items}
	if len(items) > p.Limit {
		page.Items = items[:p.Limit]
		last := page.Items[p.Limit-1]
		page.NextCursor = nextCursor(p.Sort, filter, spec, last.ID, last.CreatedAt, keys[p.Limit-1])
	}
	if page.Items == nil {
		page.Items = []DomainItem{}
	}
	return page, nil
}

// punycodeQ returns the ASCII (punycode) form of a search text with non-ASCII letters, or "" when
// it has none or has no such form.
func punycodeQ(q string) string {
	ascii := true
	for i := 0; i < len(q); i++ {
		if q[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return ""
	}
	p, err := idna.ToASCII(strings.ToLower(q))
	if err != nil || p == q {
		return ""
	}
	return p
}

// Get returns one domain, or an error wrapping ErrNotFound.
func (d *Domains) Get(ctx context.Context, id string) (DomainItem, error) {
	return d.GetWithin(ctx, id, "")
}

// GetWithin returns one domain if its customer is withinCustomer or one of its descendants (any
// domain when withinCustomer is empty), or an error wrapping ErrNotFound: a domain out of scope is
// not found, exactly like one that does not exist. It returns ErrBadParam for a malformed
// withinCustomer.
func (d *Domains) GetWithin(ctx context.Context, id, withinCustomer string) (DomainItem, error) {
	id, err := checkID("id", id)
	if err != nil || id == "" {
		return DomainItem{}, fmt.Errorf("%w: domain %q", ErrNotFound, id)
	}
	if withinCustomer, err = checkID("within_customer", withinCustomer); err != nil {
		return DomainItem{}, err
	}
	sql := "SELECT " + domainColumns + " FROM domains WHERE id = $1::uuid"
	args := []any{id}
	if withinCustomer != "" {
		sql += " AND (customer_id = $2::uuid OR customer_ancestors @> ARRAY[$2::uuid])"
		args = append(args, withinCustomer)
	}
	rows, err := d.db.Query(ctx, sql, args...)
	if err != nil {
		return DomainItem{}, fmt.Errorf("query: domain %s: %w", id, err)
	}
	it, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (DomainItem, error) {
		it, _, err := scanDomain(r)
		return it, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return DomainItem{}, fmt.Errorf("%w: domain %s", ErrNotFound, id)
	}
	if err != nil {
		return DomainItem{}, fmt.Errorf("query: domain %s: %w", id, err)
	}
	return it, nil
}

// scanDomain scans domainColumns.
func scanDomain(r pgx.CollectableRow) (DomainItem, string, error) {
	var (
		it       DomainItem
		settings string
		version  int64
		key      string
	)
	err := r.Scan(&it.ID, &it.CustomerID, &it.CustomerName, &it.Host, &settings, &it.CreatedAt, &it.UpdatedAt, &version, &key)
	it.Settings = json.RawMessage(settings)
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	it.Version = uint64(version)
	return it, key, err
}

// ExportTxOptions are the options of the transaction StreamForExport needs: one consistent,
// read-only snapshot.
var ExportTxOptions = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// ErrExportTx is returned (wrapped) by StreamForExport when its transaction is not REPEATABLE READ
// (or SERIALIZABLE) and READ ONLY.
var ErrExportTx = errors.New("query: the export needs a REPEATABLE READ READ ONLY transaction")

// exportFetch is how many rows one FETCH of the export cursor returns. The server streams the rows
// of one FETCH while the client works through them, so both work at once but at a FETCH's end; a
// larger one costs nothing in memory (rows are never collected), but an export that fails reads
// the rest of its FETCH before the cursor closes.
const exportFetch = 10_000

// exportCursors numbers the export cursors of this process, so that cursors of one transaction
// never share a name.
var exportCursors atomic.Uint64

// ExportRow is one domain as StreamForExport passes it to its callback.
type ExportRow struct {
	// Head and Tail are the domain's CSV line before and after its customer-name cell, as the
	// projector rendered them (csvexport.Cells.Head and Tail); both nil for a row the projector
	// has not rendered (projected before it did so), whose Settings are set instead.
	Head, Tail []byte
	// CustomerName is the name of the domain's customer, the same for every domain of the
	// snapshot.
	CustomerName []byte
	// Settings are the domain's settings, decoded only when Head is nil.
	Settings *events.DomainSettings
}

// StreamForExport calls fn with every domain of customerID, in host order (byte-wise, ties by id),
// and returns how many it passed. It reads through a server-side cursor in tx, which must be a
// REPEATABLE READ READ ONLY transaction (ExportTxOptions) the caller opens and ends: every row
// comes from the one snapshot of tx. Rows are streamed, ten thousand per FETCH, and never
// collected, so memory does not grow with the number of domains; a cursor also makes Postgres plan
// for the first rows, so it walks the customer's host index rather than sorting a million rows.
// The byte slices of a row are valid only during fn's call; its Settings are its own: fn may keep
// them.
//
// It stops at the first error of fn and returns it as it is, with the count of the rows fn
// accepted; the rest of the rows are never read. It returns ErrBadParam for a malformed
// customerID and ErrExportTx for a transaction of another kind. A customer without domains, or
// without a row in the read model, streams nothing.
func (d *Domains) StreamForExport(ctx context.Context, tx pgx.Tx, customerID string, fn func(ExportRow) error) (int, error) {
	customerID, err := checkID("customer_id", customerID)
	if err != nil {
		return 0, err
	}
	if customerID == "" {
		return 0, fmt.Errorf("%w: customer_id is required", ErrBadParam)
	}
	var iso, readOnly string
	if err := tx.QueryRow(ctx, `SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')`,
		pgx.QueryExecModeSimpleProtocol).Scan(&iso, &readOnly); err != nil {
		return 0, fmt.Errorf("query: export of customer %s: %w", customerID, err)
	}
	if (iso != "repeatable read" && iso != "serializable") || readOnly != "on" {
		return 0, fmt.Errorf("%w (this one is %s, read_only %s)", ErrExportTx, iso, readOnly)
	}

	name := "domains_export_" + strconv.FormatUint(exportCursors.Add(1), 10)
	// customerID is a canonical uuid: safe to inline, and the simple protocol sends the
	// declaration and every FETCH in one message each. The settings are read only for a row
	// without its line.
	if _, err := tx.Exec(ctx, "DECLARE "+name+" NO SCROLL CURSOR FOR SELECT csv_head, csv_tail, customer_name,"+
		" CASE WHEN csv_head IS NULL OR csv_tail IS NULL THEN settings END FROM domains"+
		" WHERE customer_id = '"+customerID+"'::uuid ORDER BY "+hostKey+", id", pgx.QueryExecModeSimpleProtocol); err != nil {
		return 0, fmt.Errorf("query: export of customer %s: declare cursor: %w", customerID, err)
	}
	n, err := fetchExport(ctx, tx, name, fn)
	if tx.Conn().PgConn().TxStatus() == 'T' { // not after an error: the transaction is aborted
		if _, cerr := tx.Exec(context.WithoutCancel(ctx), "CLOSE "+name, pgx.QueryExecModeSimpleProtocol); cerr != nil && err == nil {
			err = fmt.Errorf("query: export of customer %s: close cursor: %w", customerID, cerr)
		}
	}
	return n, err
}

// fetchExport fetches the rows of cursor name until it is exhausted or fn fails.
func fetchExport(ctx context.Context, tx pgx.Tx, name string, fn func(ExportRow) error) (int, error) {
	fetch := "FETCH " + strconv.Itoa(exportFetch) + " FROM " + name
	n := 0
	for {
		rows, err := tx.Query(ctx, fetch, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return n, fmt.Errorf("query: export: %w", err)
		}
		got := 0
		for rows.Next() {
			got++
			raw := rows.RawValues() // text format: head, tail, customer name, settings JSON or NULL
			r := ExportRow{Head: raw[0], Tail: raw[1], CustomerName: raw[2]}
			if r.Head == nil || r.Tail == nil {
				s, err := decodeSettings(raw[3])
				if err != nil {
					rows.Close()
					return n, fmt.Errorf("query: export: settings of row %d: %w", n+1, err)
				}
				r.Head, r.Tail, r.Settings = nil, nil, &s
			}
			if err := fn(r); err != nil {
				rows.Close()
				return n, err
			}
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("query: export: %w", err)
		}
		if got < exportFetch {
			return n, nil
		}
	}
}

package projectiontest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	csvexport "github.com/toffstech/customer-management/internal/export/csv"
	"github.com/toffstech/customer-management/internal/personal"
)

// Row is one customer of the read model. Absent parents are "".
type Row struct {
	ID         string
	Name       string
	Address    string
	ParentID   string
	ParentName string
	Ancestors  []string
	Depth      int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    uint64
	LastSeq    uint64
}

// String formats a row for diffs.
func (r Row) String() string {
	return fmt.Sprintf("{%s %q %q parent=%s %q anc=%v depth=%d created=%s updated=%s v%d seq%d}",
		r.ID, r.Name, r.Address, r.ParentID, r.ParentName, r.Ancestors, r.Depth,
		r.CreatedAt.Format(time.RFC3339Nano), r.UpdatedAt.Format(time.RFC3339Nano), r.Version, r.LastSeq)
}

// CustomerIDs lists the ids of every customer subject in the stream.
func CustomerIDs(ctx context.Context, js jetstream.JetStream) ([]string, error) {
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(events.CustomerSubject(">")))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		ids = append(ids, strings.TrimPrefix(subj, events.CustomerSubject("")))
	}
	slices.Sort(ids)
	return ids, nil
}

// Expected folds the events of the given customers, loaded from the stream, with
// domain.Customer.Apply and derives what the read model must hold: the live customers, each with
// its parent's name, its ancestors and depth, ordered by id.
func Expected(ctx context.Context, store *eventstore.Store, ids []string) ([]Row, error) {
	live := map[string]*domain.Customer{}
	for _, id := range ids {
		stored, err := store.Load(ctx, events.CustomerSubject(id), 0)
		if err != nil {
			return nil, err
		}
		c := &domain.Customer{ID: id}
		for _, st := range stored {
			p, err := events.DecodeData(st.Envelope)
			if err != nil {
				return nil, fmt.Errorf("customer %s at %d: %w", id, st.Seq, err)
			}
			c.Apply(domain.Recorded{Seq: st.Seq, Time: st.Envelope.Time, Version: st.Envelope.AggregateVersion, Payload: p})
		}
		if c.Exists() {
			live[c.ID] = c
		}
	}
	rows := make([]Row, 0, len(live))
	for _, c := range live {
		r := Row{
			ID: c.ID, Name: c.Name, Address: c.Address, ParentID: c.ParentID, Ancestors: []string{},
			CreatedAt: c.CreatedAt.Truncate(time.Microsecond).UTC(), UpdatedAt: c.UpdatedAt.Truncate(time.Microsecond).UTC(),
			Version: c.Version, LastSeq: c.LastSeq,
		}
		if p := live[c.ParentID]; p != nil {
			r.ParentName = p.Name
		}
		for a := c.ParentID; a != ""; {
			r.Ancestors = append(r.Ancestors, a)
			if len(r.Ancestors) > len(live) {
				return nil, fmt.Errorf("customer %s: the parents form a cycle", c.ID)
			}
			p := live[a]
			if p == nil {
				break
			}
			a = p.ParentID
		}
		r.Depth = len(r.Ancestors) + 1
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b Row) int { return strings.Compare(a.ID, b.ID) })
	return rows, nil
}

// Querier is a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Actual reads the customers view, ordered by id.
func Actual(ctx context.Context, db Querier) ([]Row, error) {
	rows, err := db.Query(ctx, `SELECT id::text, name, address, coalesce(parent_id::text, ''), coalesce(parent_name, ''),
		ancestors::text[], depth, created_at, updated_at, version, last_seq FROM customers ORDER BY id::text`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Row, error) {
		var r Row
		var version, seq int64
		err := row.Scan(&r.ID, &r.Name, &r.Address, &r.ParentID, &r.ParentName, &r.Ancestors, &r.Depth,
			&r.CreatedAt, &r.UpdatedAt, &version, &seq)
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		r.Version, r.LastSeq = uint64(version), uint64(seq)
		return r, err
	})
}

// Diff describes how got differs from want, or returns "" when they are equal.
func Diff(want, got []Row) string {
	return diff(want, got, func(r Row) string { return r.ID }, equal)
}

// diff describes how got differs from want, rows matched by id, or returns "" when they are equal.
func diff[R fmt.Stringer](want, got []R, id func(R) string, eq func(a, b R) bool) string {
	var b strings.Builder
	wi := map[string]R{}
	for _, r := range want {
		wi[id(r)] = r
	}
	gi := map[string]R{}
	for _, r := range got {
		gi[id(r)] = r
	}
	n := 0
	for _, w := range want {
		g, ok := gi[id(w)]
		switch {
		case !ok:
			fmt.Fprintf(&b, "missing %s\n", w)
		case !eq(w, g):
			fmt.Fprintf(&b, "want %s\n got %s\n", w, g)
		default:
			continue
		}
		if n++; n >= 10 {
			b.WriteString("…\n")
			return b.String()
		}
	}
	for _, g := range got {
		if _, ok := wi[id(g)]; !ok {
			fmt.Fprintf(&b, "unexpected %s\n", g)
		}
	}
	return b.String()
}

func equal(a, b Row) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Address == b.Address && a.ParentID == b.ParentID &&
		a.ParentName == b.ParentName && slices.Equal(a.Ancestors, b.Ancestors) && a.Depth == b.Depth &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.Version == b.Version && a.LastSeq == b.LastSeq
}

// UserRow is one user of the read model.
type UserRow struct {
	ID                string
	CustomerID        string
	CustomerName      string
	CustomerAncestors []string
	Role              string
	Name              string
	Email             string
	// Status is "ON", or "OFF" for a disabled user.
	Status    string
	Remark    string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   uint64
	LastSeq   uint64
}

// String formats a row for diffs.
func (r UserRow) String() string {
	return fmt.Sprintf("{%s customer=%s %q anc=%v role=%q %q %q %s remark=%q created=%s updated=%s v%d seq%d}",
		r.ID, r.CustomerID, r.CustomerName, r.CustomerAncestors, r.Role, r.Name, r.Email, r.Status, r.Remark,
		r.CreatedAt.Format(time.RFC3339Nano), r.UpdatedAt.Format(time.RFC3339Nano), r.Version, r.LastSeq)
}

// UserIDs lists the ids of every user subject in the stream.
func UserIDs(ctx context.Context, js jetstream.JetStream) ([]string, error) {
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(events.UserSubject(">")))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		ids = append(ids, strings.TrimPrefix(subj, events.UserSubject("")))
	}
	slices.Sort(ids)
	return ids, nil
}

// ExpectedUsers folds the events of the given users, loaded from the stream, with domain.User.Apply
// and derives what the read model must hold: the live users, each with the name and ancestors of its
// customer taken from customers (the result of Expected), ordered by id. A live user whose customer
// is not among customers is an error: the log contradicts itself.
//
// keys open the personal fields of the events (nil: they are in clear).
func ExpectedUsers(ctx context.Context, store *eventstore.Store, keys personal.Keys, ids []string, customers []Row) ([]UserRow, error) {
	byID := make(map[string]Row, len(customers))
	for _, c := range customers {
		byID[c.ID] = c
	}
	rows := make([]UserRow, 0, len(ids))
	for _, id := range ids {
		stored, err := store.Load(ctx, events.UserSubject(id), 0)
		if err != nil {
			return nil, err
		}
		u := &domain.User{ID: id}
		for _, st := range stored {
			p, err := events.DecodeData(st.Envelope)
			if err == nil && keys != nil {
				p, err = personal.Open(ctx, keys, id, p)
			}
			if err != nil {
				return nil, fmt.Errorf("user %s at %d: %w", id, st.Seq, err)
			}
			u.Apply(domain.Recorded{Seq: st.Seq, Time: st.Envelope.Time, Version: st.Envelope.AggregateVersion, Payload: p})
		}
		if !u.Exists() {
			continue
		}
		c, ok := byID[u.CustomerID]
		if !ok {
			return nil, fmt.Errorf("user %s belongs to customer %s, which is not live", id, u.CustomerID)
		}
		status := "ON"
		if u.Disabled {
			status = "OFF"
		}
		rows = append(rows, UserRow{
			ID: u.ID, CustomerID: u.CustomerID, CustomerName: c.Name, CustomerAncestors: append([]string{}, c.Ancestors...),
			Role: u.Role, Name: u.Name, Email: u.Email, Status: status, Remark: u.Remark,
			CreatedAt: u.CreatedAt.Truncate(time.Microsecond).UTC(), UpdatedAt: u.UpdatedAt.Truncate(time.Microsecond).UTC(),
			Version: u.Version, LastSeq: u.LastSeq,
		})
	}
	slices.SortFunc(rows, func(a, b UserRow) int { return strings.Compare(a.ID, b.ID) })
	return rows, nil
}

// ActualUsers reads the users view, ordered by id.
func ActualUsers(ctx context.Context, db Querier) ([]UserRow, error) {
	rows, err := db.Query(ctx, `SELECT id::text, customer_id::text, customer_name, customer_ancestors::text[], role, name, email,
		status, remark, created_at, updated_at, version, last_seq FROM users ORDER BY id::text`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (UserRow, error) {
		var r UserRow
		var version, seq int64
		err := row.Scan(&r.ID, &r.CustomerID, &r.CustomerName, &r.CustomerAncestors, &r.Role, &r.Name, &r.Email,
			&r.Status, &r.Remark, &r.CreatedAt, &r.UpdatedAt, &version, &seq)
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		r.Version, r.LastSeq = uint64(version), uint64(seq)
		return r, err
	})
}

// DiffUsers describes how got differs from want, or returns "" when they are equal.
func DiffUsers(want, got []UserRow) string {
	return diff(want, got, func(r UserRow) string { return r.ID }, func(a, b UserRow) bool {
		return a.ID == b.ID && a.CustomerID == b.CustomerID && a.CustomerName == b.CustomerName &&
			slices.Equal(a.CustomerAncestors, b.CustomerAncestors) && a.Role == b.Role && a.Name == b.Name &&
			a.Email == b.Email && a.Status == b.Status && a.Remark == b.Remark &&
			a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.Version == b.Version && a.LastSeq == b.LastSeq
	})
}

// DomainRow is one domain of the read model. Settings is the settings JSON in a canonical form
// (object keys sorted), so that equal settings compare equal as strings. CSVHead and CSVTail are
// the domain's CSV line around its customer name (csvexport.Cells), "" when the row has none.
type DomainRow struct {
	ID                string
	CustomerID        string
	CustomerName      string
	CustomerAncestors []string
	Host              string
	Settings          string
	CSVHead           string
	CSVTail           string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           uint64
	LastSeq           uint64
}

// String formats a row for diffs.
func (r DomainRow) String() string {
	return fmt.Sprintf("{%s customer=%s %q anc=%v host=%q settings=%s csv=%q+%q created=%s updated=%s v%d seq%d}",
		r.ID, r.CustomerID, r.CustomerName, r.CustomerAncestors, r.Host, r.Settings, r.CSVHead, r.CSVTail,
		r.CreatedAt.Format(time.RFC3339Nano), r.UpdatedAt.Format(time.RFC3339Nano), r.Version, r.LastSeq)
}

// DomainIDs lists the ids of every domain subject in the stream.
func DomainIDs(ctx context.Context, js jetstream.JetStream) ([]string, error) {
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(events.DomainSubject(">")))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		ids = append(ids, strings.TrimPrefix(subj, events.DomainSubject("")))
	}
	slices.Sort(ids)
	return ids, nil
}

// ExpectedDomains folds the events of the given domains, loaded from the stream, with
// domain.Domain.Apply and derives what the read model must hold: the live domains, each with the
// name and ancestors of its customer taken from customers (the result of Expected) and the CSV
// cells of its folded settings, ordered by id.
// A live domain whose customer is not among customers is an error: the log contradicts itself.
func ExpectedDomains(ctx context.Context, store *eventstore.Store, ids []string, customers []Row) ([]DomainRow, error) {
	byID := make(map[string]Row, len(customers))
	for _, c := range customers {
		byID[c.ID] = c
	}
	rows := make([]DomainRow, 0, len(ids))
	for _, id := range ids {
		stored, err := store.Load(ctx, events.DomainSubject(id), 0)
		if err != nil {
			return nil, err
		}
		d := &domain.Domain{ID: id}
		for _, st := range stored {
			p, err := events.DecodeData(st.Envelope)
			if err != nil {
				return nil, fmt.Errorf("domain %s at %d: %w", id, st.Seq, err)
			}
			d.Apply(domain.Recorded{Seq: st.Seq, Time: st.Envelope.Time, Version: st.Envelope.AggregateVersion, Payload: p})
		}
		if !d.Exists() {
			continue
		}
		c, ok := byID[d.CustomerID]
		if !ok {
			return nil, fmt.Errorf("domain %s belongs to customer %s, which is not live", id, d.CustomerID)
		}
		raw, err := json.Marshal(d.Settings)
		if err != nil {
			return nil, fmt.Errorf("domain %s: %w", id, err)
		}
		settings, err := canonicalJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("domain %s: %w", id, err)
		}
		cells := csvexport.EncodeCells(csvexport.FromSettings(d.Settings, c.Name))
		rows = append(rows, DomainRow{
			ID: d.ID, CustomerID: d.CustomerID, CustomerName: c.Name, CustomerAncestors: append([]string{}, c.Ancestors...),
			Host: d.Settings.Host, Settings: settings, CSVHead: cells.Head(), CSVTail: cells.Tail(),
			CreatedAt: d.CreatedAt.Truncate(time.Microsecond).UTC(), UpdatedAt: d.UpdatedAt.Truncate(time.Microsecond).UTC(),
			Version: d.Version, LastSeq: d.LastSeq,
		})
	}
	slices.SortFunc(rows, func(a, b DomainRow) int { return strings.Compare(a.ID, b.ID) })
	return rows, nil
}

// ActualDomains reads the domains view, ordered by id.
func ActualDomains(ctx context.Context, db Querier) ([]DomainRow, error) {
	rows, err := db.Query(ctx, `SELECT id::text, customer_id::text, customer_name, customer_ancestors::text[], host, settings::text,
		coalesce(csv_head, ''), coalesce(csv_tail, ''), created_at, updated_at, version, last_seq FROM domains ORDER BY id::text`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (DomainRow, error) {
		var r DomainRow
		var version, seq int64
		var settings string
		if err := row.Scan(&r.ID, &r.CustomerID, &r.CustomerName, &r.CustomerAncestors, &r.Host, &settings,
			&r.CSVHead, &r.CSVTail, &r.CreatedAt, &r.UpdatedAt, &version, &seq); err != nil {
			return r, err
		}
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		r.Version, r.LastSeq = uint64(version), uint64(seq)
		var err error
		r.Settings, err = canonicalJSON([]byte(settings))
		return r, err
	})
}

// DiffDomains describes how got differs from want, or returns "" when they are equal.
func DiffDomains(want, got []DomainRow) string {
	return diff(want, got, func(r DomainRow) string { return r.ID }, func(a, b DomainRow) bool {
		return a.ID == b.ID && a.CustomerID == b.CustomerID && a.CustomerName == b.CustomerName &&
			slices.Equal(a.CustomerAncestors, b.CustomerAncestors) && a.Host == b.Host && a.Settings == b.Settings &&
			a.CSVHead == b.CSVHead && a.CSVTail == b.CSVTail &&
			a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.Version == b.Version && a.LastSeq == b.LastSeq
	})
}

// canonicalJSON re-encodes a JSON value with its object keys sorted, keeping every key and null.
func canonicalJSON(b []byte) (string, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return "", fmt.Errorf("settings: %w", err)
	}
	out, err := json.Marshal(v)
	return string(out), err
}

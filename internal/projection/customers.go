package projection

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/personal"
)

// CustomersProjection names the customers read model, which holds the customers (customers_v1),
// their users (users_v1, see users.go) and their domains (domains_v1, see domains.go): its
// checkpoint row, its parked events, its Watermill handler and the prefix of its JetStream
// consumers. Users and domains belong to it because their rows copy their customer's name and
// ancestors: a customer's rename or move changes them in the same transaction, and the one
// checkpoint says how far all three tables are.
//
// NEVER RENAME IT CASUALLY. The position of the projection is the checkpoint stored under this
// name. A projector running under another name finds no checkpoint, starts again at stream
// sequence 1 and re-projects every event ever written; into the existing table that fails
// (customers already exist) and parks them. Renaming belongs with a rebuild into a new table
// version (customers_v2) and a swap of the customers view.
const CustomersProjection = "customers"

// customerSubjectPrefix starts the subject of every customer's events.
var customerSubjectPrefix = events.CustomerSubject("")

// customers is the reducer of the customers read model: one row per live customer, with its
// parent's name and its ancestors, so listing, search and scope checks need no recursion; and one
// row per live user and per live domain, with its customer's name and ancestors (see users.go and
// domains.go).
type customers struct {
	// keys open the personal fields of user events (see package personal).
	keys personal.Keys
}

// reads implements reducer: customer, user and domain subjects. Reservations, hierarchies, member
// lists and the tree lock are bookkeeping of the write side.
func (customers) reads(subject string) bool {
	return strings.HasPrefix(subject, customerSubjectPrefix) || strings.HasPrefix(subject, userSubjectPrefix) ||
		strings.HasPrefix(subject, domainSubjectPrefix) || strings.HasPrefix(subject, exportSubjectPrefix)
}

// queue implements reducer. Opening a user's personal fields may fail for a while (the key store
// unreachable): that error is not an *eventError, and the applier tries the batch again.
func (r customers) queue(b *pgx.Batch, ev event) error {
	d, err := r.decode(context.Background(), ev)
	if err != nil {
		return err
	}
	kind, id, env, payload := d.kind, d.id, d.env, d.payload
	if err := queueAudit(b, ev, kind, id, env, payload); err != nil {
		return err
	}
	switch kind {
	case resourceUser:
		return queueUser(b, ev, id, env, payload)
	case resourceDomain:
		return queueDomain(b, ev, id, env, payload)
	case resourceExport:
		return queueExport(b, ev, id, env, payload)
	}
	version := versionArg(env)
	seq := int64(ev.Seq)

	switch p := payload.(type) {
	case events.CustomerCreatedV1:
		parent, err := parseOptionalID(p.ParentID)
		if err != nil {
			return &eventError{fmt.Sprintf("customer.created: parent_id: %v", err)}
		}
		b.Queue(insertCustomerSQL, id, p.Name, p.Address, parent, env.Time, version, seq)

	case events.CustomerUpdatedV1:
		var parent any
		if p.ParentID.Set && !p.ParentID.Null && p.ParentID.Value != "" {
			if parent, err = parseID(p.ParentID.Value); err != nil {
				return &eventError{fmt.Sprintf("customer.updated: parent_id: %v", err)}
			}
		}
		sql, args := updateCustomer(id, p, parent, env.Time, version, seq)
		expectOne(b, sql, fmt.Sprintf("customer.updated for customer %s, which the read model does not hold", id), args...)
		if p.Name.Set {
			b.Queue(renameChildrenSQL, id, p.Name.Value)
			b.Queue(renameUsersCustomerSQL, id, p.Name.Value)
			b.Queue(renameDomainsCustomerSQL, id, p.Name.Value)
		}
		if p.ParentID.Set {
			b.Queue(moveSubtreeSQL, id)
			b.Queue(moveSubtreeUsersSQL, id)
			b.Queue(moveSubtreeDomainsSQL, id)
		}

	case events.CustomerDeletedV1:
		// Deleting a customer the read model does not hold leaves it as it should be: without it.
		// Its users and domains are not touched: the command deletes them with user.deleted and
		// domain.removed events in the same atomic batch.
		b.Queue(deleteCustomerSQL, id)

	case events.CustomerErasedV1:
		queueErasure(b, id)

	default:
		return &eventError{fmt.Sprintf("event type %q on a customer subject", env.Type)}
	}
	return nil
}

// decoded is an event of the customers read model as the reducer applies it: the kind and id of
// its resource, its envelope, and its data with the personal fields opened. The bulk rebuild
// (rebuild_bulk.go) decodes with the same function, so both read an event alike.
type decoded struct {
	kind    string
	id      uuid.UUID
	env     events.Envelope
	payload events.Payload
}

// decode decodes ev, an event on a subject the reducer reads, and opens its personal fields. An
// event that does not decode is an *eventError; a failure to open is not (see queue).
func (r customers) decode(ctx context.Context, ev event) (decoded, error) {
	kind, idText := resourceOf(ev.Subject)
	id, err := parseID(idText)
	if err != nil {
		return decoded{}, &eventError{fmt.Sprintf("subject %q does not name a %s: %v", ev.Subject, kind, err)}
	}
	env, payload, err := decodeEvent(ev)
	if err != nil {
		return decoded{}, err
	}
	if kind == resourceUser && events.HasPersonal(env.Type) {
		octx, cancel := context.WithTimeout(ctx, openTimeout)
		payload, err = personal.Open(octx, r.keys, idText, payload)
		cancel()
		if err != nil {
			return decoded{}, err
		}
	}
	return decoded{kind: kind, id: id, env: env, payload: payload}, nil
}

// insertCustomerSQL inserts a new customer below its parent ($4, NULL for a root). The parent's
// row gives the parent name and the ancestors. A second customer.created for the same id fails
// with a unique violation and is parked.
const insertCustomerSQL = `
INSERT INTO customers_v1 (id, name, address, parent_id, parent_name, ancestors, depth, created_at, updated_at, version, last_seq)
SELECT $1, $2, $3, $4::uuid, p.name,
       CASE WHEN $4::uuid IS NULL THEN '{}'::uuid[] ELSE array_prepend($4::uuid, coalesce(p.ancestors, '{}'::uuid[])) END,
       CASE WHEN $4::uuid IS NULL THEN 1 ELSE coalesce(cardinality(p.ancestors), 0) + 2 END,
       $5, $5, coalesce($6::bigint, 1), $7
FROM (SELECT 1) one LEFT JOIN customers_v1 p ON p.id = $4::uuid`

// renameChildrenSQL copies a renamed customer's new name onto its children.
const renameChildrenSQL = `UPDATE customers_v1 SET parent_name = $2 WHERE parent_id = $1`

// moveSubtreeSQL recomputes the ancestors and depth of every descendant of a customer that has
// just moved ($1): a descendant keeps its ancestors up to $1 and takes $1's new ancestors after
// them. It runs after the customer's own row was updated, so c holds the new ancestors.
const moveSubtreeSQL = `
UPDATE customers_v1 d
SET ancestors = d.ancestors[1:array_position(d.ancestors, c.id)] || c.ancestors,
    depth     = array_position(d.ancestors, c.id) + cardinality(c.ancestors) + 1
FROM customers_v1 c
WHERE c.id = $1 AND d.ancestors @> ARRAY[$1::uuid]`

// deleteCustomerSQL removes a deleted customer. The domain refuses to delete a customer that still
// has children, so no row is left pointing at it.
const deleteCustomerSQL = `DELETE FROM customers_v1 WHERE id = $1`

// updateCustomer builds the statement applying the changed fields of a customer.updated. A move
// ($parent, NULL for "became a root") takes the parent name and ancestors from the new parent's row.
func updateCustomer(id uuid.UUID, p events.CustomerUpdatedV1, parent any, at any, version any, seq int64) (string, []any) {
	args := []any{id, at, version, seq}
	var sql strings.Builder
	sql.WriteString("UPDATE customers_v1 c SET updated_at = $2, version = coalesce($3::bigint, c.version + 1), last_seq = $4")
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.Name.Set {
		sql.WriteString(", name = " + arg(p.Name.Value))
	}
	if p.Address.Set {
		sql.WriteString(", address = " + arg(p.Address.Value))
	}
	if p.ParentID.Set {
		n := arg(parent)
		sql.WriteString(", parent_id = np.pid, parent_name = np.name, ancestors = np.anc, depth = cardinality(np.anc) + 1" +
			" FROM (SELECT " + n + "::uuid AS pid, p.name," +
			" CASE WHEN " + n + "::uuid IS NULL THEN '{}'::uuid[] ELSE array_prepend(" + n + "::uuid, coalesce(p.ancestors, '{}'::uuid[])) END AS anc" +
			" FROM (SELECT 1) one LEFT JOIN customers_v1 p ON p.id = " + n + "::uuid) np")
	}
	sql.WriteString(" WHERE c.id = $1")
	return sql.String(), args
}

// decodeEvent decodes ev's envelope and data; an error is an *eventError.
func decodeEvent(ev event) (events.Envelope, events.Payload, error) {
	env, err := events.Decode(ev.Data)
	if err != nil {
		return events.Envelope{}, nil, &eventError{err.Error()}
	}
	payload, err := events.DecodeData(env)
	if err != nil {
		return events.Envelope{}, nil, &eventError{err.Error()}
	}
	return env, payload, nil
}

// versionArg is the version a row takes from env: its aggregate version, or NULL (one more than
// the row's version) when the envelope has none.
func versionArg(env events.Envelope) any {
	if env.AggregateVersion > 0 {
		return int64(env.AggregateVersion)
	}
	return nil
}

// parseID parses a customer or user id in its canonical 36-character form.
func parseID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.UUID{}, err
	}
	if len(s) != 36 {
		return uuid.UUID{}, fmt.Errorf("%q is not a canonical uuid", s)
	}
	return id, nil
}

// parseOptionalID parses an optional customer id: "" is NULL.
func parseOptionalID(s string) (any, error) {
	if s == "" {
		return nil, nil
	}
	return parseID(s)
}

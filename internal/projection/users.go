package projection

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/toffstech/customer-management/internal/events"
)

// The users read model (users_v1, read through the view users) is part of the customers read model:
// the customers reducer hands it the events on user subjects, and the customer events that change
// what a user row copies from its customer (its name, its ancestors) update the users in the same
// transaction. One row per live user, with the columns of the guide's List User page; never a
// password, a hash or a token.
//
// A user row needs its customer's row: user.created, and a user.updated that moves the user to
// another customer, take the customer's name and ancestors from customers_v1 and are poison events
// when the read model does not hold that customer. A command that creates a customer with its
// owner must therefore put customer.created before user.created in its atomic batch.

// userSubjectPrefix starts the subject of every user's events.
var userSubjectPrefix = events.UserSubject("")

// User statuses as the List User page shows them.
const (
	userStatusOn  = "ON"
	userStatusOff = "OFF"
)

// queueUser adds to b the statements applying ev, an event on the subject of user idText.
func queueUser(b *pgx.Batch, ev event, id uuid.UUID, env events.Envelope, payload events.Payload) error {
	version := versionArg(env)
	seq := int64(ev.Seq)
	held := func(what string) string {
		return fmt.Sprintf("%s for user %s, which the read model does not hold", what, id)
	}

	switch p := payload.(type) {
	case events.UserCreatedV1:
		customer, err := parseID(p.CustomerID)
		if err != nil {
			return &eventError{fmt.Sprintf("user.created: customer_id: %v", err)}
		}
		expectOne(b, insertUserSQL, fmt.Sprintf("user.created for user %s of customer %s, which the read model does not hold", id, customer),
			id, customer, p.Role, p.Name, p.Email, p.Remark, env.Time, version, seq)

	case events.UserUpdatedV1:
		var customer any
		if p.CustomerID.Set {
			if p.CustomerID.Null {
				return &eventError{"user.updated: customer_id is null"}
			}
			var err error
			if customer, err = parseID(p.CustomerID.Value); err != nil {
				return &eventError{fmt.Sprintf("user.updated: customer_id: %v", err)}
			}
		}
		sql, args := updateUser(id, p, customer, env.Time, version, seq)
		msg := held("user.updated")
		if customer != nil {
			msg = fmt.Sprintf("user.updated moving user %s to customer %s: the read model does not hold the user, or not the customer", id, customer)
		}
		expectOne(b, sql, msg, args...)

	case events.UserDisabledV1:
		expectOne(b, touchUserSQL, held(env.Type), id, userStatusOff, env.Time, version, seq)

	case events.UserEnabledV1:
		expectOne(b, touchUserSQL, held(env.Type), id, userStatusOn, env.Time, version, seq)

	case events.UserPasswordChangedV1, events.UserPermissionsChangedV1:
		// The list shows neither; the row only records that the user changed.
		expectOne(b, touchUserSQL, held(env.Type), id, nil, env.Time, version, seq)

	case events.UserDeletedV1:
		// Deleting a user the read model does not hold leaves it as it should be: without it.
		b.Queue(deleteUserSQL, id)

	default:
		return &eventError{fmt.Sprintf("event type %q on a user subject", env.Type)}
	}
	return nil
}

// insertUserSQL inserts a new user of customer $2, whose row gives the customer name and ancestors.
// It inserts nothing when the read model does not hold the customer (a poison event), and fails
// with a unique violation on a second user.created for the same id.
const insertUserSQL = `
INSERT INTO users_v1 (id, customer_id, customer_name, customer_ancestors, role, name, email, status, remark,
                      created_at, updated_at, version, last_seq)
SELECT $1, c.id, c.name, c.ancestors, $3, $4, $5, 'ON', $6, $7, $7, coalesce($8::bigint, 1), $9
FROM customers_v1 c WHERE c.id = $2`

// touchUserSQL records an event of user $1 that changes at most its status ($2, NULL: unchanged).
const touchUserSQL = `
UPDATE users_v1 u SET status = coalesce($2, u.status), updated_at = $3,
       version = coalesce($4::bigint, u.version + 1), last_seq = $5
WHERE u.id = $1`

// deleteUserSQL removes a deleted user.
const deleteUserSQL = `DELETE FROM users_v1 WHERE id = $1`

// renameUsersCustomerSQL copies a renamed customer's ($1) new name onto its users.
const renameUsersCustomerSQL = `UPDATE users_v1 SET customer_name = $2 WHERE customer_id = $1`

// moveSubtreeUsersSQL recomputes customer_ancestors of the users of a customer that has just moved
// ($1) and of the users of its descendants, as moveSubtreeSQL does for the descendants themselves:
// the users of $1 take its new ancestors; a user of a descendant keeps its ancestors up to $1 and
// takes $1's new ancestors after them. It runs after $1's row was updated, so c holds the new
// ancestors.
const moveSubtreeUsersSQL = `
UPDATE users_v1 u
SET customer_ancestors = CASE WHEN u.customer_id = c.id THEN c.ancestors
                              ELSE u.customer_ancestors[1:array_position(u.customer_ancestors, c.id)] || c.ancestors END
FROM customers_v1 c
WHERE c.id = $1 AND (u.customer_id = $1 OR u.customer_ancestors @> ARRAY[$1::uuid])`

// updateUser builds the statement applying the changed fields of a user.updated. A move to another
// customer ($customer, non-nil) takes the customer's name and ancestors from its row, and changes
// nothing when the read model does not hold that customer.
func updateUser(id uuid.UUID, p events.UserUpdatedV1, customer any, at any, version any, seq int64) (string, []any) {
	args := []any{id, at, version, seq}
	var sql strings.Builder
	sql.WriteString("UPDATE users_v1 u SET updated_at = $2, version = coalesce($3::bigint, u.version + 1), last_seq = $4")
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// A null field is the empty string, as domain.User.Apply folds it. A move restates the
	// personal fields as they are after the event (changed ones included), so they come from there.
	name, email, remark := p.Name, p.Email, p.Remark
	if r := p.Personal; r != nil {
		name, email, remark = events.Some(r.Name), events.Some(r.Email), events.Some(r.Remark)
	}
	fields := []struct {
		col string
		v   events.Opt[string]
	}{{"role", p.Role}, {"name", name}, {"email", email}, {"remark", remark}}
	for _, f := range fields {
		if f.v.Set {
			sql.WriteString(", " + f.col + " = " + arg(f.v.Value))
		}
	}
	where := " WHERE u.id = $1"
	if customer != nil {
		sql.WriteString(", customer_id = c.id, customer_name = c.name, customer_ancestors = c.ancestors FROM customers_v1 c")
		where += " AND c.id = " + arg(customer)
	}
	sql.WriteString(where)
	return sql.String(), args
}

package projection

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/toffstech/customer-management/internal/events"
)

// The audit read model (audit_v1, read through the view audit; see migration 0010) has one row per
// event of a customer, a user, a domain or an export: when, what (a readable action and the
// event's data), on what (the resource, its customer and that customer's place in the tree) and by
// whom (the actor, with its email at the time). The customers reducer queues each row just before
// the statements applying its event, so the names it copies come from the read model as the event
// found it; a created resource's name comes from the event itself.

// Resource kinds: the aggregates the audit log shows.
const (
	resourceCustomer = "customer"
	resourceUser     = "user"
	resourceDomain   = "domain"
	resourceExport   = "export"
)

// Action types, as the Audit Log page shows them.
const (
	actionAdd      = "Add"
	actionEdit     = "Edit"
	actionDelete   = "Delete"
	actionDownload = "Download"
)

// resourceOf returns the kind of resource a subject the customers reducer reads belongs to, and
// the rest of the subject (the resource's id).
func resourceOf(subject string) (kind, id string) {
	for _, r := range []struct{ kind, prefix string }{
		{resourceUser, userSubjectPrefix},
		{resourceDomain, domainSubjectPrefix},
		{resourceExport, exportSubjectPrefix},
	} {
		if rest, ok := strings.CutPrefix(subject, r.prefix); ok {
			return r.kind, rest
		}
	}
	return resourceCustomer, strings.TrimPrefix(subject, customerSubjectPrefix)
}

// auditEntry is what the reducer knows of an audit row from the event alone; the rest comes from
// the read model when the row is written.
type auditEntry struct {
	actionType string
	// template is the action text, a Postgres format() string whose %1$s is the resource's name,
	// %2$s its customer's name and %3$s extra; it holds no data of the event, which only ever goes
	// in as an argument.
	template string
	// name, customer, parent and other are known from the event (nil: look them up).
	name     any
	customer any
	// parent is the parent of a created customer, whose ancestors the row takes.
	parent any
	// other is the customer a moved domain or user left; otherBefore says to take the customer
	// the resource belonged to before the event instead.
	other       any
	otherBefore bool
	// customerName is the name of a created customer.
	customerName any
	extra        string
}

// queueAudit adds to b the audit row of ev, an event of resource id of the given kind.
func queueAudit(b *pgx.Batch, ev event, kind string, id uuid.UUID, env events.Envelope, payload events.Payload) error {
	e, err := auditOf(kind, id, payload)
	if err != nil {
		return err
	}
	actor, err := auditActor(env)
	if err != nil {
		return err
	}
	data, err := auditChange(env, payload)
	if err != nil {
		return err
	}
	b.Queue(auditInsertSQL[kind], int64(ev.Seq), env.ID, env.Time, env.Type, e.actionType, kind, id,
		e.name, e.customer, e.other, e.customerName, env.ActorType, actor, env.RequestID, int64(env.AggregateVersion),
		e.template, e.extra, data, e.parent, e.otherBefore)
	switch p := payload.(type) {
	case events.UserCreatedV1:
		b.Queue(upsertAuditActorSQL, id, p.Email, e.customer)
	case events.UserUpdatedV1:
		if p.Personal != nil { // a move restates the email under the new customer's key
			b.Queue(upsertAuditActorSQL, id, p.Personal.Email, nil)
		} else if p.Email.Set {
			b.Queue(upsertAuditActorSQL, id, p.Email.Value, nil)
		}
		if p.CustomerID.Set {
			b.Queue(moveAuditActorSQL, id, e.customer)
		}
	}
	return nil
}

// auditActor returns the actor of an audit row: the acting user's id, or nil (NULL) for a system
// or anonymous actor.
func auditActor(env events.Envelope) (any, error) {
	if env.ActorID == "" {
		return nil, nil
	}
	a, err := uuid.Parse(env.ActorID)
	if err != nil {
		return nil, &eventError{fmt.Sprintf("actorid %q: %v", env.ActorID, err)}
	}
	return a, nil
}

// auditChange returns the change an audit row shows: the event's data as stored, or, for an event
// with personal fields, its data with those fields opened (the log holds them sealed); the
// customer's erasure scrubs them from the row (see queueErasure).
func auditChange(env events.Envelope, payload events.Payload) (string, error) {
	if !events.HasPersonal(env.Type) {
		return string(env.Data), nil
	}
	opened, _, err := events.MarshalData(payload)
	if err != nil {
		return "", &eventError{fmt.Sprintf("%s: %v", env.Type, err)}
	}
	return string(opened), nil
}

// auditOf describes the audit row of one event.
func auditOf(kind string, id uuid.UUID, payload events.Payload) (auditEntry, error) {
	e := auditEntry{actionType: actionEdit}
	if kind == resourceCustomer {
		e.customer = id
	}
	optID := func(field, s string) (any, error) {
		if s == "" {
			return nil, nil
		}
		u, err := uuid.Parse(s)
		if err != nil {
			return nil, &eventError{fmt.Sprintf("%s: %v", field, err)}
		}
		return u, nil
	}
	var err error
	switch p := payload.(type) {
	case events.CustomerCreatedV1:
		e.actionType, e.template, e.name, e.customerName = actionAdd, `Added customer "%1$s"`, p.Name, p.Name
		e.parent, err = optID("parent_id", p.ParentID)
	case events.CustomerUpdatedV1:
		if p.Name.Set {
			e.name = p.Name.Value
		}
		e.template = `Edited customer "%1$s": ` + changed(p.Name.Set, "name", p.Address.Set, "address", p.ParentID.Set, "manager")
	case events.CustomerDeletedV1:
		e.actionType, e.template = actionDelete, `Deleted customer "%1$s"`
	case events.CustomerErasedV1:
		e.actionType, e.template = actionDelete, `Erased the personal data of the users of customer "%1$s"`

	case events.UserCreatedV1:
		e.actionType, e.template, e.name = actionAdd, `Added user %1$s to "%2$s"`, p.Email
		e.customer, err = optID("customer_id", p.CustomerID)
	case events.UserUpdatedV1:
		if p.Email.Set {
			e.name = p.Email.Value
		} else if p.Personal != nil {
			// A move names the user by its email as restated under the new customer's key, not
			// as the read model holds it (sealed under the old one, and erased with it).
			e.name = p.Personal.Email
		}
		if p.CustomerID.Set {
			if e.customer, err = optID("customer_id", p.CustomerID.Value); err != nil {
				break
			}
			e.otherBefore = true
		}
		e.template = `Edited user %1$s: ` + changed(p.Role.Set, "role", p.Name.Set, "name", p.Email.Set, "email",
			p.Remark.Set, "remark", p.CustomerID.Set, "customer")
	case events.UserDisabledV1:
		e.template = `Disabled user %1$s`
	case events.UserEnabledV1:
		e.template = `Enabled user %1$s`
	case events.UserDeletedV1:
		e.actionType, e.template = actionDelete, `Deleted user %1$s`
	case events.UserPasswordChangedV1:
		e.template = `Reset the password of user %1$s`
		if p.ByUser {
			e.template = `User %1$s changed their password`
		}
	case events.UserPermissionsChangedV1:
		e.template = `Changed the permissions of user %1$s`

	case events.DomainAddedV1:
		e.actionType, e.template, e.name = actionAdd, `Added domain %1$s to "%2$s"`, p.Settings.Host
		e.customer, err = optID("customer_id", p.CustomerID)
	case events.DomainUpdatedV1:
		if p.Host.Set {
			e.name = p.Host.Value
		}
		e.template = `Edited domain %1$s: ` + changed(p.Host.Set, "host", p.HTTPPorts.Set, "HTTP ports", p.HTTPSPorts.Set, "HTTPS ports",
			p.Scheme.Set, "scheme", p.Origins.Set, "origins", p.LoadBalancing.Set, "load balancing", p.Cache.Set, "cache",
			p.Redirection.Set, "redirection", p.SSL.Set, "SSL", p.TLSProtocols.Set, "TLS protocols", p.WAF.Set, "WAF")
	case events.DomainMovedV1:
		e.template = `Moved domain %1$s to "%2$s"`
		if e.customer, err = optID("to_customer_id", p.ToCustomerID); err == nil {
			e.other, err = optID("from_customer_id", p.FromCustomerID)
		}
	case events.DomainRemovedV1:
		e.actionType, e.template = actionDelete, `Deleted domain %1$s`

	case events.ExportRequestedV1:
		e.actionType, e.template = actionAdd, `Requested a domain export of "%2$s"`
		e.customer, err = optID("customer_id", p.CustomerID)
	case events.ExportStartedV1:
		e.template = `Started the domain export of "%2$s" (attempt ` + strconv.Itoa(p.Attempt) + `)`
	case events.ExportSucceededV1:
		e.template = `The domain export of "%2$s" succeeded: ` + strconv.Itoa(p.Rows) + ` domains`
	case events.ExportFailedV2:
		e.template, e.extra = `The domain export of "%2$s" failed: %3$s`, p.Reason
	case events.ExportDownloadedV1:
		e.actionType, e.template = actionDownload, `Downloaded the domain export of "%2$s"`
	case events.ExportExpiredV1:
		e.template = `The domain export of "%2$s" expired`
	default:
		return e, &eventError{fmt.Sprintf("event type %s on a %s subject", payload.EventType(), kind)}
	}
	return e, err
}

// changed lists the names whose flag is set, "a, b and c"; pairs alternate flag and name.
func changed(pairs ...any) string {
	var names []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i].(bool) {
			names = append(names, pairs[i+1].(string))
		}
	}
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// auditInsertSQL is, for each kind of resource, the statement writing an audit row. Parameters:
// $1 seq, $2 event id, $3 time, $4 type, $5 action type, $6 resource type, $7 resource id, $8 the
// resource's name when the event gives it, $9 its customer when the event gives it, $10 the
// customer it left (or 'lookup': its customer before the event), $11 a created customer's name,
// $12 actor type, $13 actor id, $14 request id, $15 aggregate version, $16 action template, $17
// extra, $18 the event's data, $19 a created customer's parent, $20 true to take as $10
// the resource's customer before the event.
var auditInsertSQL = map[string]string{
	// A customer gone from the read model (customer.erased follows its deletion) keeps the name
	// of its last audit row.
	resourceCustomer: auditInsert(`coalesce((SELECT name FROM customers_v1 WHERE id = $7),
		(SELECT a.resource_name FROM audit_v1 a WHERE a.customer_id = $7 AND a.resource_type = 'customer' ORDER BY a.seq DESC LIMIT 1))`, `NULL::uuid`),
	resourceUser:   auditInsert(`(SELECT email FROM users_v1 WHERE id = $7)`, `(SELECT customer_id FROM users_v1 WHERE id = $7)`),
	resourceDomain: auditInsert(`(SELECT host FROM domains_v1 WHERE id = $7)`, `(SELECT customer_id FROM domains_v1 WHERE id = $7)`),
	resourceExport: auditInsert(`''`, `(SELECT customer_id FROM exports_v1 WHERE id = $7)`),
}

func auditInsert(name, customer string) string {
	return `
INSERT INTO audit_v1 (seq, event_id, time, type, action_type, resource_type, resource_id, resource_name, customer_id,
                      other_customer_id, customer_name, customer_ancestors, actor_type, actor_id, actor_email,
                      request_id, aggregate_version, action, change)
SELECT $1, $2, $3, $4, $5, $6, $7, r.name, c.id,
       CASE WHEN $20::bool THEN c.before ELSE $10::uuid END,
       n.customer_name, n.ancestors,
       $12, $13::uuid, coalesce((SELECT email FROM audit_actors WHERE user_id = $13::uuid), ''),
       $14, $15, format($16, r.name, n.customer_name, $17::text), $18::json
FROM (SELECT coalesce($8::text, ` + name + `, '') AS name) r
CROSS JOIN (SELECT coalesce($9::uuid, x.before) AS id, x.before FROM (SELECT ` + customer + ` AS before) x) c
LEFT JOIN customers_v1 cv ON cv.id = c.id
LEFT JOIN LATERAL (SELECT array_prepend(p.id, p.ancestors) AS anc FROM customers_v1 p WHERE p.id = $19::uuid) np ON true
-- A customer gone from the read model (deleted earlier in the batch) lends its name and place
-- from its last audit row. CASE runs those lookups only then: as a filter of a lateral join, the
-- condition would let the scan walk all of a live customer's rows for every event.
CROSS JOIN LATERAL (SELECT
    coalesce(cv.name, $11::text, CASE WHEN cv.id IS NULL THEN
        (SELECT a.customer_name FROM audit_v1 a WHERE a.customer_id = c.id ORDER BY a.seq DESC LIMIT 1) END, '') AS customer_name,
    coalesce(cv.ancestors, np.anc, CASE WHEN cv.id IS NULL THEN
        (SELECT a.customer_ancestors FROM audit_v1 a WHERE a.customer_id = c.id ORDER BY a.seq DESC LIMIT 1) END, '{}') AS ancestors) n`
}

// upsertAuditActorSQL records a user's current email for the audit rows of its actions, and its
// customer ($3) when it is created (NULL: unchanged).
const upsertAuditActorSQL = `
INSERT INTO audit_actors (user_id, email, customer_id) VALUES ($1, $2, $3)
ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, customer_id = coalesce(excluded.customer_id, audit_actors.customer_id)`

// moveAuditActorSQL records the new customer ($2) of a user that moved.
const moveAuditActorSQL = `UPDATE audit_actors SET customer_id = $2 WHERE user_id = $1`

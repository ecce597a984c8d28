package projection

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/toffstech/customer-management/internal/events"
	csvexport "github.com/toffstech/customer-management/internal/export/csv"
)

// bulkFold folds the events of the customers read model in memory, into the rows the reducer's
// SQL leaves in its tables after the same events (see rebuild_bulk.go). Each method below mirrors
// the statements it names, in their order; where the SQL would park the event as poison, or
// would fail, the fold gives up (errBulkGaveUp), and the rebuild replays the log event by event
// instead. So it need not know how the SQL path parks an event: only that it would.
//
// A user or domain row copies its customer's name and ancestors, which customer renames and moves
// change, by customer_id and by ancestor (renameUsersCustomerSQL, moveSubtreeDomainsSQL, …). The
// rows of one customer always hold the same copy, so they share it: a bulkGroup, which the fold
// changes once instead of once per row. A customer's rows can hold an older copy only when the
// customer was deleted and created again under the same id (its new rows get a new group): the
// statements change every group of the id, as they change every row.
type bulkFold struct {
	reducer customers

	customers map[uuid.UUID]*bulkCustomer
	// customerRows lists the customers in the order they were created, deleted ones marked gone;
	// users, domains and exports likewise. The tables are written in that order, as the reducer
	// inserts them.
	customerRows []*bulkCustomer
	// children are the customers whose parent_id is the key (held or not), as renameChildrenSQL
	// finds them.
	children map[uuid.UUID]map[uuid.UUID]struct{}
	// groups are the copies of each customer that user and domain rows hold.
	groups     map[uuid.UUID][]*bulkGroup
	users      map[uuid.UUID]*bulkUser
	userRows   []*bulkUser
	domains    map[uuid.UUID]*bulkDomain
	domainRows []*bulkDomain
	exports    map[uuid.UUID]*bulkExport
	exportRows []*bulkExport
	actors     map[uuid.UUID]*bulkActor
	actorRows  []*bulkActor

	// lastAudit is, by customer_id, the customer name and ancestors of the last audit row with
	// that customer, and lastCustomerName the resource name of the last audit row about the
	// customer itself: what auditInsertSQL looks up for a customer gone from the read model.
	// No erasure changes those columns.
	lastAudit        map[uuid.UUID]bulkAuditCustomer
	lastCustomerName map[uuid.UUID]string

	// An audit row about a user, or of an action of a user, may be scrubbed by a later erasure
	// (queueErasure): it is held until the end. Every other row is final once written, and goes
	// to emit at once.
	held       []*bulkAudit
	heldUsers  map[uuid.UUID][]*bulkAudit // by customer_id, the rows about users
	heldActors map[uuid.UUID][]*bulkAudit // by actor_id
	emit       func(*bulkAudit) error
}

// errBulkGaveUp reports that the bulk rebuild met something it must not decide itself: a poison
// event, or a case whose SQL it does not mirror. Whatever it wrote is rolled back, and the rebuild
// replays the log event by event.
var errBulkGaveUp = errors.New("projection: bulk rebuild gave up")

// bulkCustomer is one row of customers_v1.
type bulkCustomer struct {
	id            uuid.UUID
	name, address string
	parent        pgtype.UUID // NULL for a root
	parentName    pgtype.Text // NULL when the parent was not held
	ancestors     []uuid.UUID
	created       time.Time
	updated       time.Time
	version       int64
	lastSeq       int64
	// group is the copy of this customer that its new users and domains take.
	group *bulkGroup
	gone  bool
}

// bulkGroup is the customer name and ancestors that user and domain rows of one customer copy.
type bulkGroup struct {
	customer  uuid.UUID
	name      string
	ancestors []uuid.UUID
}

// bulkUser is one row of users_v1.
type bulkUser struct {
	id                                uuid.UUID
	group                             *bulkGroup
	role, name, email, status, remark string
	created, updated                  time.Time
	version, lastSeq                  int64
	gone                              bool
}

// bulkDomain is one row of domains_v1. settings is jsonb's text of the settings.
type bulkDomain struct {
	id               uuid.UUID
	group            *bulkGroup
	host             string
	settings         string
	cells            csvexport.Cells
	created, updated time.Time
	version, lastSeq int64
	gone             bool
}

// bulkExport is one row of exports_v1.
type bulkExport struct {
	id                                  uuid.UUID
	customer                            uuid.UUID
	requestedBy                         string
	requestedAt                         time.Time
	status                              string
	startedAt, finishedAt, expiresAt    pgtype.Timestamptz
	attempts, downloads                 int64
	rows                                pgtype.Int8
	bytes                               pgtype.Int8
	sha256, objectKey, filename, reason pgtype.Text
	reasonCode                          pgtype.Text
	version, lastSeq                    int64
}

// bulkActor is one row of audit_actors.
type bulkActor struct {
	user     uuid.UUID
	email    string
	customer pgtype.UUID
}

// bulkAuditCustomer is what an audit row says of its customer.
type bulkAuditCustomer struct {
	name      string
	ancestors []uuid.UUID
}

// bulkAudit is one row of audit_v1.
type bulkAudit struct {
	seq                           int64
	eventID                       string
	time                          time.Time
	typ, actionType, resourceType string
	resourceID                    uuid.UUID
	resourceName                  string
	customer, other               pgtype.UUID
	customerName                  string
	ancestors                     []uuid.UUID
	actorType                     string
	actor                         pgtype.UUID
	actorEmail, requestID         string
	aggregateVersion              int64
	action, change                string
}

// noAncestors is the ancestors of a root: '{}', never NULL.
var noAncestors = []uuid.UUID{}

func newBulkFold(r customers, emit func(*bulkAudit) error) *bulkFold {
	return &bulkFold{
		reducer:          r,
		customers:        map[uuid.UUID]*bulkCustomer{},
		children:         map[uuid.UUID]map[uuid.UUID]struct{}{},
		groups:           map[uuid.UUID][]*bulkGroup{},
		users:            map[uuid.UUID]*bulkUser{},
		domains:          map[uuid.UUID]*bulkDomain{},
		exports:          map[uuid.UUID]*bulkExport{},
		actors:           map[uuid.UUID]*bulkActor{},
		lastAudit:        map[uuid.UUID]bulkAuditCustomer{},
		lastCustomerName: map[uuid.UUID]string{},
		heldUsers:        map[uuid.UUID][]*bulkAudit{},
		heldActors:       map[uuid.UUID][]*bulkAudit{},
		emit:             emit,
	}
}

// giveUp wraps why the fold stops at ev.
func giveUp(ev event, format string, args ...any) error {
	return fmt.Errorf("%w at sequence %d (%s): %s", errBulkGaveUp, ev.Seq, ev.Subject, fmt.Sprintf(format, args...))
}

// bulkEvent is one event as the fold applies it, with the work that needs nothing of the fold's
// state done ahead by prepareBulk, on other goroutines than the fold's (see rebuild_bulk.go):
// decoding, opening the personal fields, the audit row's change, a domain.added's settings text
// and CSV cells.
type bulkEvent struct {
	ev event
	// reads is false for an event on a subject the read model does not read.
	reads bool
	d     decoded
	// err makes the fold give up at this event: the event does not decode, or its change or
	// settings cannot be rendered.
	err      error
	change   string
	settings string
	cells    csvexport.Cells
}

// prepareBulk prepares ev for the fold.
func prepareBulk(ctx context.Context, r customers, ev event) bulkEvent {
	b := bulkEvent{ev: ev, reads: r.reads(ev.Subject)}
	if !b.reads {
		return b
	}
	if b.d, b.err = r.decode(ctx, ev); b.err != nil {
		return b
	}
	if b.change, b.err = auditChange(b.d.env, b.d.payload); b.err != nil {
		return b
	}
	if p, ok := b.d.payload.(events.DomainAddedV1); ok {
		// insertDomainSQL: the settings go through jsonb.
		var err error
		if b.settings, err = jsonbOf(p.Settings); err != nil {
			b.err = fmt.Errorf("domain.added: settings: %w", err)
			return b
		}
		b.cells = csvexport.EncodeCells(csvexport.FromSettings(p.Settings, ""))
	}
	return b
}

// apply folds one event, as customers.queue queues it: its audit row first, then its own
// statements.
func (f *bulkFold) apply(b *bulkEvent) error {
	if !b.reads {
		return nil
	}
	if b.err != nil {
		return giveUp(b.ev, "%v", b.err)
	}
	if err := f.audit(b); err != nil {
		return err
	}
	switch b.d.kind {
	case resourceUser:
		return f.user(b.ev, b.d)
	case resourceDomain:
		return f.domain(b)
	case resourceExport:
		return f.export(b.ev, b.d)
	}
	return f.customer(b.ev, b.d)
}

// version is the version a row takes from env (see versionArg): the aggregate version, or one
// more than prev (0 for a new row).
func version(env events.Envelope, prev int64) int64 {
	if v, ok := versionArg(env).(int64); ok {
		return v
	}
	return prev + 1
}

// validUUID makes a non-NULL uuid.
func validUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

// ancestorsOf returns the ancestors of a child of parent whose row is p (nil: not held), as
// insertCustomerSQL and updateCustomer compute them.
func ancestorsOf(parent uuid.UUID, p *bulkCustomer) []uuid.UUID {
	if p == nil {
		return []uuid.UUID{parent}
	}
	return append([]uuid.UUID{parent}, p.ancestors...)
}

// checkAncestors refuses ancestors that name the customer itself or one customer twice: only a
// cycle in the log makes them, and the SQL's array_position then picks among the repeats.
func checkAncestors(ev event, id uuid.UUID, anc []uuid.UUID) error {
	for i, a := range anc {
		if a == id || slices.Contains(anc[i+1:], a) {
			return giveUp(ev, "ancestors %v of %s repeat a customer", anc, id)
		}
	}
	return nil
}

// audit writes the audit row of b as auditInsertSQL does, then the audit_actors changes
// queueAudit queues after it.
func (f *bulkFold) audit(b *bulkEvent) error {
	ev, d := b.ev, b.d
	e, err := auditOf(d.kind, d.id, d.payload)
	if err != nil {
		return giveUp(ev, "%v", err)
	}
	actorArg, err := auditActor(d.env)
	if err != nil {
		return giveUp(ev, "%v", err)
	}
	// r.name: the event's, else the resource's as the read model holds it.
	name, named := e.name.(string)
	// c.before: the resource's customer before the event.
	var before pgtype.UUID
	switch d.kind {
	case resourceCustomer:
		if !named {
			if c := f.customers[d.id]; c != nil {
				name = c.name
			} else {
				name = f.lastCustomerName[d.id]
			}
		}
	case resourceUser:
		if u := f.users[d.id]; u != nil {
			before = validUUID(u.group.customer)
			if !named {
				name = u.email
			}
		}
	case resourceDomain:
		if x := f.domains[d.id]; x != nil {
			before = validUUID(x.group.customer)
			if !named {
				name = x.host
			}
		}
	case resourceExport:
		if x := f.exports[d.id]; x != nil {
			before = validUUID(x.customer)
		}
	}
	customer := before
	if c, ok := e.customer.(uuid.UUID); ok {
		customer = validUUID(c)
	}
	var other pgtype.UUID
	if e.otherBefore {
		other = before
	} else if o, ok := e.other.(uuid.UUID); ok {
		other = validUUID(o)
	}
	// n: the customer's name and ancestors from its row; for a customer gone from the read
	// model, from its last audit row.
	var cv *bulkCustomer
	var last bulkAuditCustomer
	hasLast := false
	if customer.Valid {
		if cv = f.customers[customer.Bytes]; cv == nil {
			last, hasLast = f.lastAudit[customer.Bytes]
		}
	}
	var customerName string
	switch {
	case cv != nil:
		customerName = cv.name
	case e.customerName != nil:
		customerName = e.customerName.(string)
	case hasLast:
		customerName = last.name
	}
	ancestors := noAncestors
	var parent *bulkCustomer
	if p, ok := e.parent.(uuid.UUID); ok {
		parent = f.customers[p]
	}
	switch {
	case cv != nil:
		ancestors = cv.ancestors
	case parent != nil:
		ancestors = ancestorsOf(parent.id, parent)
	case hasLast:
		ancestors = last.ancestors
	}
	var actor pgtype.UUID
	actorEmail := ""
	if a, ok := actorArg.(uuid.UUID); ok {
		actor = validUUID(a)
		if x := f.actors[a]; x != nil {
			actorEmail = x.email
		}
	}
	action, err := pgFormat(e.template, name, customerName, e.extra)
	if err != nil {
		return giveUp(ev, "%v", err)
	}
	row := &bulkAudit{
		seq: int64(ev.Seq), eventID: d.env.ID, time: d.env.Time, typ: d.env.Type, actionType: e.actionType,
		resourceType: d.kind, resourceID: d.id, resourceName: name, customer: customer, other: other,
		customerName: customerName, ancestors: ancestors, actorType: d.env.ActorType, actor: actor,
		actorEmail: actorEmail, requestID: d.env.RequestID, aggregateVersion: int64(d.env.AggregateVersion),
		action: action, change: b.change,
	}
	if customer.Valid {
		f.lastAudit[customer.Bytes] = bulkAuditCustomer{name: customerName, ancestors: ancestors}
		if d.kind == resourceCustomer {
			f.lastCustomerName[customer.Bytes] = name
		}
	}
	if d.kind == resourceUser || actor.Valid {
		f.held = append(f.held, row)
		if d.kind == resourceUser && customer.Valid {
			f.heldUsers[customer.Bytes] = append(f.heldUsers[customer.Bytes], row)
		}
		if actor.Valid {
			f.heldActors[actor.Bytes] = append(f.heldActors[actor.Bytes], row)
		}
	} else if err := f.emit(row); err != nil {
		return err
	}

	// upsertAuditActorSQL and moveAuditActorSQL.
	switch p := d.payload.(type) {
	case events.UserCreatedV1:
		c, _ := e.customer.(uuid.UUID)
		f.upsertActor(d.id, p.Email, pgtype.UUID{Bytes: c, Valid: e.customer != nil})
	case events.UserUpdatedV1:
		if p.Personal != nil {
			f.upsertActor(d.id, p.Personal.Email, pgtype.UUID{})
		} else if p.Email.Set {
			f.upsertActor(d.id, p.Email.Value, pgtype.UUID{})
		}
		if p.CustomerID.Set {
			if x := f.actors[d.id]; x != nil {
				c, _ := e.customer.(uuid.UUID)
				x.customer = pgtype.UUID{Bytes: c, Valid: e.customer != nil}
			}
		}
	}
	return nil
}

// upsertActor is upsertAuditActorSQL: customer NULL leaves an actor's customer as it is.
func (f *bulkFold) upsertActor(user uuid.UUID, email string, customer pgtype.UUID) {
	x := f.actors[user]
	if x == nil {
		x = &bulkActor{user: user}
		f.actors[user] = x
		f.actorRows = append(f.actorRows, x)
	}
	x.email = email
	if customer.Valid {
		x.customer = customer
	}
}

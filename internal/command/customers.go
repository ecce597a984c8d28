package command

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// Source is the CloudEvents source of events appended by this package.
const Source = "/customer-management/api"

// maxAttempts bounds how often a command is re-decided after a concurrent modification.
const maxAttempts = 10

// Customers handles the customer commands.
type Customers struct {
	store *eventstore.Store
	cache *aggregateCache[domain.Customer]
	auth  Authorizer
	// users and domains, once set by NewUsers and NewDomains, make a customer delete delete its
	// users and domains too.
	users   *Users
	domains *Domains
	// keys seal the personal data of users and are destroyed to erase it; set by NewUsers.
	keys Keys
}

// NewCustomers returns the customer command handlers. auth nil means AllowAll.
func NewCustomers(store *eventstore.Store, auth Authorizer) *Customers {
	if auth == nil {
		auth = AllowAll{}
	}
	return &Customers{store: store, cache: newAggregateCache[domain.Customer](200_000), auth: auth}
}

// Result is the outcome of a customer command.
type Result struct {
	// Customer is the state after the command.
	Customer domain.Customer
	// Seq is the stream sequence a reader must have seen to observe the result (the consistency
	// token): the last event appended, or the customer's last event when nothing was appended.
	Seq uint64
	// Changed reports whether events were appended.
	Changed bool
}

// customer returns the customer's state, from the cache when fresh is false; fresh loads only the
// events after the cached state (one direct get), which also sees the latest write of any process.
func (h *Customers) customer(ctx context.Context, id string, fresh bool) (domain.Customer, error) {
	c, ok := h.cache.get(id)
	if ok && !fresh {
		return c, nil
	}
	if !ok {
		c = domain.Customer{ID: id}
	}
	stored, err := h.store.Load(ctx, events.CustomerSubject(id), c.LastSeq)
	if err != nil {
		return domain.Customer{}, err
	}
	for _, s := range stored {
		r, err := recorded(s)
		if err != nil {
			return domain.Customer{}, err
		}
		c.Apply(r)
	}
	if c.Version > 0 {
		h.cache.put(c.ID, c, c.LastSeq)
	}
	return c, nil
}

// recorded decodes a stored event for folding.
func recorded(s eventstore.Stored) (domain.Recorded, error) {
	p, err := events.DecodeData(s.Envelope)
	if err != nil && !errors.Is(err, events.ErrUnknownType) {
		return domain.Recorded{}, fmt.Errorf("command: event %d: %w", s.Seq, err)
	}
	return domain.Recorded{Seq: s.Seq, Time: s.Envelope.Time, Version: s.Envelope.AggregateVersion, Payload: p}, nil
}

// path returns the ids of the customer and its ancestors up to the root.
func (h *Customers) path(ctx context.Context, id string) ([]string, error) {
	var out []string
	for cur := id; cur != ""; {
		if len(out) > domain.MaxDepth+2 {
			return nil, fmt.Errorf("command: customer %s: ancestry deeper than %d (corrupt tree?)", id, domain.MaxDepth)
		}
		out = append(out, cur)
		c, err := h.customer(ctx, cur, false)
		if err != nil {
			return nil, err
		}
		cur = c.ParentID
	}
	return out, nil
}

// placement loads a prospective parent and its ancestors.
//
// The parent is read fresh (one direct get when it is cached): the commands that place a customer
// read the tree's tail first, so a move of the parent is either seen here or fails their
// expectation on the tree; and its deletion closes its hierarchy, which they expect unchanged.
func (h *Customers) placement(ctx context.Context, parentID string) (domain.Placement, error) {
	p, err := h.customer(ctx, parentID, true)
	if err != nil {
		return domain.Placement{}, err
	}
	if !p.Exists() {
		return domain.Placement{Parent: &p}, nil
	}
	anc, err := h.path(ctx, p.ParentID)
	if err != nil {
		return domain.Placement{}, err
	}
	return domain.Placement{Parent: &p, Ancestors: anc}, nil
}

// tail is what a command needs to know of a bookkeeping aggregate: where it ends and its version.
type tail struct {
	seq     uint64
	version uint64
	payload events.Payload
}

func (h *Customers) tail(ctx context.Context, subject string) (tail, error) {
	s, err := h.store.Last(ctx, subject)
	if err != nil || s == nil {
		return tail{}, err
	}
	p, err := events.DecodeData(s.Envelope)
	if err != nil {
		return tail{}, fmt.Errorf("command: last event of %s: %w", subject, err)
	}
	return tail{seq: s.Seq, version: s.Envelope.AggregateVersion, payload: p}, nil
}

// holder returns who holds a reservation tail.
func (t tail) holder() string {
	if c, ok := t.payload.(events.ReservationClaimedV1); ok {
		return c.OwnerID
	}
	return ""
}

// hierarchy loads the full list of a customer's children.
func (h *Customers) hierarchy(ctx context.Context, id string) (domain.Hierarchy, uint64, error) {
	stored, err := h.store.Load(ctx, events.HierarchySubject(id), 0)
	if err != nil {
		return domain.Hierarchy{}, 0, err
	}
	var hy domain.Hierarchy
	var version uint64
	for _, s := range stored {
		r, err := recorded(s)
		if err != nil {
			return domain.Hierarchy{}, 0, err
		}
		hy.Apply(r)
		version = s.Envelope.AggregateVersion
	}
	return hy, version, nil
}

// subtreeHeight is the height of a customer's subtree (1 for a leaf), walked through the log's
// hierarchy aggregates and capped just past the depth limit.
func (h *Customers) subtreeHeight(ctx context.Context, id string) (int, error) {
	level := []string{id}
	height := 0
	for len(level) > 0 && height <= domain.MaxDepth {
		height++
		var next []string
		for _, n := range level {
			hy, _, err := h.hierarchy(ctx, n)
			if err != nil {
				return 0, err
			}
			next = append(next, hy.Children...)
		}
		level = next
	}
	return height, nil
}

// batch accumulates the messages of one command.
type batch struct {
	m    Meta
	ids  idSeq
	msgs []eventstore.Message
	// payloads are the messages' payloads as decided, before any sealing: what the command folds.
	payloads []events.Payload
}

func newBatch(m Meta) *batch { return &batch{m: m, ids: idSeq{m: m}} }

// add appends an event of aggregate (aggType, aggID) at version on subject, with an optional
// expectation (on subject itself, or on expectSubject when it is not empty).
func (b *batch) add(subject, aggType, aggID, resource string, version uint64, p events.Payload, expect *uint64, expectSubject string) error {
	data, sv, err := events.MarshalData(p)
	if err != nil {
		return err
	}
	env := events.Envelope{
		ID:               b.ids.next("event"),
		Source:           Source,
		SpecVersion:      events.SpecVersion,
		Type:             p.EventType(),
		Subject:          resource,
		Time:             b.m.Now.UTC(),
		DataContentType:  events.ContentType,
		AggregateType:    aggType,
		AggregateID:      aggID,
		AggregateVersion: version,
		SchemaVersion:    sv,
		RequestID:        b.m.RequestID,
		CorrelationID:    b.m.CorrelationID,
		CausationID:      b.m.CommandID,
		Data:             data,
	}
	env.SetActor(b.m.Actor)
	b.msgs = append(b.msgs, eventstore.Message{Subject: subject, Envelope: env, Expect: expect, ExpectSubject: expectSubject})
	b.payloads = append(b.payloads, p)
	return nil
}

func (b *batch) customer(c domain.Customer, p events.Payload, expect *uint64, expectSubject string) error {
	return b.add(events.CustomerSubject(c.ID), events.AggregateCustomer, c.ID, "customers/"+c.ID, c.Version+1, p, expect, expectSubject)
}

func (b *batch) reservation(key string, t tail, p events.Payload, expect *uint64, expectSubject string) error {
	return b.reservationOf(events.KindCustomerName, key, t, p, expect, expectSubject)
}

func (b *batch) reservationOf(kind, key string, t tail, p events.Payload, expect *uint64, expectSubject string) error {
	id := events.ReservationID(kind, key)
	return b.add(events.ReservationSubject(kind, key), events.AggregateReservation, id, "reservations/"+id, t.version+1, p, expect, expectSubject)
}

// user adds event p of user u, stored as sealed (p with its personal fields sealed) and folded as p.
func (b *batch) user(u domain.User, p, sealed events.Payload, expect *uint64, expectSubject string) error {
	if err := b.add(events.UserSubject(u.ID), events.AggregateUser, u.ID, "users/"+u.ID, u.Version+1, sealed, expect, expectSubject); err != nil {
		return err
	}
	b.payloads[len(b.payloads)-1] = p
	return nil
}

// members adds event p of customer customerID's members list, whose tail is t. Joining a closed
// list (its customer was deleted after the command read the customer) is a conflict, so the
// command's retry reads the customer again and refuses: expecting the tail alone would not do, as
// the close is the tail.
func (b *batch) members(customerID string, t tail, p events.Payload, expect *uint64, expectSubject string) error {
	if _, closed := t.payload.(events.MembersClosedV1); closed {
		switch p.(type) {
		case events.MembersUserAddedV1, events.MembersDomainAddedV1:
			return fmt.Errorf("%w: the members list of customer %s is closed", eventstore.ErrConflict, customerID)
		}
	}
	return b.add(events.MembersSubject(customerID), events.AggregateMembers, customerID, "customers/"+customerID+"/members", t.version+1, p, expect, expectSubject)
}

func (b *batch) hierarchy(parentID string, t tail, p events.Payload, expect *uint64, expectSubject string) error {
	return b.add(events.HierarchySubject(parentID), events.AggregateHierarchy, parentID, "customers/"+parentID+"/children", t.version+1, p, expect, expectSubject)
}

// fold applies the batch's events of customer c to it, with the stream sequences they got.
func (b *batch) fold(c *domain.Customer, lastSeq uint64) {
	b.each(events.CustomerSubject(c.ID), lastSeq, c.Apply)
}

// foldUser applies the batch's events of user u to it.
func (b *batch) foldUser(u *domain.User, lastSeq uint64) {
	b.each(events.UserSubject(u.ID), lastSeq, u.Apply)
}

// each calls apply with every event of the batch on subject, as stored at the sequences the batch
// got (a batch is stored contiguously, ending at lastSeq).
func (b *batch) each(subject string, lastSeq uint64, apply func(domain.Recorded)) {
	first := lastSeq - uint64(len(b.msgs)) + 1
	for i, m := range b.msgs {
		if m.Subject != subject {
			continue
		}
		apply(domain.Recorded{Seq: first + uint64(i), Time: m.Envelope.Time, Version: m.Envelope.AggregateVersion, Payload: b.payloads[i]})
	}
}

// commit appends the batch and returns customer c with the batch's events folded in.
func (h *Customers) commit(ctx context.Context, b *batch, c domain.Customer) (Result, error) {
	seq, err := h.store.Append(ctx, b.msgs)
	if err != nil {
		return Result{}, err
	}
	b.fold(&c, seq)
	h.cache.put(c.ID, c, c.LastSeq)
	return Result{Customer: c, Seq: seq, Changed: true}, nil
}

func now(m Meta) time.Time {
	if m.Now.IsZero() {
		return time.Now().UTC()
	}
	return m.Now
}

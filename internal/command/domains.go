package command

import (
	"context"
	"errors"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// Domain actions.
const (
	DomainView   Action = "Domain View"
	DomainAdd    Action = "Domain Add"
	DomainEdit   Action = "Domain Edit"
	DomainDelete Action = "Domain Delete"
)

// Domains handles the domain commands. It shares the customers' store, cache and authorizer.
type Domains struct {
	c     *Customers
	cache *aggregateCache[domain.Domain]
}

// NewDomains returns the domain command handlers; from then on deleting a customer also removes
// its domains.
func NewDomains(customers *Customers) *Domains {
	h := &Domains{c: customers, cache: newAggregateCache[domain.Domain](100_000)}
	customers.domains = h
	return h
}

// DomainResult is the outcome of a domain command.
type DomainResult struct {
	Domain  domain.Domain
	Seq     uint64
	Changed bool
}

// DomainChange is an update of a domain: new settings computed from the current ones (the HTTP
// layer applies the client's merge patch), and optionally another customer to move it to.
type DomainChange struct {
	Settings   func(current events.DomainSettings) (events.DomainSettings, error)
	CustomerID string
}

func (h *Domains) domain(ctx context.Context, id string, fresh bool) (domain.Domain, error) {
	d, ok := h.cache.get(id)
	if ok && !fresh {
		return d, nil
	}
	if !ok {
		d = domain.Domain{ID: id}
	}
	stored, err := h.c.store.Load(ctx, events.DomainSubject(id), d.LastSeq)
	if err != nil {
		return domain.Domain{}, err
	}
	for _, s := range stored {
		r, err := recorded(s)
		if err != nil {
			return domain.Domain{}, err
		}
		d.Apply(r)
	}
	if d.Version > 0 {
		h.cache.put(id, d, d.LastSeq)
	}
	return d, nil
}

func (h *Domains) authorize(ctx context.Context, m Meta, action Action, customerID string) error {
	return h.c.auth.Authorize(ctx, m, action, func(ctx context.Context) ([]string, error) {
		return h.c.path(ctx, customerID)
	})
}

func (b *batch) domain(d domain.Domain, p events.Payload, expect *uint64, expectSubject string) error {
	return b.add(events.DomainSubject(d.ID), events.AggregateDomain, d.ID, "domains/"+d.ID, d.Version+1, p, expect, expectSubject)
}

func (b *batch) foldDomain(d *domain.Domain, lastSeq uint64) {
	b.each(events.DomainSubject(d.ID), lastSeq, d.Apply)
}

// AddDomain adds a domain to a customer: domain.added, the claim of its host (unique across the
// system), and its addition to the customer's members (expecting the customer unchanged), in one
// atomic batch.
func (h *Domains) AddDomain(ctx context.Context, m Meta, customerID string, s events.DomainSettings) (DomainResult, error) {
	m.Now = now(m)
	if err := h.authorize(ctx, m, DomainAdd, customerID); err != nil {
		return DomainResult{}, err
	}
	s, err := domain.NormalizeDomainSettings(s)
	if err != nil {
		return DomainResult{}, err
	}
	id := newID(m.Now, seedIf(m, "domain"))
	if m.Idempotent {
		if d, err := h.domain(ctx, id, true); err != nil {
			return DomainResult{}, err
		} else if d.Version > 0 {
			return DomainResult{Domain: d, Seq: d.LastSeq, Changed: true}, nil
		}
	}
	for attempt := 0; ; attempt++ {
		res, err := h.tryAdd(ctx, m, id, customerID, s, attempt > 0)
		if !errors.Is(err, eventstore.ErrConflict) || attempt+1 >= maxAttempts {
			return res, err
		}
		h.c.cache.drop(customerID)
	}
}

func (h *Domains) tryAdd(ctx context.Context, m Meta, id, customerID string, s events.DomainSettings, fresh bool) (DomainResult, error) {
	cust, err := h.c.customer(ctx, customerID, fresh)
	if err != nil {
		return DomainResult{}, err
	}
	key := events.DomainHostKey(s.Host)
	res, err := h.c.tail(ctx, events.ReservationSubject(events.KindDomainHost, key))
	if err != nil {
		return DomainResult{}, err
	}
	evs, err := domain.DecideAddDomain(id, &cust, s, res.holder())
	if err != nil {
		return DomainResult{}, err
	}
	d := domain.Domain{ID: id}
	b := newBatch(m)
	if err := b.domain(d, evs[0], eventstore.Seq(0), ""); err != nil {
		return DomainResult{}, err
	}
	claim := events.ReservationClaimedV1{Kind: events.KindDomainHost, OwnerType: events.AggregateDomain, OwnerID: id}
	if err := b.reservationOf(events.KindDomainHost, key, res, claim, eventstore.Seq(res.seq), ""); err != nil {
		return DomainResult{}, err
	}
	mt, err := h.c.tail(ctx, events.MembersSubject(customerID))
	if err != nil {
		return DomainResult{}, err
	}
	// Expecting the members list unchanged: deleting the customer closes it.
	if err := b.members(customerID, mt, events.MembersDomainAddedV1{DomainID: id}, eventstore.Seq(mt.seq), ""); err != nil {
		return DomainResult{}, err
	}
	return h.commit(ctx, b, d)
}

func (h *Domains) commit(ctx context.Context, b *batch, d domain.Domain) (DomainResult, error) {
	if len(b.msgs) == 0 {
		return DomainResult{Domain: d, Seq: d.LastSeq}, nil
	}
	seq, err := h.c.store.Append(ctx, b.msgs)
	if err != nil {
		return DomainResult{}, err
	}
	b.foldDomain(&d, seq)
	h.cache.put(d.ID, d, d.LastSeq)
	return DomainResult{Domain: d, Seq: seq, Changed: true}, nil
}

// onDomain runs try on the current state of an existing domain the actor may act on (action on
// the domain's customer), matching If-Match, again on a fresh state after a conflict.
func (h *Domains) onDomain(ctx context.Context, m Meta, id string, action Action, try func(domain.Domain) (DomainResult, error)) (DomainResult, error) {
	fresh := false
	for attempt := 0; ; attempt++ {
		d, err := h.domain(ctx, id, fresh)
		if err != nil {
			return DomainResult{}, err
		}
		if !d.Exists() {
			if !fresh {
				fresh = true
				continue
			}
			return DomainResult{}, domainNotFound(id)
		}
		if err := h.authorize(ctx, m, action, d.CustomerID); err != nil {
			return DomainResult{}, err
		}
		if m.IfMatch != nil && d.Version != *m.IfMatch {
			if !fresh {
				fresh = true
				continue
			}
			return DomainResult{}, &domain.Error{Code: domain.PreconditionFailed,
				Message: "The domain was changed by someone else since you read it; reload it and try again.",
				Details: map[string]any{"current_version": d.Version}}
		}
		res, err := try(d)
		if !errors.Is(err, eventstore.ErrConflict) || attempt+1 >= maxAttempts {
			return res, err
		}
		h.cache.drop(id)
		fresh = true
	}
}

// GetDomain returns a domain's current state from the log.
func (h *Domains) GetDomain(ctx context.Context, m Meta, id string) (domain.Domain, error) {
	d, err := h.domain(ctx, id, true)
	if err != nil {
		return domain.Domain{}, err
	}
	if !d.Exists() {
		return domain.Domain{}, domainNotFound(id)
	}
	if err := h.authorize(ctx, m, DomainView, d.CustomerID); err != nil {
		return domain.Domain{}, err
	}
	return d, nil
}

// UpdateDomain changes a domain's settings and, with ch.CustomerID, moves it to another customer
// (which needs Domain Edit on both). A new host moves its reservation. Nothing changes → nothing
// is appended.
func (h *Domains) UpdateDomain(ctx context.Context, m Meta, id string, ch DomainChange) (DomainResult, error) {
	m.Now = now(m)
	return h.onDomain(ctx, m, id, DomainEdit, func(d domain.Domain) (DomainResult, error) {
		before := d // the state the batch folds onto
		b := newBatch(m)
		expect := eventstore.Seq(d.LastSeq)
		if ch.Settings != nil {
			s, err := ch.Settings(d.Settings)
			if err != nil {
				return DomainResult{}, err
			}
			if s, err = domain.NormalizeDomainSettings(s); err != nil {
				return DomainResult{}, err
			}
			var oldRes, newRes tail
			hostChanged := s.Host != d.Settings.Host
			if hostChanged {
				if newRes, err = h.c.tail(ctx, events.ReservationSubject(events.KindDomainHost, events.DomainHostKey(s.Host))); err != nil {
					return DomainResult{}, err
				}
				if oldRes, err = h.c.tail(ctx, events.ReservationSubject(events.KindDomainHost, events.DomainHostKey(d.Settings.Host))); err != nil {
					return DomainResult{}, err
				}
			}
			evs, err := d.DecideUpdateDomain(s, newRes.holder())
			if err != nil {
				return DomainResult{}, err
			}
			if len(evs) > 0 {
				if err := b.domain(d, evs[0], expect, ""); err != nil {
					return DomainResult{}, err
				}
				expect = nil // only the first message of a subject may carry an expectation
				d.Version++  // the next event of this domain in the batch
				if hostChanged {
					rel := events.ReservationReleasedV1{Kind: events.KindDomainHost, OwnerType: events.AggregateDomain, OwnerID: d.ID}
					if err := b.reservationOf(events.KindDomainHost, events.DomainHostKey(d.Settings.Host), oldRes, rel, eventstore.Seq(oldRes.seq), ""); err != nil {
						return DomainResult{}, err
					}
					claim := events.ReservationClaimedV1{Kind: events.KindDomainHost, OwnerType: events.AggregateDomain, OwnerID: d.ID}
					if err := b.reservationOf(events.KindDomainHost, events.DomainHostKey(s.Host), newRes, claim, eventstore.Seq(newRes.seq), ""); err != nil {
						return DomainResult{}, err
					}
				}
			}
		}
		if ch.CustomerID != "" && ch.CustomerID != d.CustomerID {
			if err := h.authorize(ctx, m, DomainEdit, ch.CustomerID); err != nil {
				if domain.ErrorCode(err) == domain.NotFound {
					return DomainResult{}, domain.InvalidFields(domain.FieldError{Field: "customer_id", Detail: "no such customer"})
				}
				return DomainResult{}, err
			}
			to, err := h.c.customer(ctx, ch.CustomerID, true)
			if err != nil {
				return DomainResult{}, err
			}
			evs, err := d.DecideMoveDomain(&to)
			if err != nil {
				return DomainResult{}, err
			}
			if err := b.domain(d, evs[0], expect, ""); err != nil {
				return DomainResult{}, err
			}
			ot, err := h.c.tail(ctx, events.MembersSubject(d.CustomerID))
			if err != nil {
				return DomainResult{}, err
			}
			if err := b.members(d.CustomerID, ot, events.MembersDomainRemovedV1{DomainID: d.ID}, eventstore.Seq(ot.seq), ""); err != nil {
				return DomainResult{}, err
			}
			nt, err := h.c.tail(ctx, events.MembersSubject(to.ID))
			if err != nil {
				return DomainResult{}, err
			}
			if err := b.members(to.ID, nt, events.MembersDomainAddedV1{DomainID: d.ID}, eventstore.Seq(nt.seq), ""); err != nil {
				return DomainResult{}, err
			}
		}
		return h.commit(ctx, b, before)
	})
}

// RemoveDomain removes a domain: domain.removed, the release of its host and its removal from its
// customer's members, atomically.
func (h *Domains) RemoveDomain(ctx context.Context, m Meta, id string) (DomainResult, error) {
	m.Now = now(m)
	return h.onDomain(ctx, m, id, DomainDelete, func(d domain.Domain) (DomainResult, error) {
		b := newBatch(m)
		if err := h.removeDomain(ctx, b, d, "", true); err != nil {
			return DomainResult{}, err
		}
		return h.commit(ctx, b, d)
	})
}

// removeDomain adds to b the events removing domain d; detach also removes it from its customer's
// members (not needed when the members list is closed in the same batch).
func (h *Domains) removeDomain(ctx context.Context, b *batch, d domain.Domain, reason string, detach bool) error {
	evs, err := d.DecideRemoveDomain(reason)
	if err != nil {
		return err
	}
	if err := b.domain(d, evs[0], eventstore.Seq(d.LastSeq), ""); err != nil {
		return err
	}
	key := events.DomainHostKey(d.Settings.Host)
	rt, err := h.c.tail(ctx, events.ReservationSubject(events.KindDomainHost, key))
	if err != nil {
		return err
	}
	rel := events.ReservationReleasedV1{Kind: events.KindDomainHost, OwnerType: events.AggregateDomain, OwnerID: d.ID}
	if err := b.reservationOf(events.KindDomainHost, key, rt, rel, eventstore.Seq(rt.seq), ""); err != nil {
		return err
	}
	if !detach {
		return nil
	}
	mt, err := h.c.tail(ctx, events.MembersSubject(d.CustomerID))
	if err != nil {
		return err
	}
	return b.members(d.CustomerID, mt, events.MembersDomainRemovedV1{DomainID: d.ID}, eventstore.Seq(mt.seq), "")
}

func domainNotFound(id string) error {
	return &domain.Error{Code: domain.NotFound, Message: "Domain not found.", Details: map[string]any{"id": id}}
}

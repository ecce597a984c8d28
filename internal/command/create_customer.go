package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// CreateCustomer creates a customer. Its events, appended in one atomic batch, are the customer's
// customer.created, the claim of its name among its siblings, and (under a parent) the attachment
// to the parent's hierarchy, which expects the parent unchanged since it was read.
func (h *Customers) CreateCustomer(ctx context.Context, m Meta, in domain.CreateCustomer) (Result, error) {
	m.Now = now(m)
	in, err := domain.PrepareCreate(in)
	if err != nil {
		return Result{}, err
	}
	id := newID(m.Now, seedIf(m, "customer"))
	if m.Idempotent {
		// A retry of a command whose first attempt was stored: answer as the first attempt did.
		if c, err := h.customer(ctx, id, true); err != nil {
			return Result{}, err
		} else if c.Version > 0 {
			return Result{Customer: c, Seq: c.LastSeq, Changed: true}, nil
		}
	}
	if err := h.authorizeCreate(ctx, m, in); err != nil {
		return Result{}, err
	}
	for attempt := 0; ; attempt++ {
		res, err := h.tryCreate(ctx, m, id, in)
		if !errors.Is(err, eventstore.ErrConflict) || attempt+1 >= maxAttempts {
			return res, err
		}
		if in.ParentID != "" {
			h.cache.drop(in.ParentID)
		}
	}
}

func (h *Customers) tryCreate(ctx context.Context, m Meta, id string, in domain.CreateCustomer) (Result, error) {
	b := newBatch(m)
	c, err := h.addCustomer(ctx, b, id, in)
	if err != nil {
		return Result{}, err
	}
	return h.commit(ctx, b, c)
}

// addCustomer adds to b the events creating customer id and returns the customer before them.
func (h *Customers) addCustomer(ctx context.Context, b *batch, id string, in domain.CreateCustomer) (domain.Customer, error) {
	var facts domain.CreateFacts
	var tree tail
	if in.ParentID != "" {
		var err error
		if tree, err = h.tail(ctx, events.TreeSubject); err != nil {
			return domain.Customer{}, err
		}
		if facts.Parent, err = h.placement(ctx, in.ParentID); err != nil {
			return domain.Customer{}, err
		}
	}
	key := events.CustomerNameKey(in.ParentID, in.Name)
	res, err := h.tail(ctx, events.ReservationSubject(events.KindCustomerName, key))
	if err != nil {
		return domain.Customer{}, err
	}
	facts.NameHolder = res.holder()
	evs, err := domain.DecideCreate(id, in, facts)
	if err != nil {
		return domain.Customer{}, err
	}
	c := domain.Customer{ID: id}
	if in.ParentID == "" {
		err = b.customer(c, evs[0], eventstore.Seq(0), "")
	} else {
		// A new id cannot exist yet; its message instead checks that no move reshaped the tree
		// since the parent's depth was read.
		err = b.customer(c, evs[0], eventstore.Seq(tree.seq), events.TreeSubject)
	}
	if err != nil {
		return domain.Customer{}, err
	}
	claim := events.ReservationClaimedV1{Kind: events.KindCustomerName, OwnerType: events.AggregateCustomer, OwnerID: id}
	if err := b.reservation(key, res, claim, eventstore.Seq(res.seq), ""); err != nil {
		return domain.Customer{}, err
	}
	if in.ParentID != "" {
		ht, err := h.tail(ctx, events.HierarchySubject(in.ParentID))
		if err != nil {
			return domain.Customer{}, err
		}
		if _, closed := ht.payload.(events.HierarchyClosedV1); closed {
			return domain.Customer{}, fmt.Errorf("%w: parent %s was deleted", eventstore.ErrConflict, in.ParentID)
		}
		// Expecting the parent's hierarchy unchanged: a concurrent delete of the parent closes it.
		if err := b.hierarchy(in.ParentID, ht, events.HierarchyChildAttachedV1{ChildID: id}, eventstore.Seq(ht.seq), ""); err != nil {
			return domain.Customer{}, err
		}
	}
	return c, nil
}

// authorizeCreate checks that the actor may add a customer under in's parent (a root customer has
// an empty path, which only the platform operator reaches).
func (h *Customers) authorizeCreate(ctx context.Context, m Meta, in domain.CreateCustomer) error {
	err := h.auth.Authorize(ctx, m, CustomerAdd, func(ctx context.Context) ([]string, error) {
		if in.ParentID == "" {
			return nil, nil
		}
		return h.path(ctx, in.ParentID)
	})
	if domain.ErrorCode(err) == domain.NotFound {
		return InvalidParent() // as for a parent that does not exist
	}
	return err
}

func seedIf(m Meta, kind string) string {
	if !m.Idempotent {
		return ""
	}
	return m.CommandID + "/" + kind
}

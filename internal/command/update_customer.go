package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// UpdateCustomer applies a merge patch to a customer. A rename moves its name reservation; a move
// (new parent) also detaches it from the old parent's hierarchy, attaches it to the new one and
// appends to the tree subject, which serializes moves so that concurrent moves cannot form a cycle.
// An update that changes nothing appends nothing.
func (h *Customers) UpdateCustomer(ctx context.Context, m Meta, id string, in domain.UpdateCustomer) (Result, error) {
	m.Now = now(m)
	return h.onExisting(ctx, m, id, CustomerEdit, func(c domain.Customer) (Result, error) {
		return h.tryUpdate(ctx, m, c, in)
	})
}

// onExisting runs try on the current state of an existing customer the actor may act on, whose
// version matches the client's If-Match, and runs it again on a fresh state after a concurrent
// modification. A state from the cache is never trusted to refuse: a missing customer or a version
// mismatch is checked again on a fresh load first.
func (h *Customers) onExisting(ctx context.Context, m Meta, id string, action Action, try func(domain.Customer) (Result, error)) (Result, error) {
	fresh := false
	for attempt := 0; ; attempt++ {
		c, err := h.customer(ctx, id, fresh)
		if err != nil {
			return Result{}, err
		}
		if !c.Exists() {
			if !fresh {
				fresh = true
				continue
			}
			return Result{}, customerNotFound(id)
		}
		if err := h.authorizeOn(ctx, m, action, c); err != nil {
			return Result{}, err
		}
		if m.IfMatch != nil && c.Version != *m.IfMatch {
			if !fresh {
				fresh = true
				continue
			}
			return Result{}, preconditionFailed(c)
		}
		res, err := try(c)
		if !errors.Is(err, eventstore.ErrConflict) || attempt+1 >= maxAttempts {
			return res, err
		}
		h.cache.drop(id)
		fresh = true
	}
}

func (h *Customers) tryUpdate(ctx context.Context, m Meta, c domain.Customer, in domain.UpdateCustomer) (Result, error) {
	u, err := c.PrepareUpdate(in)
	if err != nil {
		return Result{}, err
	}
	if u.Empty() {
		return Result{Customer: c, Seq: c.LastSeq}, nil
	}
	newParent, newName := c.ParentID, c.Name
	if u.ParentID.Set {
		newParent = u.ParentID.Value
	}
	if u.Name.Set {
		newName = u.Name.Value
	}
	moved := u.ParentID.Set
	oldKey := events.CustomerNameKey(c.ParentID, c.Name)
	newKey := events.CustomerNameKey(newParent, newName)

	var facts domain.UpdateFacts
	var tree tail
	if moved {
		if err := h.mayReparent(ctx, m, c, newParent); err != nil {
			return Result{}, err
		}
		if tree, err = h.tail(ctx, events.TreeSubject); err != nil {
			return Result{}, err
		}
		if newParent != "" {
			if facts.Parent, err = h.placement(ctx, newParent); err != nil {
				return Result{}, err
			}
			if facts.SubtreeHeight, err = h.subtreeHeight(ctx, c.ID); err != nil {
				return Result{}, err
			}
			if err := h.authorizeOn(ctx, m, CustomerEdit, *facts.Parent.Parent); err != nil {
				return Result{}, err
			}
		}
	}
	var oldRes, newRes tail
	if oldKey != newKey {
		if newRes, err = h.tail(ctx, events.ReservationSubject(events.KindCustomerName, newKey)); err != nil {
			return Result{}, err
		}
		if oldRes, err = h.tail(ctx, events.ReservationSubject(events.KindCustomerName, oldKey)); err != nil {
			return Result{}, err
		}
		facts.NameHolder = newRes.holder()
	}
	evs, err := c.DecideUpdate(u, facts)
	if err != nil || len(evs) == 0 {
		return Result{Customer: c, Seq: c.LastSeq}, err
	}

	b := newBatch(m)
	if err := b.customer(c, evs[0], eventstore.Seq(c.LastSeq), ""); err != nil {
		return Result{}, err
	}
	if moved {
		mv := events.TreeCustomerMovedV1{CustomerID: c.ID, FromParentID: c.ParentID, ToParentID: newParent}
		if err := b.add(events.TreeSubject, events.AggregateTree, "tree", "tree", tree.version+1, mv, eventstore.Seq(tree.seq), ""); err != nil {
			return Result{}, err
		}
		if c.ParentID != "" {
			ot, err := h.tail(ctx, events.HierarchySubject(c.ParentID))
			if err != nil {
				return Result{}, err
			}
			if err := b.hierarchy(c.ParentID, ot, events.HierarchyChildDetachedV1{ChildID: c.ID}, eventstore.Seq(ot.seq), ""); err != nil {
				return Result{}, err
			}
		}
		if newParent != "" {
			nt, err := h.tail(ctx, events.HierarchySubject(newParent))
			if err != nil {
				return Result{}, err
			}
			if _, closed := nt.payload.(events.HierarchyClosedV1); closed {
				return Result{}, fmt.Errorf("%w: parent %s was deleted", eventstore.ErrConflict, newParent)
			}
			// A concurrent delete of the new parent closes its hierarchy: one of the two fails.
			if err := b.hierarchy(newParent, nt, events.HierarchyChildAttachedV1{ChildID: c.ID}, eventstore.Seq(nt.seq), ""); err != nil {
				return Result{}, err
			}
		}
	}
	if oldKey != newKey {
		who := events.AggregateCustomer
		rel := events.ReservationReleasedV1{Kind: events.KindCustomerName, OwnerType: who, OwnerID: c.ID}
		if err := b.reservation(oldKey, oldRes, rel, eventstore.Seq(oldRes.seq), ""); err != nil {
			return Result{}, err
		}
		claim := events.ReservationClaimedV1{Kind: events.KindCustomerName, OwnerType: who, OwnerID: c.ID}
		if err := b.reservation(newKey, newRes, claim, eventstore.Seq(newRes.seq), ""); err != nil {
			return Result{}, err
		}
	}
	return h.commit(ctx, b, c)
}

// authorizeOn checks action on an existing customer c.
func (h *Customers) authorizeOn(ctx context.Context, m Meta, action Action, c domain.Customer) error {
	return h.auth.Authorize(ctx, m, action, func(ctx context.Context) ([]string, error) {
		anc, err := h.path(ctx, c.ParentID)
		return append([]string{c.ID}, anc...), err
	})
}

func preconditionFailed(c domain.Customer) error {
	return &domain.Error{
		Code:    domain.PreconditionFailed,
		Message: "The customer was changed by someone else since you read it; reload it and try again.",
		Details: map[string]any{"current_version": c.Version},
	}
}

// mayReparent applies the rules of a move for a user actor: it must reach the customer and the
// new parent, it may not move its own customer, and only Toffstech Support makes a root customer.
func (h *Customers) mayReparent(ctx context.Context, m Meta, c domain.Customer, newParent string) error {
	if m.Actor.Type != events.ActorUser {
		return nil
	}
	target, err := h.path(ctx, c.ID)
	if err != nil {
		return err
	}
	var parentPath []string
	if newParent != "" {
		if parentPath, err = h.path(ctx, newParent); err != nil {
			return err
		}
	}
	if !auth.MayReparent(auth.Role(m.Actor.Role), m.Actor.CustomerID, target, parentPath) {
		if newParent != "" && !auth.Reaches(auth.Role(m.Actor.Role), m.Actor.CustomerID, parentPath) {
			return InvalidParent()
		}
		return &domain.Error{Code: domain.Forbidden, Message: "You cannot move this customer there."}
	}
	return nil
}

// InvalidParent is the answer for a parent the actor cannot see: the same as for one that does
// not exist, so nobody learns which ids exist out of their reach.
func InvalidParent() error {
	return domain.InvalidFields(domain.FieldError{Field: "parent_id", Detail: "no such customer"})
}

package command

import (
	"context"
	"errors"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// DeleteCustomer deletes a customer that manages no other customer. In one atomic batch it appends
// customer.deleted, releases the name (expecting the customer's own hierarchy unchanged, so no
// child can be attached in between) and detaches it from its parent's hierarchy.
func (h *Customers) DeleteCustomer(ctx context.Context, m Meta, id string) (Result, error) {
	m.Now = now(m)
	if m.Actor.Type == events.ActorUser && !auth.MayDeleteOrMove(auth.Role(m.Actor.Role), m.Actor.CustomerID, id) {
		return Result{}, &domain.Error{Code: domain.Forbidden, Message: "You cannot delete your own customer."}
	}
	return h.onExisting(ctx, m, id, CustomerDelete, func(c domain.Customer) (Result, error) {
		return h.tryDelete(ctx, m, c)
	})
}

func (h *Customers) tryDelete(ctx context.Context, m Meta, c domain.Customer) (Result, error) {
	hy, _, err := h.hierarchy(ctx, c.ID)
	if err != nil {
		return Result{}, err
	}
	evs, err := c.DecideDelete(hy.Children)
	if err != nil {
		return Result{}, h.nameChildren(ctx, err, hy.Children)
	}
	key := events.CustomerNameKey(c.ParentID, c.Name)
	res, err := h.tail(ctx, events.ReservationSubject(events.KindCustomerName, key))
	if err != nil {
		return Result{}, err
	}
	b := newBatch(m)
	if err := b.customer(c, evs[0], eventstore.Seq(c.LastSeq), ""); err != nil {
		return Result{}, err
	}
	rel := events.ReservationReleasedV1{Kind: events.KindCustomerName, OwnerType: events.AggregateCustomer, OwnerID: c.ID}
	if err := b.reservation(key, res, rel, eventstore.Seq(hy.LastSeq), events.HierarchySubject(c.ID)); err != nil {
		return Result{}, err
	}
	if c.ParentID != "" {
		pt, err := h.tail(ctx, events.HierarchySubject(c.ParentID))
		if err != nil {
			return Result{}, err
		}
		if err := b.hierarchy(c.ParentID, pt, events.HierarchyChildDetachedV1{ChildID: c.ID}, nil, ""); err != nil {
			return Result{}, err
		}
	}
	if h.users == nil {
		return h.commit(ctx, b, c)
	}
	users, err := h.users.removeMembers(ctx, b, c.ID)
	if err != nil {
		return Result{}, err
	}
	out, err := h.commit(ctx, b, c)
	if err != nil {
		return Result{}, err
	}
	for _, u := range users {
		if err := h.users.creds.DeleteCredential(ctx, u); err != nil {
			return Result{}, err
		}
	}
	return out, nil
}

// maxMembersPerDelete bounds the users deleted with their customer: all of them go in one atomic
// batch, which JetStream limits to 1000 messages (two per user).
const maxMembersPerDelete = 450

// nameChildren adds the children's names to a refused delete, so the answer names them.
func (h *Customers) nameChildren(ctx context.Context, err error, ids []string) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.Conflict || len(ids) == 0 {
		return err
	}
	type child struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	out := make([]child, 0, len(ids))
	for i, id := range ids {
		if i == 20 {
			break
		}
		c, lerr := h.customer(ctx, id, false)
		if lerr != nil {
			return err
		}
		out = append(out, child{ID: id, Name: c.Name})
	}
	de.Details = map[string]any{"children": out, "children_count": len(ids)}
	names := make([]string, len(out))
	for i, c := range out {
		names[i] = c.Name
	}
	de.Message = "The customer still manages other customers (" + joinNames(names, len(ids)) + "); delete or move them first."
	return de
}

func joinNames(names []string, total int) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	if total > len(names) {
		s += ", …"
	}
	return s
}

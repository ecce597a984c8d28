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
// customer.deleted, releases the name, closes the customer's own hierarchy (expecting it unchanged,
// so no child can be attached in between) and detaches it from its parent's hierarchy. Then it
// erases the personal data of the customer's users (see erase); when that fails, the customer is
// deleted all the same and the error says so: EraseCustomer finishes the erasure.
func (h *Customers) DeleteCustomer(ctx context.Context, m Meta, id string) (Result, error) {
	m.Now = now(m)
	if m.Actor.Type == events.ActorUser && !auth.MayDeleteOrMove(auth.Role(m.Actor.Role), m.Actor.CustomerID, id) {
		return Result{}, &domain.Error{Code: domain.Forbidden, Message: "You cannot delete your own customer."}
	}
	res, err := h.onExisting(ctx, m, id, CustomerDelete, func(c domain.Customer) (Result, error) {
		return h.tryDelete(ctx, m, c)
	})
	if err != nil {
		return res, err
	}
	erased, err := h.erase(ctx, m, res.Customer)
	if err != nil {
		return res, &ErasureIncompleteError{CustomerID: id, Err: err}
	}
	return erased, nil
}

// ErasureIncompleteError reports a customer deleted whose personal data could not be erased yet.
type ErasureIncompleteError struct {
	CustomerID string
	Err        error
}

func (e *ErasureIncompleteError) Error() string {
	return "command: customer " + e.CustomerID + " deleted, but the erasure of its personal data failed: " + e.Err.Error()
}

func (e *ErasureIncompleteError) Unwrap() error { return e.Err }

func (h *Customers) tryDelete(ctx context.Context, m Meta, c domain.Customer) (Result, error) {
	hy, hyVersion, err := h.hierarchy(ctx, c.ID)
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
	if err := b.reservation(key, res, rel, eventstore.Seq(res.seq), ""); err != nil {
		return Result{}, err
	}
	if err := b.hierarchy(c.ID, tail{seq: hy.LastSeq, version: hyVersion}, events.HierarchyClosedV1{}, eventstore.Seq(hy.LastSeq), ""); err != nil {
		return Result{}, err
	}
	if c.ParentID != "" {
		pt, err := h.tail(ctx, events.HierarchySubject(c.ParentID))
		if err != nil {
			return Result{}, err
		}
		if err := b.hierarchy(c.ParentID, pt, events.HierarchyChildDetachedV1{ChildID: c.ID}, eventstore.Seq(pt.seq), ""); err != nil {
			return Result{}, err
		}
	}
	if h.users == nil && h.domains == nil {
		return h.commit(ctx, b, c)
	}
	users, err := h.removeMembers(ctx, b, c.ID)
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

// removeMembers adds to b the deletion of every user and the removal of every domain of customer
// customerID, and closes its members list, expecting it unchanged since it was read (so nobody can
// add a user or a domain in between). The users' sessions end before the batch is appended. It
// returns the ids of the users.
func (h *Customers) removeMembers(ctx context.Context, b *batch, customerID string) ([]string, error) {
	stored, err := h.store.Load(ctx, events.MembersSubject(customerID), 0)
	if err != nil {
		return nil, err
	}
	var ms domain.Members
	for _, s := range stored {
		r, err := recorded(s)
		if err != nil {
			return nil, err
		}
		ms.Apply(r)
	}
	if n := len(ms.Users) + len(ms.Domains); n > maxMembersPerDelete {
		return nil, &domain.Error{Code: domain.Conflict,
			Message: "The customer has too many users and domains to delete at once; remove some of them first.",
			Details: map[string]any{"users": len(ms.Users), "domains": len(ms.Domains), "limit": maxMembersPerDelete}}
	}
	if h.users != nil {
		for _, id := range ms.Users {
			u, err := h.users.user(ctx, id, true)
			if err != nil {
				return nil, err
			}
			if !u.Exists() {
				continue
			}
			if err := h.users.removeUser(ctx, b, u, "customer_deleted", false); err != nil {
				return nil, err
			}
			if err := h.users.creds.RevokeSessions(ctx, id); err != nil {
				return nil, err
			}
			h.users.cache.drop(id)
		}
	}
	if h.domains != nil {
		for _, id := range ms.Domains {
			d, err := h.domains.domain(ctx, id, true)
			if err != nil {
				return nil, err
			}
			if !d.Exists() {
				continue
			}
			if err := h.domains.removeDomain(ctx, b, d, "customer_deleted", false); err != nil {
				return nil, err
			}
			h.domains.cache.drop(id)
		}
	}
	mt, err := h.tail(ctx, events.MembersSubject(customerID))
	if err != nil {
		return nil, err
	}
	// The expectation is the list as read above: a user or domain added since fails the batch.
	if err := b.members(customerID, mt, events.MembersClosedV1{}, eventstore.Seq(ms.LastSeq), ""); err != nil {
		return nil, err
	}
	return ms.Users, nil
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

package command

import (
	"context"
	"errors"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// EraseCustomer erases the personal data of a deleted customer's users (see erase). Deleting a
// customer erases it already; this is for finishing an erasure the delete could not complete (the
// key store unreachable at that moment). Only Toffstech Support (or the system) may ask, whoever
// reaches the customer: it acts on the history, not on a live customer. Erasing again is harmless
// and appends nothing.
func (h *Customers) EraseCustomer(ctx context.Context, m Meta, id string) (Result, error) {
	m.Now = now(m)
	if m.Actor.Type != events.ActorSystem && (m.Actor.Type != events.ActorUser || auth.Role(m.Actor.Role) != auth.RoleToffstechSupport) {
		return Result{}, &domain.Error{Code: domain.Forbidden, Message: "Only Toffstech Support erases personal data."}
	}
	c, err := h.customer(ctx, id, true)
	if err != nil {
		return Result{}, err
	}
	if c.Version == 0 {
		return Result{}, customerNotFound(id)
	}
	if !c.Deleted {
		return Result{}, &domain.Error{Code: domain.Conflict,
			Message: "Only a deleted customer's personal data can be erased; delete the customer first.",
			Details: map[string]any{"id": id}}
	}
	return h.erase(ctx, m, c)
}

// erase destroys the key that seals the personal data of deleted customer c's users, then
// appends customer.erased (once), which tells the read models to scrub their copies. The key goes
// first: a crash in between leaves the data erased in the log and the event missing, which
// EraseCustomer completes; the other order could record an erasure that never happened.
func (h *Customers) erase(ctx context.Context, m Meta, c domain.Customer) (Result, error) {
	if h.keys != nil {
		if err := h.keys.Destroy(ctx, c.ID); err != nil {
			return Result{}, err
		}
	}
	for attempt := 0; ; attempt++ {
		if c.Erased {
			return Result{Customer: c, Seq: c.LastSeq}, nil
		}
		b := newBatch(m)
		if err := b.customer(c, events.CustomerErasedV1{}, eventstore.Seq(c.LastSeq), ""); err != nil {
			return Result{}, err
		}
		res, err := h.commit(ctx, b, c)
		if !errors.Is(err, eventstore.ErrConflict) || attempt+1 >= maxAttempts {
			return res, err
		}
		h.cache.drop(c.ID)
		if c, err = h.customer(ctx, c.ID, true); err != nil {
			return Result{}, err
		}
	}
}

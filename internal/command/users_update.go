package command

import (
	"context"
	"errors"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// onUser runs try on the current state of an existing user the actor may act on (action on the
// user's customer), matching If-Match, again on a fresh state after a concurrent modification.
func (h *Users) onUser(ctx context.Context, m Meta, id string, action Action, try func(domain.User) (UserResult, error)) (UserResult, error) {
	fresh := false
	for attempt := 0; ; attempt++ {
		u, err := h.user(ctx, id, fresh)
		if err != nil {
			return UserResult{}, err
		}
		if !u.Exists() {
			if !fresh {
				fresh = true
				continue
			}
			return UserResult{}, userNotFound(id)
		}
		if err := h.authorizeUser(ctx, m, action, u.CustomerID); err != nil {
			return UserResult{}, err
		}
		if m.IfMatch != nil && u.Version != *m.IfMatch {
			if !fresh {
				fresh = true
				continue
			}
			return UserResult{}, &domain.Error{Code: domain.PreconditionFailed,
				Message: "The user was changed by someone else since you read it; reload it and try again.",
				Details: map[string]any{"current_version": u.Version}}
		}
		res, err := try(u)
		if !errors.Is(err, eventstore.ErrConflict) || attempt+1 >= maxAttempts {
			return res, err
		}
		h.cache.drop(id)
		fresh = true
	}
}

// commitUser appends a batch of user u's command and returns u with its events folded in; a batch
// with no messages changes nothing.
func (h *Users) commitUser(ctx context.Context, b *batch, u domain.User) (UserResult, error) {
	if len(b.msgs) == 0 {
		return UserResult{User: u, Seq: u.LastSeq}, nil
	}
	seq, err := h.c.store.Append(ctx, b.msgs)
	if err != nil {
		return UserResult{}, err
	}
	b.foldUser(&u, seq)
	h.cache.put(u.ID, u, u.LastSeq)
	return UserResult{User: u, Seq: seq, Changed: true}, nil
}

// single appends a one-event decision of user u (or nothing when evs is empty).
func (h *Users) single(ctx context.Context, m Meta, u domain.User, evs []events.Payload, err error) (UserResult, error) {
	if err != nil {
		return UserResult{}, err
	}
	b := newBatch(m)
	for _, e := range evs {
		if err := h.add(ctx, b, u, e, eventstore.Seq(u.LastSeq), ""); err != nil {
			return UserResult{}, err
		}
	}
	return h.commitUser(ctx, b, u)
}

// UpdateUser changes a user's customer, role, name, email or remark (never its password). A new
// email moves its reservation; a new customer moves it between members lists, and needs reach
// over both customers.
func (h *Users) UpdateUser(ctx context.Context, m Meta, id string, in domain.UpdateUser) (UserResult, error) {
	m.Now = now(m)
	return h.onUser(ctx, m, id, UserEdit, func(u domain.User) (UserResult, error) {
		upd, err := u.PrepareUpdate(in)
		if err != nil {
			return UserResult{}, err
		}
		if err := mayManage(m, u); err != nil {
			return UserResult{}, err
		}
		if upd.Role.Set {
			if err := h.checkRole(upd.Role.Value); err != nil {
				return UserResult{}, err
			}
			if err := mayAssign(m, upd.Role.Value); err != nil {
				return UserResult{}, err
			}
			if m.Actor.Type == events.ActorUser && m.Actor.ID == u.ID {
				return UserResult{}, &domain.Error{Code: domain.Forbidden, Message: "You cannot change your own role."}
			}
		}
		var facts domain.UserFacts
		if upd.CustomerID.Set {
			if err := h.authorizeUser(ctx, m, UserEdit, upd.CustomerID.Value); err != nil {
				if domain.ErrorCode(err) == domain.NotFound {
					return UserResult{}, domain.InvalidFields(domain.FieldError{Field: "customer_id", Detail: "no such customer"})
				}
				return UserResult{}, err
			}
			c, err := h.c.customer(ctx, upd.CustomerID.Value, true)
			if err != nil {
				return UserResult{}, err
			}
			facts.Customer = &c
		}
		var oldRes, newRes tail
		if upd.Email.Set {
			if newRes, err = h.c.tail(ctx, events.ReservationSubject(events.KindUserEmail, events.UserEmailKey(upd.Email.Value))); err != nil {
				return UserResult{}, err
			}
			if oldRes, err = h.c.tail(ctx, events.ReservationSubject(events.KindUserEmail, events.UserEmailKey(u.Email))); err != nil {
				return UserResult{}, err
			}
			facts.EmailHolder = newRes.holder()
		}
		evs, err := u.DecideUpdate(upd, facts)
		if err != nil || len(evs) == 0 {
			return UserResult{User: u, Seq: u.LastSeq}, err
		}
		b := newBatch(m)
		if err := h.add(ctx, b, u, evs[0], eventstore.Seq(u.LastSeq), ""); err != nil {
			return UserResult{}, err
		}
		if upd.Email.Set {
			rel := events.ReservationReleasedV1{Kind: events.KindUserEmail, OwnerType: events.AggregateUser, OwnerID: u.ID}
			if err := b.reservationOf(events.KindUserEmail, events.UserEmailKey(u.Email), oldRes, rel, eventstore.Seq(oldRes.seq), ""); err != nil {
				return UserResult{}, err
			}
			claim := events.ReservationClaimedV1{Kind: events.KindUserEmail, OwnerType: events.AggregateUser, OwnerID: u.ID}
			if err := b.reservationOf(events.KindUserEmail, events.UserEmailKey(upd.Email.Value), newRes, claim, eventstore.Seq(newRes.seq), ""); err != nil {
				return UserResult{}, err
			}
		}
		if upd.CustomerID.Set {
			ot, err := h.c.tail(ctx, events.MembersSubject(u.CustomerID))
			if err != nil {
				return UserResult{}, err
			}
			if err := b.members(u.CustomerID, ot, events.MembersUserRemovedV1{UserID: u.ID}, eventstore.Seq(ot.seq), ""); err != nil {
				return UserResult{}, err
			}
			nt, err := h.c.tail(ctx, events.MembersSubject(facts.Customer.ID))
			if err != nil {
				return UserResult{}, err
			}
			if err := b.members(facts.Customer.ID, nt, events.MembersUserAddedV1{UserID: u.ID}, eventstore.Seq(nt.seq), ""); err != nil {
				return UserResult{}, err
			}
		}
		if upd.Role.Set || upd.CustomerID.Set {
			// What the user may do changed: its sessions must pick that up, so they end.
			if err := h.creds.RevokeSessions(ctx, u.ID); err != nil {
				return UserResult{}, err
			}
		}
		return h.commitUser(ctx, b, u)
	})
}

// DisableUser turns the user OFF: its sessions end at once, and it cannot log in.
func (h *Users) DisableUser(ctx context.Context, m Meta, id string) (UserResult, error) {
	m.Now = now(m)
	return h.onUser(ctx, m, id, UserEdit, func(u domain.User) (UserResult, error) {
		if err := mayManage(m, u); err != nil {
			return UserResult{}, err
		}
		if m.Actor.Type == events.ActorUser && m.Actor.ID == u.ID {
			return UserResult{}, &domain.Error{Code: domain.Forbidden, Message: "You cannot disable yourself."}
		}
		evs, err := u.DecideDisable()
		if err == nil && len(evs) > 0 {
			err = h.creds.RevokeSessions(ctx, u.ID)
		}
		return h.single(ctx, m, u, evs, err)
	})
}

// EnableUser turns the user ON again.
func (h *Users) EnableUser(ctx context.Context, m Meta, id string) (UserResult, error) {
	m.Now = now(m)
	return h.onUser(ctx, m, id, UserEdit, func(u domain.User) (UserResult, error) {
		if err := mayManage(m, u); err != nil {
			return UserResult{}, err
		}
		evs, err := u.DecideEnable()
		return h.single(ctx, m, u, evs, err)
	})
}

// SetPermissions sets the single permissions granted beyond, and revoked from, the user's role.
// Which actor may do so is the Authorizer's and the caller's rule (Toffstech Support only, and
// never a permission the actor lacks).
func (h *Users) SetPermissions(ctx context.Context, m Meta, id string, granted, revoked []string) (UserResult, error) {
	m.Now = now(m)
	if m.Actor.Type == events.ActorUser && auth.Role(m.Actor.Role) != auth.RoleToffstechSupport {
		return UserResult{}, &domain.Error{Code: domain.Forbidden, Message: "Only Toffstech Support grants or revokes single permissions."}
	}
	return h.onUser(ctx, m, id, UserEdit, func(u domain.User) (UserResult, error) {
		if err := mayGrant(m, u, granted, revoked); err != nil {
			return UserResult{}, err
		}
		evs, err := u.DecidePermissions(granted, revoked)
		if err == nil && len(evs) > 0 {
			err = h.creds.RevokeSessions(ctx, u.ID)
		}
		return h.single(ctx, m, u, evs, err)
	})
}

// ChangePassword stores a new password for the user and records that it changed; every session
// of the user ends. byUser says the user changed its own password (the caller checked the current
// one); otherwise an administrator reset it.
func (h *Users) ChangePassword(ctx context.Context, m Meta, id string, pw NewPassword, byUser bool) (UserResult, error) {
	m.Now = now(m)
	if err := h.pw.Check(pw.Password, pw.Confirm); err != nil {
		return UserResult{}, err
	}
	action := UserEdit
	if byUser {
		action = UserView // anyone may change their own password
	}
	return h.onUser(ctx, m, id, action, func(u domain.User) (UserResult, error) {
		if byUser && m.Actor.ID != u.ID {
			return UserResult{}, &domain.Error{Code: domain.Forbidden, Message: "Only the user changes its own password this way."}
		}
		if err := mayManage(m, u); err != nil {
			return UserResult{}, err
		}
		evs, err := u.DecidePasswordChanged(byUser)
		if err != nil {
			return UserResult{}, err
		}
		phc, err := h.hash(ctx, pw.Password, nil)
		if err != nil {
			return UserResult{}, err
		}
		if err := h.creds.SetPassword(ctx, u.ID, phc); err != nil {
			return UserResult{}, err
		}
		return h.single(ctx, m, u, evs, nil)
	})
}

// DeleteUser deletes a user: user.deleted, the release of its email and its removal from its
// customer's members, atomically; its sessions end first and its credential is forgotten after.
func (h *Users) DeleteUser(ctx context.Context, m Meta, id string) (UserResult, error) {
	m.Now = now(m)
	return h.onUser(ctx, m, id, UserDelete, func(u domain.User) (UserResult, error) {
		if err := mayManage(m, u); err != nil {
			return UserResult{}, err
		}
		if m.Actor.Type == events.ActorUser && m.Actor.ID == u.ID {
			return UserResult{}, &domain.Error{Code: domain.Forbidden, Message: "You cannot delete yourself."}
		}
		b := newBatch(m)
		if err := h.removeUser(ctx, b, u, "", true); err != nil {
			return UserResult{}, err
		}
		if err := h.creds.RevokeSessions(ctx, u.ID); err != nil {
			return UserResult{}, err
		}
		res, err := h.commitUser(ctx, b, u)
		if err == nil {
			err = h.creds.DeleteCredential(ctx, u.ID)
		}
		return res, err
	})
}

// removeUser adds to b the events deleting user u: user.deleted, the release of its email and, when
// detach is set, its removal from its customer's members.
func (h *Users) removeUser(ctx context.Context, b *batch, u domain.User, reason string, detach bool) error {
	evs, err := u.DecideDelete(reason)
	if err != nil {
		return err
	}
	if err := h.add(ctx, b, u, evs[0], eventstore.Seq(u.LastSeq), ""); err != nil {
		return err
	}
	key := events.UserEmailKey(u.Email)
	rt, err := h.c.tail(ctx, events.ReservationSubject(events.KindUserEmail, key))
	if err != nil {
		return err
	}
	rel := events.ReservationReleasedV1{Kind: events.KindUserEmail, OwnerType: events.AggregateUser, OwnerID: u.ID}
	if err := b.reservationOf(events.KindUserEmail, key, rt, rel, eventstore.Seq(rt.seq), ""); err != nil {
		return err
	}
	if !detach {
		return nil
	}
	mt, err := h.c.tail(ctx, events.MembersSubject(u.CustomerID))
	if err != nil {
		return err
	}
	return b.members(u.CustomerID, mt, events.MembersUserRemovedV1{UserID: u.ID}, eventstore.Seq(mt.seq), "")
}

// GetUser returns a user's current state from the log.
func (h *Users) GetUser(ctx context.Context, m Meta, id string) (domain.User, error) {
	u, err := h.user(ctx, id, true)
	if err != nil {
		return domain.User{}, err
	}
	if !u.Exists() {
		return domain.User{}, userNotFound(id)
	}
	if err := h.authorizeUser(ctx, m, UserView, u.CustomerID); err != nil {
		return domain.User{}, err
	}
	return u, nil
}

func userNotFound(id string) error {
	return &domain.Error{Code: domain.NotFound, Message: "User not found.", Details: map[string]any{"id": id}}
}

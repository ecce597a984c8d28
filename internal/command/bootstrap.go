package command

import (
	"context"
	"errors"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// OperatorCustomerName is the customer the first operator belongs to: the provider itself.
const OperatorCustomerName = "Toffstech"

// kindBootstrap reserves the one-time creation of the first operator.
const kindBootstrap = "bootstrap"

// FirstOperator describes the first Toffstech Support user.
type FirstOperator struct {
	Name     string
	Email    string
	Password string
}

// EnsureFirstOperator creates, once in the life of the system, the provider's own customer and a
// Toffstech Support user in it, so somebody can log in. The batch also claims a bootstrap
// reservation expecting it free, so several api processes starting together create exactly one
// operator; it reports whether this call created it. Later calls change nothing, even when that
// user has since been changed or deleted.
func (h *Users) EnsureFirstOperator(ctx context.Context, op FirstOperator) (bool, error) {
	created, err := h.createFirstOperator(ctx, op)
	if err != nil {
		// Losing a race to another process shows as a conflict on the name or the email: if the
		// first operator exists now, that is no error.
		if boot, terr := h.c.tail(ctx, events.ReservationSubject(kindBootstrap, "first-operator")); terr == nil && boot.seq != 0 {
			return false, nil
		}
	}
	return created, err
}

func (h *Users) createFirstOperator(ctx context.Context, op FirstOperator) (bool, error) {
	m := SystemMeta("bootstrap")
	m.Now = now(m)
	boot, err := h.c.tail(ctx, events.ReservationSubject(kindBootstrap, "first-operator"))
	if err != nil || boot.seq != 0 {
		return false, err
	}
	if err := h.pw.Check(op.Password, op.Password); err != nil {
		return false, err
	}
	cin, err := domain.PrepareCreate(domain.CreateCustomer{Name: OperatorCustomerName})
	if err != nil {
		return false, err
	}
	cid := newID(m.Now, "")
	uin, err := domain.PrepareCreateUser(domain.CreateUser{CustomerID: cid, Role: string(auth.RoleToffstechSupport), Name: op.Name, Email: op.Email})
	if err != nil {
		return false, err
	}
	uid := newID(m.Now, "")
	phc, err := h.hash(ctx, op.Password, nil)
	if err != nil {
		return false, err
	}
	if err := h.creds.SetPassword(ctx, uid, phc); err != nil {
		return false, err
	}
	b := newBatch(m)
	claim := events.ReservationClaimedV1{Kind: kindBootstrap, OwnerType: events.AggregateUser, OwnerID: uid}
	if err := b.reservationOf(kindBootstrap, "first-operator", boot, claim, eventstore.Seq(0), ""); err != nil {
		return false, err
	}
	c, err := h.c.addCustomer(ctx, b, cid, cin)
	if err != nil {
		return false, err
	}
	created := c
	created.Version = 1
	if _, err := h.addUser(ctx, b, uid, uin, &created); err != nil {
		return false, err
	}
	if _, err := h.c.store.Append(ctx, b.msgs); err != nil {
		if errors.Is(err, eventstore.ErrConflict) {
			return false, nil // another process made the first operator
		}
		return false, err
	}
	return true, nil
}

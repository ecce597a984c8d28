package command

import (
	"context"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/personal"
)

// Keys is the key store of personal data (keyring.Keyring): the user commands seal their users'
// personal fields with the key of the user's customer, and erasing a customer destroys its key.
type Keys interface {
	personal.Keys
	// Destroy destroys the customer's key for good; it is idempotent.
	Destroy(ctx context.Context, customerID string) error
}

// add adds to b event p of user u, its personal fields sealed with the key of the customer the
// user belongs to after p. A move to another customer restates the user's personal fields (see
// events.UserUpdatedV1.Personal), sealed with the new customer's key.
func (h *Users) add(ctx context.Context, b *batch, u domain.User, p events.Payload, expect *uint64, expectSubject string) error {
	customerID := u.CustomerID
	switch q := p.(type) {
	case events.UserCreatedV1:
		customerID = q.CustomerID
	case events.UserUpdatedV1:
		if q.CustomerID.Set && q.CustomerID.Value != u.CustomerID {
			customerID = q.CustomerID.Value
			after := u
			after.Apply(domain.Recorded{Payload: q})
			q.Personal = &events.UserPersonalV1{Name: after.Name, Email: after.Email, Remark: after.Remark}
			p = q
		}
	}
	sealed, err := personal.Seal(ctx, h.c.keys, customerID, u.ID, p)
	if err != nil {
		return err
	}
	return b.user(u, p, sealed, expect, expectSubject)
}

// open opens the personal fields of a user's stored event for folding.
func (h *Users) open(ctx context.Context, userID string, r domain.Recorded) (domain.Recorded, error) {
	p, err := personal.Open(ctx, h.c.keys, userID, r.Payload)
	if err != nil {
		return domain.Recorded{}, err
	}
	r.Payload = p
	return r, nil
}

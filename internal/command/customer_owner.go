package command

import (
	"context"
	"errors"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// OwnerRole is the role of the user created with a customer.
const OwnerRole = "Owner (All Access)"

// Owner is the first user of a new customer, from the guide's "Add Customer Owner" step.
type Owner struct {
	Name     string
	Email    string
	Password NewPassword
}

// CustomerWithOwnerResult is the outcome of CreateCustomerWithOwner.
type CustomerWithOwnerResult struct {
	Customer domain.Customer
	Owner    domain.User
	Seq      uint64
}

// ValidateCustomer checks step 1 of the two-step create without writing anything: the fields, the
// parent and the name among the siblings, so the console's Next button can report a duplicate
// before the owner form.
func (h *Users) ValidateCustomer(ctx context.Context, m Meta, in domain.CreateCustomer) error {
	m.Now = now(m)
	in, err := domain.PrepareCreate(in)
	if err != nil {
		return err
	}
	if err := h.c.authorizeCreate(ctx, m, in); err != nil {
		return err
	}
	_, err = h.c.addCustomer(ctx, newBatch(m), newID(m.Now, ""), in)
	return err
}

// CreateCustomerWithOwner creates a customer and its owner user (role Owner (All Access)) in one
// atomic batch: both exist or neither. The owner's password hash is stored first, under the
// owner's id; a failed batch leaves only that unreachable credential behind.
func (h *Users) CreateCustomerWithOwner(ctx context.Context, m Meta, in domain.CreateCustomer, owner Owner) (CustomerWithOwnerResult, error) {
	m.Now = now(m)
	cin, err := domain.PrepareCreate(in)
	uin, uerr := domain.PrepareCreateUser(domain.CreateUser{CustomerID: newID(m.Now, seedIf(m, "customer")), Role: OwnerRole, Name: owner.Name, Email: owner.Email})
	err = joinInvalid(err, ownerFields(uerr))
	err = joinInvalid(err, ownerFields(h.pw.Check(owner.Password.Password, owner.Password.Confirm)))
	if err != nil {
		return CustomerWithOwnerResult{}, err
	}
	if err := h.c.authorizeCreate(ctx, m, cin); err != nil {
		return CustomerWithOwnerResult{}, err
	}
	if err := h.authorizeUser(ctx, m, UserAdd, cin.ParentID); err != nil {
		return CustomerWithOwnerResult{}, err
	}
	cid, uid := uin.CustomerID, newID(m.Now, seedIf(m, "user"))
	if m.Idempotent {
		c, err := h.c.customer(ctx, cid, true)
		if err != nil {
			return CustomerWithOwnerResult{}, err
		}
		if c.Version > 0 {
			u, err := h.user(ctx, uid, true)
			return CustomerWithOwnerResult{Customer: c, Owner: u, Seq: max(c.LastSeq, u.LastSeq)}, err
		}
	}
	// A name taken among the siblings (most often by a concurrent create of the same customer) is
	// refused before the costly hash.
	phc, err := h.hash(ctx, owner.Password.Password, func() error {
		_, err := h.c.addCustomer(ctx, newBatch(m), cid, cin)
		return err
	})
	if err != nil {
		return CustomerWithOwnerResult{}, err
	}
	if err := h.creds.SetPassword(ctx, uid, phc); err != nil {
		return CustomerWithOwnerResult{}, err
	}
	for attempt := 0; ; attempt++ {
		b := newBatch(m)
		c, err := h.c.addCustomer(ctx, b, cid, cin)
		var u domain.User
		if err == nil {
			created := c
			created.Version = 1 // the customer exists within this batch
			u, err = h.addUser(ctx, b, uid, uin, &created)
		}
		if err == nil {
			var seq uint64
			if seq, err = h.c.store.Append(ctx, b.msgs); err == nil {
				b.fold(&c, seq)
				b.foldUser(&u, seq)
				h.c.cache.put(c.ID, c, c.LastSeq)
				h.cache.put(u.ID, u, u.LastSeq)
				return CustomerWithOwnerResult{Customer: c, Owner: u, Seq: seq}, nil
			}
		}
		if !errors.Is(err, eventstore.ErrConflict) || attempt+1 >= maxAttempts {
			return CustomerWithOwnerResult{}, err
		}
		if cin.ParentID != "" {
			h.c.cache.drop(cin.ParentID)
		}
	}
}

// ownerFields prefixes the fields of an Invalid error about the owner with "owner.", so the
// client can tell the owner's name from the customer's.
func ownerFields(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.Invalid {
		return err
	}
	fields := make([]domain.FieldError, 0, len(de.Fields))
	for _, f := range de.Fields {
		if f.Field == "customer_id" || f.Field == "role" {
			continue // set by the command, not the client
		}
		fields = append(fields, domain.FieldError{Field: "owner." + f.Field, Detail: f.Detail})
	}
	return domain.InvalidFields(fields...)
}

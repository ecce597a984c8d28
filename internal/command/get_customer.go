package command

import (
	"context"

	"github.com/toffstech/customer-management/internal/domain"
)

// GetCustomer returns the current state of a customer, read from the log (never staler than the
// caller's own last write, whichever process made it), and its parent when it has one. A deleted or
// unknown customer is NotFound.
func (h *Customers) GetCustomer(ctx context.Context, m Meta, id string) (domain.Customer, *domain.Customer, error) {
	c, err := h.customer(ctx, id, true)
	if err != nil {
		return domain.Customer{}, nil, err
	}
	if !c.Exists() {
		return domain.Customer{}, nil, customerNotFound(id)
	}
	if err := h.authorizeOn(ctx, m, CustomerView, c); err != nil {
		return domain.Customer{}, nil, err
	}
	p, err := h.Parent(ctx, c)
	if err != nil {
		return domain.Customer{}, nil, err
	}
	return c, p, nil
}

// Parent returns the parent of c for display (its name), from the cache when it is there; nil for
// a root customer. It is not a read-after-write read of the parent.
func (h *Customers) Parent(ctx context.Context, c domain.Customer) (*domain.Customer, error) {
	if c.ParentID == "" {
		return nil, nil
	}
	p, err := h.customer(ctx, c.ParentID, false)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func customerNotFound(id string) error {
	return &domain.Error{Code: domain.NotFound, Message: "Customer not found.", Details: map[string]any{"id": id}}
}

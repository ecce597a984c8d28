package command

import (
	"context"

	"github.com/toffstech/customer-management/internal/domain"
)

// Test hooks: the state folded from the log, deleted aggregates included.

func (h *Users) LoadForTest(ctx context.Context, id string) (domain.User, error) {
	return h.user(ctx, id, true)
}

func (h *Customers) LoadForTest(ctx context.Context, id string) (domain.Customer, error) {
	return h.customer(ctx, id, true)
}

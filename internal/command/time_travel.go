package command

import (
	"context"
	"time"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
)

// PointInTime selects a past state: the events up to AsOf (inclusive; zero: no bound) and up to
// aggregate version Version (0: no bound).
type PointInTime struct {
	AsOf    time.Time
	Version uint64
}

// includes reports whether an event of time t and version v is part of the state at p.
func (p PointInTime) includes(t time.Time, v uint64) bool {
	return (p.AsOf.IsZero() || !t.After(p.AsOf)) && (p.Version == 0 || v <= p.Version)
}

// CustomerAt folds the events of customer id up to p and returns that state (Deleted set when the
// customer was deleted by then; Version 0 when it did not exist yet) and its parent as it was then.
// It reads the log and authorizes nothing: the caller checks reach.
func (h *Customers) CustomerAt(ctx context.Context, id string, p PointInTime) (domain.Customer, *domain.Customer, error) {
	c, err := h.foldCustomerAt(ctx, id, p)
	if err != nil || c.ParentID == "" || c.Version == 0 {
		return c, nil, err
	}
	// The parent as it was then; only its name is shown, so its version does not matter.
	parent, err := h.foldCustomerAt(ctx, c.ParentID, PointInTime{AsOf: p.AsOf})
	if err != nil {
		return domain.Customer{}, nil, err
	}
	if p.AsOf.IsZero() && p.Version > 0 {
		// At a version, the parent as it was when that version was written.
		parent, err = h.foldCustomerAt(ctx, c.ParentID, PointInTime{AsOf: c.UpdatedAt})
		if err != nil {
			return domain.Customer{}, nil, err
		}
	}
	return c, &parent, nil
}

func (h *Customers) foldCustomerAt(ctx context.Context, id string, p PointInTime) (domain.Customer, error) {
	stored, err := h.store.Load(ctx, events.CustomerSubject(id), 0)
	if err != nil {
		return domain.Customer{}, err
	}
	c := domain.Customer{ID: id}
	for _, s := range stored {
		if !p.includes(s.Envelope.Time, s.Envelope.AggregateVersion) {
			break
		}
		r, err := recorded(s)
		if err != nil {
			return domain.Customer{}, err
		}
		c.Apply(r)
	}
	return c, nil
}

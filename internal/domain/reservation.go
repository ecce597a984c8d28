package domain

import "github.com/toffstech/customer-management/internal/events"

// Reservation is the claim on one unique key (see events.ReservationClaimed).
type Reservation struct {
	// Holder is the id of the aggregate holding the key, or "" when it is free.
	Holder string
	// LastSeq is the stream sequence of the reservation's last event (0: never claimed).
	LastSeq uint64
}

// Apply folds a reservation event in.
func (r *Reservation) Apply(rec Recorded) {
	switch p := rec.Payload.(type) {
	case events.ReservationClaimedV1:
		r.Holder = p.OwnerID
	case events.ReservationReleasedV1:
		r.Holder = ""
	}
	r.LastSeq = rec.Seq
}

// Hierarchy lists the live children of one customer.
type Hierarchy struct {
	// Children holds the child ids in the order they were attached.
	Children []string
	// Closed reports that the customer was deleted.
	Closed  bool
	LastSeq uint64
}

// Apply folds a hierarchy event in.
func (h *Hierarchy) Apply(rec Recorded) {
	switch p := rec.Payload.(type) {
	case events.HierarchyChildAttachedV1:
		h.Children = append(h.Children, p.ChildID)
	case events.HierarchyChildDetachedV1:
		for i, c := range h.Children {
			if c == p.ChildID {
				h.Children = append(h.Children[:i:i], h.Children[i+1:]...)
				break
			}
		}
	case events.HierarchyClosedV1:
		h.Closed = true
	}
	h.LastSeq = rec.Seq
}

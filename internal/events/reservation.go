package events

// Reservation event types. A reservation is a tiny aggregate, one per normalized unique key (a
// customer name among its siblings, later a user email or a domain host), written in the same
// atomic batch as the aggregate that claims the key. Its subject carries only a hash of the key,
// never the key itself, so no personal data appears in a subject.
const (
	ReservationClaimed  = "reservation.claimed"
	ReservationReleased = "reservation.released"
)

// AggregateReservation is the aggregate type of reservations.
const AggregateReservation = "reservation"

// Reservation kinds.
const (
	// KindCustomerName is a customer name, unique case-insensitively among the children of one
	// parent (or among root customers).
	KindCustomerName = "customer-name"
)

// ReservationClaimedV1 is the data of reservation.claimed.
type ReservationClaimedV1 struct {
	Kind string `json:"kind"`
	// OwnerType and OwnerID name the aggregate holding the key.
	OwnerType string `json:"owner_type"`
	OwnerID   string `json:"owner_id"`
}

// ReservationReleasedV1 is the data of reservation.released.
type ReservationReleasedV1 struct {
	Kind      string `json:"kind"`
	OwnerType string `json:"owner_type"`
	OwnerID   string `json:"owner_id"`
}

// EventType implements Payload.
func (ReservationClaimedV1) EventType() string { return ReservationClaimed }

// EventType implements Payload.
func (ReservationReleasedV1) EventType() string { return ReservationReleased }

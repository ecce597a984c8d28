package events

// Customer event types. Never rename them: they are stored forever.
const (
	CustomerCreated = "customer.created"
	CustomerUpdated = "customer.updated"
	CustomerDeleted = "customer.deleted"
	CustomerErased  = "customer.erased"
)

// AggregateCustomer is the aggregate type of customers.
const AggregateCustomer = "customer"

// CustomerCreatedV1 is the data of customer.created, schema version 1.
type CustomerCreatedV1 struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	// ParentID is the managing customer's id, or empty for a root customer.
	ParentID string `json:"parent_id,omitempty"`
}

// CustomerUpdatedV1 is the data of customer.updated, schema version 1. It carries only the fields
// that changed; "parent_id": null means the customer became a root customer.
type CustomerUpdatedV1 struct {
	Name     Opt[string] `json:"name,omitzero"`
	Address  Opt[string] `json:"address,omitzero"`
	ParentID Opt[string] `json:"parent_id,omitzero"`
}

// CustomerDeletedV1 is the data of customer.deleted, schema version 1.
type CustomerDeletedV1 struct {
	// ParentID is the parent the customer had when deleted, so a reader of this event alone can
	// update the parent's child list.
	ParentID string `json:"parent_id,omitempty"`
}

// CustomerErasedV1 is the data of customer.erased, schema version 1: the key sealing the personal
// data of the customer's users was destroyed (see PersonalFields), so that data now reads as
// Erased wherever it was copied. It follows the customer's customer.deleted; it is the record of
// when the erasure happened and by whom, and tells the read models to scrub their copies.
type CustomerErasedV1 struct{}

// EventType implements Payload.
func (CustomerErasedV1) EventType() string { return CustomerErased }

// EventType implements Payload.
func (CustomerCreatedV1) EventType() string { return CustomerCreated }

// EventType implements Payload.
func (CustomerUpdatedV1) EventType() string { return CustomerUpdated }

// EventType implements Payload.
func (CustomerDeletedV1) EventType() string { return CustomerDeleted }

package events

import (
	"encoding/json"
	"time"
)

// SpecVersion is the CloudEvents specification version every envelope declares.
const SpecVersion = "1.0"

// ContentType is the datacontenttype of every event's data.
const ContentType = "application/json"

// Envelope is one stored event: the CloudEvents 1.0 context attributes (id, source, specversion,
// type, subject, time, datacontenttype, data) plus this system's extension attributes. Extension
// names follow the CloudEvents naming rule (lower-case letters and digits only).
type Envelope struct {
	// ID is the globally unique event id (a UUIDv7). It is also the JetStream Nats-Msg-Id, so a
	// retried publish of the same event is stored once.
	ID string `json:"id"`
	// Source names the producer, e.g. "/customer-management/api".
	Source string `json:"source"`
	// SpecVersion is always "1.0".
	SpecVersion string `json:"specversion"`
	// Type is the past-tense event type, e.g. "customer.created".
	Type string `json:"type"`
	// Subject is the resource the event is about, e.g. "customers/0190…".
	Subject string `json:"subject"`
	// Time is when the command that produced the event was decided (UTC).
	Time time.Time `json:"time"`
	// DataContentType is always "application/json".
	DataContentType string `json:"datacontenttype"`

	// AggregateType is the kind of aggregate the event belongs to ("customer", "reservation", …).
	AggregateType string `json:"aggregatetype"`
	// AggregateID is the id of the aggregate instance.
	AggregateID string `json:"aggregateid"`
	// AggregateVersion counts the aggregate's events: 1 for its first event.
	AggregateVersion uint64 `json:"aggregateversion"`
	// SchemaVersion is the version of the data's shape for this Type, starting at 1.
	SchemaVersion int `json:"schemaversion"`

	// ActorType says who acted: "user", "system" or "anonymous".
	ActorType string `json:"actortype"`
	// ActorID is the acting user's id (empty for system and anonymous actors).
	ActorID string `json:"actorid,omitempty"`
	// ActorCustomerID is the customer the acting user belongs to.
	ActorCustomerID string `json:"actorcustomerid,omitempty"`
	// ActorRole is the acting user's role at the time of the command.
	ActorRole string `json:"actorrole,omitempty"`

	// RequestID is the id of the HTTP request (or job) that carried the command.
	RequestID string `json:"requestid,omitempty"`
	// CorrelationID ties together every event caused by one user intention across services.
	CorrelationID string `json:"correlationid,omitempty"`
	// CausationID is the id of the command (or event) that directly caused this event.
	CausationID string `json:"causationid,omitempty"`

	// PrevHash chains the events of one aggregate (one subject): the Hash of the aggregate's
	// previous event as stored, empty for its first event. Changing, removing, reordering or
	// inserting an event therefore breaks the chain at the next event of its aggregate (see
	// package chain).
	PrevHash string `json:"prevhash,omitempty"`

	// Data is the payload, encoded as JSON.
	Data json.RawMessage `json:"data"`
}

// Actor is who performed a command, as recorded on every event it produces.
type Actor struct {
	// Type is "user", "system" or "anonymous".
	Type string
	// ID is the user's id; empty for system and anonymous actors.
	ID string
	// CustomerID is the user's customer.
	CustomerID string
	// Role is the user's role name.
	Role string
}

// Actor types.
const (
	ActorUser      = "user"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// Actor returns the actor recorded on the envelope.
func (e Envelope) Actor() Actor {
	return Actor{Type: e.ActorType, ID: e.ActorID, CustomerID: e.ActorCustomerID, Role: e.ActorRole}
}

// SetActor records a on the envelope.
func (e *Envelope) SetActor(a Actor) {
	e.ActorType, e.ActorID, e.ActorCustomerID, e.ActorRole = a.Type, a.ID, a.CustomerID, a.Role
}

package command

import (
	"context"
	"time"

	"github.com/toffstech/customer-management/internal/events"
)

// Meta is what a command carries besides its input: who acts, on behalf of which request, and the
// client's precondition.
type Meta struct {
	// Actor is the authenticated actor; it is recorded on every event.
	Actor events.Actor
	// RequestID is the id of the HTTP request; CorrelationID ties the events of one intention.
	RequestID     string
	CorrelationID string
	// CommandID identifies the command (the events' causation id). When the client sent an
	// Idempotency-Key it is derived from that key, and so are the ids of the new aggregate and of
	// every event, so a retried command produces the same events and JetStream stores them once.
	CommandID string
	// Idempotent reports whether CommandID came from a client's Idempotency-Key.
	Idempotent bool
	// Now is the command's time; for an idempotent command, the time its key was first seen.
	Now time.Time
	// IfMatch, when non-nil, is the aggregate version the client expects (HTTP If-Match).
	IfMatch *uint64
}

// Action names a permission a command needs; issue-level roles map to these names.
type Action string

// Customer actions.
const (
	CustomerView   Action = "Customer View"
	CustomerAdd    Action = "Customer Add"
	CustomerEdit   Action = "Customer Edit"
	CustomerDelete Action = "Customer Delete"
)

// Authorizer decides whether an actor may perform an action on a customer. path lists the
// customer's id followed by its ancestors' ids up to the root (for a create: the prospective
// parent's path, empty for a root). It returns nil to allow, a domain NotFound error when the
// customer is outside the actor's reach (so its existence is not revealed), or a domain Forbidden
// error when it is within reach but the permission is missing.
type Authorizer interface {
	Authorize(ctx context.Context, actor events.Actor, action Action, path func(context.Context) ([]string, error)) error
}

// AllowAll is the Authorizer used until users and roles exist: everything is allowed.
type AllowAll struct{}

// Authorize implements Authorizer.
func (AllowAll) Authorize(context.Context, events.Actor, Action, func(context.Context) ([]string, error)) error {
	return nil
}

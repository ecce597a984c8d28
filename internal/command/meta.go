package command

import (
	"context"
	"time"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/domain"
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
	// Permissions are the actor's effective permissions (role defaults with its single grants and
	// revocations), resolved by the authenticator. They are never recorded on events.
	Permissions auth.PermissionSet
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
	Authorize(ctx context.Context, m Meta, action Action, path func(context.Context) ([]string, error)) error
}

// AllowAll is an Authorizer that allows everything: for tests of the command logic alone.
type AllowAll struct{}

// Authorize implements Authorizer.
func (AllowAll) Authorize(context.Context, Meta, Action, func(context.Context) ([]string, error)) error {
	return nil
}

// RoleAuthorizer is the production Authorizer: the actor must reach the customer (Toffstech
// Support reaches every customer, anyone else its own customer and the customers below it) and
// hold the action's permission. Out of reach answers NotFound, so nobody learns that an id exists;
// within reach but without the permission answers Forbidden. The system actor may do anything.
type RoleAuthorizer struct{}

// Authorize implements Authorizer.
func (RoleAuthorizer) Authorize(ctx context.Context, m Meta, action Action, path func(context.Context) ([]string, error)) error {
	switch m.Actor.Type {
	case events.ActorSystem:
		return nil
	case events.ActorUser:
	default:
		return notReached()
	}
	p, err := path(ctx)
	if err != nil {
		return err
	}
	role := auth.Role(m.Actor.Role)
	if len(p) == 0 && role != auth.RoleToffstechSupport {
		// No customer: a root-level act (a new root customer), reserved to the operator.
		return forbidden(action)
	}
	if !auth.Reaches(role, m.Actor.CustomerID, p) {
		return notReached()
	}
	if !m.Permissions.Has(auth.Permission(action)) {
		return forbidden(action)
	}
	return nil
}

func notReached() error {
	return &domain.Error{Code: domain.NotFound, Message: "Not found."}
}

func forbidden(action Action) error {
	return &domain.Error{Code: domain.Forbidden, Message: "You do not have the permission \"" + string(action) + "\".",
		Details: map[string]any{"permission": string(action)}}
}

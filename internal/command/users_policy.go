package command

import (
	"errors"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
)

// EffectivePermissions returns what user u may do: its role's defaults with its single grants and
// revocations.
func EffectivePermissions(u domain.User) auth.PermissionSet {
	return auth.Effective(auth.Role(u.Role), auth.Overrides{Granted: perms(u.Granted), Revoked: perms(u.Revoked)})
}

func perms(names []string) []auth.Permission {
	out := make([]auth.Permission, len(names))
	for i, n := range names {
		out[i] = auth.Permission(n)
	}
	return out
}

// asForbidden turns a refusal of the auth rules into the domain's Forbidden error.
func asForbidden(err error, message string) error {
	if err == nil {
		return nil
	}
	return &domain.Error{Code: domain.Forbidden, Message: message}
}

// mayAssign checks that a user actor may give role to a user.
func mayAssign(m Meta, role string) error {
	if m.Actor.Type != events.ActorUser {
		return nil
	}
	return asForbidden(auth.CanAssignRole(auth.Role(m.Actor.Role), m.Permissions, auth.Role(role)),
		"You cannot give the role \""+role+"\": it can do more than you can.")
}

// mayManage checks that a user actor may change, disable, reset or delete user u: only Toffstech
// Support manages support users, and nobody manages a user who can do more than they can.
func mayManage(m Meta, u domain.User) error {
	if m.Actor.Type != events.ActorUser || m.Actor.ID == u.ID {
		return nil
	}
	return asForbidden(auth.CanManageUser(auth.Role(m.Actor.Role), m.Permissions, auth.Role(u.Role), EffectivePermissions(u)),
		"You cannot manage a user who can do more than you can.")
}

// mayGrant checks that a user actor may grant or revoke every permission in which the new sets
// differ from the user's current ones (only Toffstech Support grants single permissions, and
// never one it lacks itself).
func mayGrant(m Meta, u domain.User, granted, revoked []string) error {
	if _, err := auth.ParsePermissions(append(append([]string{}, granted...), revoked...)); err != nil {
		return domain.InvalidFields(domain.FieldError{Field: "granted", Detail: "must name permissions listed at /v1/roles"})
	}
	if m.Actor.Type != events.ActorUser {
		return nil
	}
	changed := map[string]bool{}
	for _, set := range [][]string{granted, revoked, u.Granted, u.Revoked} {
		for _, p := range set {
			changed[p] = !changed[p]
		}
	}
	for p, differs := range changed {
		if !differs {
			continue
		}
		if err := auth.CanGrant(auth.Role(m.Actor.Role), m.Permissions, auth.Permission(p)); err != nil {
			return &domain.Error{Code: domain.Forbidden, Message: "You cannot grant or revoke \"" + p + "\"."}
		}
	}
	return nil
}

// AuthPasswords is the production Passwords: the policy and argon2id hashing of internal/auth.
type AuthPasswords struct{}

// Check implements Passwords: a refused password is an Invalid error naming its field.
func (AuthPasswords) Check(password, confirm string) error {
	err := auth.CheckNew(password, confirm)
	var pe *auth.PolicyError
	if errors.As(err, &pe) {
		return domain.InvalidFields(domain.FieldError{Field: pe.Field, Detail: pe.Detail})
	}
	return err
}

// Hash implements Passwords.
func (AuthPasswords) Hash(password string) (string, error) { return auth.Hash(password) }

package auth

import "fmt"

// Overrides are the single permissions a Toffstech Support user granted to, or revoked from, one
// user beyond its role's defaults. They are stored as the complete lists (event
// user.permissions_changed), not as deltas.
type Overrides struct {
	Granted []Permission `json:"granted"`
	Revoked []Permission `json:"revoked"`
}

// Validate returns an error wrapping ErrUnknownPermission when a list names an unknown permission.
func (o Overrides) Validate() error {
	for _, list := range [][]Permission{o.Granted, o.Revoked} {
		for _, p := range list {
			if !p.Valid() {
				return fmt.Errorf("%w: %q", ErrUnknownPermission, p)
			}
		}
	}
	return nil
}

// Effective returns what a user may do: its role's defaults, plus the granted permissions, minus
// the revoked ones. Revoked wins over granted, so a permission in both lists is denied. Unknown
// permissions and an unknown role give nothing.
func Effective(role Role, o Overrides) PermissionSet {
	return DefaultPermissions(role).With(o.Granted...).Without(o.Revoked...)
}

// CanGrant returns nil when an actor may grant or revoke the single permission targetPerm for a
// user, and otherwise an error wrapping ErrForbidden (or ErrUnknownPermission). Only Toffstech
// Support grants and revokes single permissions, and nobody grants or revokes a permission it does
// not hold itself: actorPerms is the actor's effective set. Whether the actor reaches the user is
// a separate check (Reaches).
func CanGrant(actorRole Role, actorPerms PermissionSet, targetPerm Permission) error {
	switch {
	case !targetPerm.Valid():
		return fmt.Errorf("%w: %q", ErrUnknownPermission, targetPerm)
	case actorRole != RoleToffstechSupport:
		return fmt.Errorf("%w: only %s grants or revokes single permissions", ErrForbidden, RoleToffstechSupport)
	case !actorPerms.Has(targetPerm):
		return fmt.Errorf("%w: cannot grant or revoke %q without holding it", ErrForbidden, targetPerm)
	}
	return nil
}

// CanAssignRole returns nil when an actor may give role to a user (on create or edit), and
// otherwise an error wrapping ErrForbidden (or ErrUnknownRole). Only Toffstech Support assigns
// Toffstech Support, and nobody assigns a role whose default permissions exceed its own effective
// ones. The permission to create or edit users at all (User Add, User Edit) and the reach over the
// user's customer are separate checks.
func CanAssignRole(actorRole Role, actorPerms PermissionSet, role Role) error {
	switch {
	case !role.Valid():
		return fmt.Errorf("%w: %q", ErrUnknownRole, role)
	case role == RoleToffstechSupport && actorRole != RoleToffstechSupport:
		return fmt.Errorf("%w: only %s assigns %s", ErrForbidden, RoleToffstechSupport, RoleToffstechSupport)
	case !actorPerms.Contains(DefaultPermissions(role)):
		return fmt.Errorf("%w: role %q has permissions the actor lacks", ErrForbidden, role)
	}
	return nil
}

// CanManageUser returns nil when an actor may edit, disable, enable or delete a user whose role is
// targetRole and whose effective permissions are targetPerms, and otherwise an error wrapping
// ErrForbidden. It closes the back door of CanGrant and CanAssignRole: only Toffstech Support
// manages Toffstech Support users, and nobody manages a user who may do more than itself. The
// User Edit or User Delete permission and the reach are separate checks.
func CanManageUser(actorRole Role, actorPerms PermissionSet, targetRole Role, targetPerms PermissionSet) error {
	switch {
	case targetRole == RoleToffstechSupport && actorRole != RoleToffstechSupport:
		return fmt.Errorf("%w: only %s manages %s users", ErrForbidden, RoleToffstechSupport, RoleToffstechSupport)
	case !actorPerms.Contains(targetPerms):
		return fmt.Errorf("%w: the user has permissions the actor lacks", ErrForbidden)
	}
	return nil
}

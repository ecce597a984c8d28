package auth

import "errors"

// Sentinel errors of the package. Errors returned by its functions wrap one of them; test with
// errors.Is.
var (
	// ErrWeakPassword means a new password breaks the password policy: too short, too long, not
	// valid UTF-8, or among the most common passwords. The error is a *PolicyError naming the field.
	ErrWeakPassword = errors.New("password does not meet the policy")

	// ErrPasswordMismatch means the password confirmation differs from the password. The error is
	// a *PolicyError naming the confirmation field.
	ErrPasswordMismatch = errors.New("password confirmation does not match")

	// ErrMalformedHash means a stored password hash is not an argon2id PHC string this package can
	// verify. It points at corrupted credential storage, never at a wrong password.
	ErrMalformedHash = errors.New("malformed password hash")

	// ErrUnknownRole means a role name is not one of AllRoles.
	ErrUnknownRole = errors.New("unknown role")

	// ErrUnknownPermission means a permission name is not one of AllPermissions.
	ErrUnknownPermission = errors.New("unknown permission")

	// ErrForbidden means the actor may not do what it asked, whatever the target: grant a single
	// permission, assign a role, or manage a user above its own rights.
	ErrForbidden = errors.New("forbidden")
)

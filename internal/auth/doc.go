// Package auth holds the pure building blocks of authentication and authorization: the password
// policy and argon2id hashing, session token generation, roles and their permissions, per-user
// permission overrides, the rules about who may grant what, and the customer-tree scope checks.
//
// It does no I/O: storing credentials and sessions is the job of internal/credentials, and the
// HTTP layer wires these functions into login, middleware and handlers.
//
// Every failure is a sentinel error (or wraps one) usable with errors.Is: ErrWeakPassword,
// ErrPasswordMismatch, ErrMalformedHash, ErrUnknownRole, ErrUnknownPermission and ErrForbidden.
// No error message of this package ever contains a password, a hash or a token.
package auth

package auth

import (
	"strconv"
	"unicode/utf8"
)

// Limits of the password policy.
const (
	// MinPasswordLength is the fewest characters (Unicode code points) a new password may have.
	MinPasswordLength = 12

	// MaxPasswordBytes is the most bytes a password may have. argon2 handles any length, but a
	// bound keeps a megabyte "password" from costing anything to hash or to carry around.
	MaxPasswordBytes = 1024
)

// JSON field names that a *PolicyError can name.
const (
	FieldPassword        = "password"
	FieldPasswordConfirm = "password_confirm"
)

// PolicyError says which field of a password form breaks the policy and why. Detail is written for
// the person typing the password and never repeats it. Err is ErrWeakPassword or
// ErrPasswordMismatch, so callers can test the kind with errors.Is.
type PolicyError struct {
	// Field is the JSON field name: FieldPassword or FieldPasswordConfirm.
	Field string
	// Detail is a human-readable reason, e.g. "must be at least 12 characters".
	Detail string
	// Err is the sentinel this failure wraps.
	Err error
}

// Error returns the field and the reason, e.g. "password: must be at least 12 characters".
func (e *PolicyError) Error() string { return e.Field + ": " + e.Detail }

// Unwrap returns the sentinel, ErrWeakPassword or ErrPasswordMismatch.
func (e *PolicyError) Unwrap() error { return e.Err }

// CheckNew checks a new password and its confirmation against the password policy and returns nil
// or a *PolicyError.
//
// Passwords are taken as typed: never trimmed, never normalized, so every character counts. The
// password must be valid UTF-8, at most MaxPasswordBytes bytes, at least MinPasswordLength
// characters (code points), and not among the 10 000 most common passwords (compared
// case-insensitively). The password itself is checked before its confirmation, so the first error
// names the field the user has to change first; only one error is reported.
func CheckNew(password, confirm string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	if confirm != password {
		return &PolicyError{Field: FieldPasswordConfirm, Detail: "does not match the password", Err: ErrPasswordMismatch}
	}
	return nil
}

// checkPassword applies the policy to the password alone. The byte bound is checked first so that
// an oversized input is refused before it is scanned.
func checkPassword(password string) error {
	weak := func(detail string) error {
		return &PolicyError{Field: FieldPassword, Detail: detail, Err: ErrWeakPassword}
	}
	switch {
	case len(password) > MaxPasswordBytes:
		return weak("must be at most " + strconv.Itoa(MaxPasswordBytes) + " bytes")
	case !utf8.ValidString(password):
		return weak("must be valid UTF-8 text")
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return weak("must be at least " + strconv.Itoa(MinPasswordLength) + " characters")
	case IsCommonPassword(password):
		return weak("is one of the most common passwords; choose another")
	}
	return nil
}

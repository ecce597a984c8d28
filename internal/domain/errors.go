// Package domain holds the aggregates of Customer Management and their invariants. Behaviour methods
// decide: given the current state and a command they return the events to append, or an error;
// state changes only in Apply, when an event is folded in. Nothing here does I/O.
package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an Error; the HTTP layer maps each code to one status in one table.
type Code string

// Error codes.
const (
	// Invalid: the command's input breaks a rule of a field (HTTP 422).
	Invalid Code = "invalid"
	// NotFound: the aggregate does not exist, is deleted, or is out of the actor's reach (HTTP 404).
	NotFound Code = "not-found"
	// Conflict: the command conflicts with the current state, e.g. a duplicate name (HTTP 409).
	Conflict Code = "conflict"
	// PreconditionFailed: the client's expected version is not the current one (HTTP 412).
	PreconditionFailed Code = "precondition-failed"
	// Forbidden: the actor may not perform the command (HTTP 403).
	Forbidden Code = "forbidden"
	// TooMany: a limit on work in progress is reached; retry later (HTTP 429).
	TooMany Code = "too-many"
)

// FieldError names one offending field of a command.
type FieldError struct {
	// Field is the JSON name of the field, e.g. "name" or "parent_id".
	Field string `json:"field"`
	// Detail says what is wrong, in a sentence a user can act on.
	Detail string `json:"detail"`
}

// Error is the one application error type. Its Message is safe to show to users.
type Error struct {
	Code    Code
	Message string
	// Fields lists the offending fields of an Invalid error.
	Fields []FieldError
	// Details carries structured facts for the client, e.g. the children blocking a delete.
	Details map[string]any
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Detail
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an *Error with code c.
func Errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// InvalidFields returns an Invalid error naming fields, or nil when fields is empty.
func InvalidFields(fields ...FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: "The request has invalid fields.", Fields: fields}
}

// ErrorCode returns the Code of err if it is (or wraps) an *Error, and "" otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

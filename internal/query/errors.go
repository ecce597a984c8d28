package query

import "errors"

// ErrBadCursor is returned (wrapped) when a cursor is not one List produced, or was produced for
// another sort, search text, parent or scope. The API answers 400.
var ErrBadCursor = errors.New("query: invalid cursor")

// ErrBadParam is returned (wrapped, naming the parameter) when a list parameter is invalid: an
// unknown sort, a negative limit, a malformed id, a search text that is too long. The API answers
// 400.
var ErrBadParam = errors.New("query: invalid parameter")

// ErrNotFound is returned by Get when the read model does not hold the customer.
var ErrNotFound = errors.New("query: not found")

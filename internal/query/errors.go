package query

import "errors"

// ErrBadCursor is returned (wrapped) when a cursor is not one List produced, or was produced for
// another listing (customers or users), sort, search text, parent or customer, or scope. The API
// answers 400.
var ErrBadCursor = errors.New("query: invalid cursor")

// ErrBadParam is returned (wrapped, naming the parameter) when a list parameter is invalid: an
// unknown sort, a negative limit, a malformed id, a search text that is too long. The API answers
// 400.
var ErrBadParam = errors.New("query: invalid parameter")

// ErrNotFound is returned by Get and GetWithin when the read model does not hold the customer or
// user, or holds it outside the scope asked for.
var ErrNotFound = errors.New("query: not found")

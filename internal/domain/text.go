package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Field limits.
const (
	MaxNameLength    = 200
	MaxAddressLength = 500
	// MaxDepth is how deep the customer tree may grow: a root customer is at depth 1.
	MaxDepth = 16
)

// normalizeName trims a customer name and checks it: 1–200 characters, valid UTF-8, no control
// characters.
func normalizeName(field, s string) (string, *FieldError) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", &FieldError{field, "must be valid UTF-8 text"}
	}
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return "", &FieldError{field, "is required"}
	}
	if n > MaxNameLength {
		return "", &FieldError{field, fmt.Sprintf("must be at most %d characters (got %d)", MaxNameLength, n)}
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", &FieldError{field, "must not contain control characters"}
	}
	return s, nil
}

// normalizeAddress trims an address, turns CRLF and CR into LF, and checks it: at most 500
// characters, valid UTF-8, no control characters other than line breaks. An empty address is allowed.
func normalizeAddress(field, s string) (string, *FieldError) {
	return normalizeMultiline(field, s, MaxAddressLength)
}

// normalizeMultiline trims free text that may span lines, turns CRLF and CR into LF, and checks it:
// at most max characters, valid UTF-8, no control characters other than line breaks.
func normalizeMultiline(field, s string, max int) (string, *FieldError) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", &FieldError{field, "must be valid UTF-8 text"}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", &FieldError{field, fmt.Sprintf("must be at most %d characters (got %d)", max, n)}
	}
	if strings.IndexFunc(s, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }) >= 0 {
		return "", &FieldError{field, "must not contain control characters other than line breaks"}
	}
	return s, nil
}

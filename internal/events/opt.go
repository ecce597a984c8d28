package events

import (
	"bytes"
	"encoding/json"
)

// Opt is a field that may be absent, present with a value, or present and null. It carries the
// JSON merge-patch distinction between "not given" and "set to null" through payloads: an update
// event holds only the fields that changed, and "parent_id": null means "now a root customer".
// Use it with the `omitzero` JSON option so absent fields stay absent.
type Opt[T any] struct {
	// Set reports whether the field was present.
	Set bool
	// Null reports whether the field was present with the value null.
	Null bool
	// Value is the field's value when Set and not Null.
	Value T
}

// Some returns a present, non-null Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{Set: true, Value: v} }

// Null returns a present Opt whose value is null.
func Null[T any]() Opt[T] { return Opt[T]{Set: true, Null: true} }

// IsZero reports whether the field is absent; encoding/json uses it for `omitzero`.
func (o Opt[T]) IsZero() bool { return !o.Set }

// MarshalJSON encodes the value, or null.
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if !o.Set || o.Null {
		return []byte("null"), nil
	}
	return json.Marshal(o.Value)
}

// UnmarshalJSON records that the field was present, and whether it was null.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		var zero T
		o.Value = zero
		return nil
	}
	o.Null = false
	return json.Unmarshal(b, &o.Value)
}

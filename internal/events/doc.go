// Package events is the wire contract of Customer Management: event types, payload structs, the
// CloudEvents 1.0 envelope and the codec that turns them into bytes and back.
//
// Everything here is read by auditors long after it was written. Event type names, JSON field names
// and schema versions are a contract: never rename or repurpose them. A new shape of a payload gets a
// new schema version and an upcaster (see codec.go), and the golden files under testdata/ must keep
// decoding forever.
//
// The package imports the standard library only.
package events

// Package personal seals the personal fields of events (events.MapPersonal) with the key of the
// customer they belong to, and opens them again for the readers that fold events. The keys live in
// a key store outside the log (keyring.Keyring, a JetStream key-value bucket); destroying a
// customer's key erases those fields from the whole history at once — crypto-shredding — while the
// events, their hashes and their chains stay as they were.
//
// A sealed field is bound to its user and field name (the additional data of AES-GCM), so it
// cannot be moved to another user or field; the sealed text names the customer whose key sealed
// it, so opening needs no other state.
package personal

import (
	"context"
	"errors"
	"fmt"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/keyring"
)

// Keys seals and opens values with a customer's key; keyring.Keyring is the implementation.
type Keys interface {
	// Seal encrypts plaintext with the key of customerID, bound to aad.
	Seal(ctx context.Context, customerID, aad, plaintext string) (string, error)
	// Open decrypts a sealed value: keyring.ErrErased once the key was destroyed,
	// keyring.ErrNotSealed for a value that was never sealed.
	Open(ctx context.Context, sealed, aad string) (string, error)
}

// aad binds a sealed field to its user and field name.
func aad(userID, field string) string { return "users/" + userID + "/" + field }

// Seal returns p with its personal fields sealed with the key of customerID; userID is the
// aggregate the event belongs to. Payloads without personal fields come back as they are.
func Seal(ctx context.Context, k Keys, customerID, userID string, p events.Payload) (events.Payload, error) {
	if !events.HasPersonal(p.EventType()) {
		return p, nil
	}
	out, err := events.MapPersonal(p, func(field, v string) (string, error) {
		return k.Seal(ctx, customerID, aad(userID, field), v)
	})
	if err != nil {
		return nil, fmt.Errorf("personal: seal %s of user %s: %w", p.EventType(), userID, err)
	}
	return out, nil
}

// Open returns p with its personal fields opened: a field whose key was destroyed reads as
// events.Erased, a field that was never sealed (written before sealing existed) as it is. Any
// other failure (the key store unreachable, a tampered value) is an error: a reader must not take
// an outage for an erasure.
func Open(ctx context.Context, k Keys, userID string, p events.Payload) (events.Payload, error) {
	if p == nil || !events.HasPersonal(p.EventType()) {
		return p, nil
	}
	out, err := events.MapPersonal(p, func(field, v string) (string, error) {
		s, err := k.Open(ctx, v, aad(userID, field))
		switch {
		case err == nil:
			return s, nil
		case errors.Is(err, keyring.ErrErased):
			return events.Erased, nil
		case errors.Is(err, keyring.ErrNotSealed):
			return v, nil
		}
		return "", err
	})
	if err != nil {
		return nil, fmt.Errorf("personal: open %s of user %s: %w", p.EventType(), userID, err)
	}
	return out, nil
}

package keyring

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// sealedPrefix starts every sealed value; the version lets a later format live beside this one.
const sealedPrefix = "enc:v1:"

// nonceSize is the GCM nonce length. Random 96-bit nonces are safe for far more values per
// customer key than one customer will ever have.
const nonceSize = 12

// ErrCorrupt is returned by Open for a sealed value that was altered, is truncated, or is opened
// with another aad than it was sealed with.
var ErrCorrupt = errors.New("keyring: sealed value is corrupt or sealed for other data")

// encoding is base64url without padding: sealed values sit in JSON, URLs and CSVs unescaped.
var encoding = base64.RawURLEncoding.Strict()

// Seal encrypts plaintext with the customer's key, creating the key if the customer has none,
// with AES-256-GCM under a random nonce. aad is authenticated, not encrypted: pass what the value
// belongs to (say "customer.email"), so that a sealed value copied to another field fails to open.
// The result is "enc:v1:<customerID>:<base64url(nonce||ciphertext)>". Empty plaintext is sealed
// too, so a sealed field tells no more than the length of its value. Seal returns the errors of
// KeyOrCreate.
func (k *Keyring) Seal(ctx context.Context, customerID string, aad, plaintext string) (string, error) {
	id, err := canonicalID(customerID)
	if err != nil {
		return "", err
	}
	e, err := k.lookup(ctx, id, true)
	if err != nil {
		return "", err
	}
	aead, err := newAEAD(e.key)
	if err != nil {
		return "", err
	}
	out := make([]byte, nonceSize, nonceSize+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return "", fmt.Errorf("keyring: nonce: %w", err)
	}
	out = aead.Seal(out, out[:nonceSize], []byte(plaintext), additionalData(id, aad))
	return sealedPrefix + id + ":" + encoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same aad. It returns ErrNotSealed for a value
// without the "enc:v1:" prefix, ErrErased when the customer's key was destroyed, ErrCorrupt for
// an altered value or another aad, ErrNoKey if the customer it names never had a key, and another
// error when the bucket cannot be read (NATS down).
func (k *Keyring) Open(ctx context.Context, sealed, aad string) (string, error) {
	id, payload, err := parse(sealed)
	if err != nil {
		return "", err
	}
	e, err := k.lookup(ctx, id, false)
	if err != nil {
		return "", err
	}
	aead, err := newAEAD(e.key)
	if err != nil {
		return "", err
	}
	plain, err := aead.Open(nil, payload[:nonceSize], payload[nonceSize:], additionalData(id, aad))
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}

// IsSealed reports whether s has the sealed prefix. It does not check the rest.
func IsSealed(s string) bool {
	return strings.HasPrefix(s, sealedPrefix)
}

// CustomerOf returns the id of the customer whose key opens sealed, for scrubbing and
// diagnostics; ok is false when sealed is not a well-formed sealed value.
func CustomerOf(sealed string) (customerID string, ok bool) {
	id, _, err := parse(sealed)
	return id, err == nil
}

// parse splits a sealed value into its customer id and nonce||ciphertext.
func parse(sealed string) (id string, payload []byte, err error) {
	rest, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", nil, ErrNotSealed
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return "", nil, ErrCorrupt
	}
	// Seal writes the canonical form; another spelling of the id is an altered value.
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return "", nil, ErrCorrupt
	}
	payload, err = encoding.DecodeString(b64)
	if err != nil || len(payload) < nonceSize+16 { // 16: the GCM tag
		return "", nil, ErrCorrupt
	}
	return id, payload, nil
}

// additionalData binds a sealed value to its format version and customer as well as to the
// caller's aad. The id has a fixed length, so the concatenation is unambiguous.
func additionalData(id, aad string) []byte {
	return []byte(sealedPrefix + id + ":" + aad)
}

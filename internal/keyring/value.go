package keyring

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the length of a customer key in bytes (AES-256).
const KeySize = 32

// keyVersion is the first byte of a stored key; it leaves room for another key format later.
const keyVersion = 1

// tombstone is the value Destroy writes in place of a key. It is shorter than a key entry and does
// not start with keyVersion, so it can never be mistaken for one.
var tombstone = []byte("erased")

// errMalformed reports a bucket entry that is neither a key nor a tombstone. It never carries the
// entry's bytes.
var errMalformed = errors.New("keyring: malformed bucket entry")

// newKeyValue returns a fresh random key and the value storing it.
func newKeyValue() (key, value []byte, err error) {
	value = make([]byte, 1+KeySize)
	value[0] = keyVersion
	if _, err := rand.Read(value[1:]); err != nil {
		return nil, nil, fmt.Errorf("keyring: random key: %w", err)
	}
	return value[1:], value, nil
}

// decodeValue tells a tombstone (erased) from a key entry (key).
func decodeValue(v []byte) (key []byte, erased bool, err error) {
	switch {
	case bytes.Equal(v, tombstone):
		return nil, true, nil
	case len(v) == 1+KeySize && v[0] == keyVersion:
		return bytes.Clone(v[1:]), false, nil
	}
	return nil, false, fmt.Errorf("%w (%d bytes)", errMalformed, len(v))
}

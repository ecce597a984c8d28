package events

import (
	"crypto/sha256"
	"encoding/hex"
)

// HashPrefix starts every event hash, naming its algorithm.
const HashPrefix = "sha256:"

// Hash returns the hash that the next event of the same aggregate carries as its PrevHash:
// "sha256:" and the lower-case hex SHA-256 of the event's stored bytes, which are its canonical
// encoding (Encode's output, written once and never re-encoded). Hashing the bytes as stored, not a
// re-encoding of the decoded event, keeps the chain exact whatever a later build decodes, and
// keeps it valid after crypto-shredding, which destroys keys, never stored bytes.
func Hash(stored []byte) string {
	sum := sha256.Sum256(stored)
	return HashPrefix + hex.EncodeToString(sum[:])
}

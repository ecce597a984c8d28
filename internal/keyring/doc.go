// Package keyring keeps one random AES-256 key per customer, outside the event log, so that a
// customer's personal data can be erased from an append-only log by destroying the key that
// encrypts it (crypto-shredding, GDPR art. 17).
//
// Keys live in the JetStream key-value bucket cm_keys, one entry per customer id (a UUID):
//
//   - a key entry holds a version byte and 32 random bytes;
//   - Destroy replaces it with a tombstone, a fixed value that is never a key, and then securely
//     deletes every earlier revision from the bucket's stream, so the key bytes are overwritten in
//     the store's files, not just unlinked. A tombstone is final: the customer never gets a key
//     again, and only a tombstone makes this package answer ErrErased. A NATS outage gives an
//     error, never ErrErased.
//
// Seal and Open encrypt single personal fields with AES-256-GCM; the sealed form,
// "enc:v1:<customerID>:<base64url>", names the customer whose key opens it.
//
// Each Keyring caches keys in memory and watches the bucket, so every process stops using a
// destroyed key within milliseconds of Destroy in any process.
//
// The bucket's stream is created by this package, not by the key-value API: see bucket.go for why
// it must never be created or updated with js.CreateKeyValue, js.CreateOrUpdateKeyValue or
// "nats kv add".
package keyring

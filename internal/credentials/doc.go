// Package credentials keeps what must never enter the event log — password hashes, sessions and
// login throttling state — in JetStream key-value buckets of their own:
//
//   - cm_credentials: per user id, the argon2id PHC hash and a session epoch. Bumping the epoch
//     revokes every session of the user at once (disable, delete, password change, customer
//     deleted), without listing them.
//   - cm_sessions: per sha256 of a session token, the user id, the epoch it was issued under and
//     its times. The token itself is never stored. Entries expire with the absolute session limit.
//   - cm_login_throttle: per sha256 of a normalized email, the recent failed logins.
//
// The package stores and checks; hashing and token generation live in internal/auth.
package credentials

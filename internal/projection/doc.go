// Package projection turns the event stream into read tables in Postgres.
//
// A projection folds events into rows and stores its checkpoint, the stream sequence of the last
// event it took into account, in the same transaction as the rows. Events at or below the
// checkpoint are skipped, so redelivery, crashes and two projectors running at once never apply
// an event twice or lose one. A poison event is parked in projection_parked, in the same
// transaction, and reported; it is never silently skipped.
//
// The read tables carry a version suffix (customers_v1, users_v1, domains_v1) and are read through
// views (customers, users, domains), so a rebuild can fill a new version beside the old one and swap
// the view atomically. The users and the domains belong to the customers projection (one
// checkpoint, CustomersProjection): a user or domain row copies its customer's name and ancestors,
// which customer renames and moves change in the same transaction.
//
// The pieces:
//   - Migrate creates and updates the schema (embedded SQL under migrations/).
//   - Projector consumes the stream with Watermill and applies events in batches.
//   - Waiter lets a reader wait until a projection has reached a stream sequence
//     (read-your-writes).
package projection

// Package projectiontest supports tests of the read side. Writer appends customer, user and domain
// commands the way the command layer does (atomic batches with name, email and host reservations,
// hierarchy, tree and member-list events, a customer's users and domains deleted with it), and
// Expected, ExpectedUsers and ExpectedDomains compute the customers read model independently of
// the projector, by folding each customer's events with domain.Customer.Apply, each user's with
// domain.User.Apply and each domain's with domain.Domain.Apply.
//
// It is imported by _test.go files, and by cmd/bench for AppendDomains.
package projectiontest

// Package projectiontest supports tests of the read side. Writer appends customer and user
// commands the way the command layer does (atomic batches with name and email reservations,
// hierarchy and tree events, a customer's users deleted with it), and Expected and ExpectedUsers
// compute the customers read model independently of the projector, by folding each customer's
// events with domain.Customer.Apply and each user's with domain.User.Apply.
//
// It is imported by _test.go files only.
package projectiontest

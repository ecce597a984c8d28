// Package projectiontest supports tests of the read side. Writer appends customer commands the
// way the command layer does (atomic batches with name reservations, hierarchy and tree events),
// and Expected computes the customers read model independently of the projector, by folding each
// customer's events with domain.Customer.Apply.
//
// It is imported by _test.go files only.
package projectiontest

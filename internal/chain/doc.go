// Package chain verifies the tamper evidence of the event log.
//
// Every event carries the hash of the previous event of its aggregate (events.Envelope.PrevHash,
// set by the event store), so the events of one subject form a hash chain: each link names the
// SHA-256 of the stored bytes of the one before, the first names nothing. A Verifier walks the log
// in stream order, recomputes every chain and reports the first event whose link does not hold:
//
//   - an event changed in place: its hash changes, so the next event of its aggregate names
//     another hash;
//   - an event removed: the next one names a hash that is not its predecessor's;
//   - two events of an aggregate swapped: each names the wrong predecessor;
//   - an event inserted: it cannot name the right predecessor and also be named by the next one;
//   - an event moved to another aggregate's subject: it breaks both chains.
//
// The aggregate version must also count up by one along each chain.
//
// A chain cannot show that its own last events were cut off, or that the last event of an
// aggregate was changed, since nothing names it yet. For that the Verifier also computes a digest
// of the whole log up to a stream sequence (a running SHA-256 over every event's hash in order):
// an auditor who keeps the digest a verification printed can later ask for the digest at the same
// sequence and compare; any change at or before that sequence changes it.
package chain

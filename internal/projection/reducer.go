package projection

import "github.com/jackc/pgx/v5"

// reducer folds the events of one read model into its tables. The applier owns the transaction,
// the checkpoint and the parking of poison events; a reducer only says which events it reads and
// which statements apply one.
type reducer interface {
	// reads reports whether the read model takes events on subject into account. Events on other
	// subjects only move its checkpoint.
	reads(subject string) bool
	// queue adds to b the statements that apply ev, in order; they run in one transaction after
	// the statements of the events before ev. It returns an error and queues nothing when ev cannot
	// be decoded or applied. Statements may register callbacks that fail with an *eventError when
	// the read model contradicts the event.
	queue(b *pgx.Batch, ev event) error
}

package projection

import (
	"strconv"

	"github.com/jackc/pgx/v5"
)

// reducer folds the events of one read model into its tables. The applier owns the transaction,
// the checkpoint and the parking of poison events; a reducer only says which events it reads and
// which statements apply one.
type reducer interface {
	// reads reports whether the read model takes events on subject into account. Events on other
	// subjects only move its checkpoint.
	reads(subject string) bool
	// queue adds to b the statements that apply ev, in order; they run in one transaction after
	// the statements of the events before ev. It returns an error and queues nothing when ev cannot
	// be decoded or applied. A statement that must change exactly one row (the read model
	// contradicts the event otherwise) is queued with expectOne, never checked by a callback: the
	// one-round-trip batch commits on the server before a callback could object.
	queue(b *pgx.Batch, ev event) error
}

// expectOne queues dml, an INSERT, UPDATE or DELETE without a RETURNING clause whose parameters
// are args, so that it fails on the server with SQLSTATE CM002 and message msg (a poison event)
// unless it changed exactly one row. See migration 0007.
func expectOne(b *pgx.Batch, dml, msg string, args ...any) {
	args = append(args, msg)
	b.Queue("WITH changed AS ("+dml+" RETURNING 1) SELECT projection_expect_rows((SELECT count(*) FROM changed), 1, $"+
		strconv.Itoa(len(args))+")", args...)
}

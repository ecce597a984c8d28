package projection

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// eventError says that an event itself is at fault: its data does not decode, its type is unknown
// on a subject the projection reads, or it contradicts the read model (an update of a customer the
// read model does not hold). Retrying cannot fix it; the event is parked.
type eventError struct {
	msg string
}

// Error implements error.
func (e *eventError) Error() string { return e.msg }

// isPoison reports whether err means that the event being applied is to blame, so the event is
// parked rather than retried: an eventError, a failed check of a statement queued with expectOne
// (SQLSTATE CM002), or a Postgres data exception (class 22, e.g. an invalid uuid) or integrity
// violation (class 23, e.g. a duplicate key).
//
// Every other error is retried with backoff: a lost connection, a serialization failure or a
// deadlock clears up, and a schema or permission problem (class 42) is not the event's fault —
// parking would move the checkpoint past every event while the schema is broken.
func isPoison(err error) bool {
	var ee *eventError
	if errors.As(err, &ee) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 {
		if pgErr.Code == sqlStateContradiction {
			return true
		}
		switch pgErr.Code[:2] {
		case "22", "23":
			return true
		}
	}
	return false
}

// sqlStateContradiction is the SQLSTATE of projection_expect_rows (migration 0007): the event
// contradicts the read model.
const sqlStateContradiction = "CM002"

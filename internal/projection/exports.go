package projection

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/toffstech/customer-management/internal/events"
)

// exportSubjectPrefix starts the subject of every export's events.
var exportSubjectPrefix = events.ExportSubject("")

// queueExport adds the statements applying one export event to the exports read model.
func queueExport(b *pgx.Batch, ev event, id uuid.UUID, env events.Envelope, payload events.Payload) error {
	version, seq := versionArg(env), int64(ev.Seq)
	missing := "the read model holds no export " + id.String()
	const bump = `version = coalesce($2::bigint, version + 1), last_seq = $3`
	switch p := payload.(type) {
	case events.ExportRequestedV1:
		cust, err := parseID(p.CustomerID)
		if err != nil {
			return &eventError{fmt.Sprintf("export.requested: customer_id: %v", err)}
		}
		b.Queue(`INSERT INTO exports_v1 (id, customer_id, requested_by, requested_at, status, version, last_seq)
			VALUES ($1, $4, $5, $6, 'pending', coalesce($2::bigint, 1), $3)`, id, version, seq, cust, env.ActorID, env.Time)
	case events.ExportStartedV1:
		expectOne(b, `UPDATE exports_v1 SET status = CASE WHEN status IN ('pending', 'running') THEN 'running' ELSE status END,
			started_at = $4, attempts = $5, `+bump+` WHERE id = $1`, missing, id, version, seq, env.Time, p.Attempt)
	case events.ExportSucceededV1:
		expires, err := time.Parse(time.RFC3339, p.ExpiresAt)
		if err != nil {
			return &eventError{fmt.Sprintf("export.succeeded: expires_at: %v", err)}
		}
		expectOne(b, `UPDATE exports_v1 SET status = 'succeeded', finished_at = $4, rows = $5, bytes = $6, sha256 = $7,
			object_key = $8, filename = $9, expires_at = $10, `+bump+` WHERE id = $1`, missing,
			id, version, seq, env.Time, p.Rows, p.Bytes, p.SHA256, p.ObjectKey, p.Filename, expires)
	case events.ExportFailedV2:
		expectOne(b, `UPDATE exports_v1 SET status = 'failed', finished_at = $4, reason = $5, attempts = $6, reason_code = $7, `+bump+` WHERE id = $1`,
			missing, id, version, seq, env.Time, p.Reason, p.Attempts, p.Code)
	case events.ExportDownloadedV1:
		expectOne(b, `UPDATE exports_v1 SET downloads = downloads + 1, `+bump+` WHERE id = $1`, missing, id, version, seq)
	case events.ExportExpiredV1:
		expectOne(b, `UPDATE exports_v1 SET status = 'expired', `+bump+` WHERE id = $1`, missing, id, version, seq)
	default:
		return &eventError{fmt.Sprintf("event type %q on an export subject", env.Type)}
	}
	return nil
}

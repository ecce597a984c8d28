package projection

import (
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/toffstech/customer-management/internal/events"
)

// Erasure of personal data. The log holds users' personal fields sealed with their customer's key;
// the reducer opens them (a destroyed key reads as events.Erased), so a replay after an erasure
// never writes them. The rows written before it hold them opened: customer.erased, which follows
// the destruction of the key, scrubs them.

// openTimeout bounds the opening of one event's personal fields (a key fetched from the key store).
const openTimeout = 30 * time.Second

// personalKeys are the JSON names of the personal fields of user events (events.PersonalFields,
// whose "personal.*" names personal_scrub finds in the nested object).
var personalKeys = []string{"name", "email", "remark"}

// queueErasure adds to b the scrubbing of customer id's users' personal data: the audit rows about
// its users (their name, the action text naming them, the event data they copy), the email of
// every audit row a user of it acted in, their emails in audit_actors, and any users row left.
func queueErasure(b *pgx.Batch, id uuid.UUID) {
	b.Queue(scrubAuditSubjectsSQL, id, events.Erased, personalKeys)
	b.Queue(scrubAuditActorsSQL, id, events.Erased)
	b.Queue(`UPDATE audit_actors SET email = $2 WHERE customer_id = $1 AND email <> $2`, id, events.Erased)
	b.Queue(`UPDATE users_v1 SET name = $2, email = $2, remark = '' WHERE customer_id = $1`, id, events.Erased)
}

// scrubAuditSubjectsSQL scrubs the audit rows of user events sealed with customer $1's key: those
// whose customer is $1 (a move's row belongs to the customer the user moved to, whose key sealed
// it). The action text names the user by its email, the row's resource_name.
const scrubAuditSubjectsSQL = `
UPDATE audit_v1 SET
    action = CASE WHEN resource_name IN ('', $2) THEN action ELSE replace(action, resource_name, $2) END,
    resource_name = CASE WHEN resource_name = '' THEN '' ELSE $2 END,
    change = personal_scrub(change::jsonb, $3::text[], $2)::json
WHERE customer_id = $1 AND resource_type = 'user'`

// scrubAuditActorsSQL replaces the email of the actors whose last customer is $1.
const scrubAuditActorsSQL = `
UPDATE audit_v1 a SET actor_email = $2
FROM audit_actors x
WHERE x.customer_id = $1 AND a.actor_id = x.user_id AND a.actor_email <> $2`

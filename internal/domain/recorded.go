package domain

import (
	"time"

	"github.com/toffstech/customer-management/internal/events"
)

// Recorded is an event as read back from the log: its payload and where and when it was stored.
type Recorded struct {
	// Seq is the event's stream sequence: the global order, and the concurrency token of its aggregate.
	Seq uint64
	// Time is the envelope's time.
	Time time.Time
	// Version is the envelope's aggregate version.
	Version uint64
	// Payload is the decoded data.
	Payload events.Payload
}

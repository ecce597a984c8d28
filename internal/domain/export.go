package domain

import (
	"time"

	"github.com/toffstech/customer-management/internal/events"
)

// Export states, as clients see them.
const (
	ExportPending   = "pending"
	ExportRunning   = "running"
	ExportSucceeded = "succeeded"
	ExportFailed    = "failed"
	ExportExpired   = "expired"
)

// MaxRunningExportsPerCustomer bounds the exports of one customer that are pending or running.
const MaxRunningExportsPerCustomer = 3

// Export is one CSV export of a customer's domains.
type Export struct {
	ID          string
	CustomerID  string
	Format      string
	AfterSeq    uint64
	RequestedBy events.Actor
	RequestedAt time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	Attempts    int
	Result      events.ExportSucceededV1
	Reason      string
	// ReasonCode is the failure's stable code (events.ExportFailure*).
	ReasonCode string
	Downloads  int
	expired    bool
	failed     bool
	Version    uint64
	LastSeq    uint64
}

// Exists reports whether the export was requested.
func (x *Export) Exists() bool { return x != nil && x.Version > 0 }

// ApplyEnvelope folds one of the export's events in; the envelope gives the actor of a request.
func (x *Export) ApplyEnvelope(r Recorded, actor events.Actor) {
	switch p := r.Payload.(type) {
	case events.ExportRequestedV1:
		x.CustomerID, x.Format, x.AfterSeq = p.CustomerID, p.Format, p.AfterSeq
		x.RequestedBy, x.RequestedAt = actor, r.Time
	case events.ExportStartedV1:
		x.StartedAt, x.Attempts = r.Time, p.Attempt
	case events.ExportSucceededV1:
		x.Result, x.FinishedAt = p, r.Time
	case events.ExportFailedV2:
		x.failed, x.Reason, x.ReasonCode, x.Attempts, x.FinishedAt = true, p.Reason, p.Code, p.Attempts, r.Time
	case events.ExportDownloadedV1:
		x.Downloads++
	case events.ExportExpiredV1:
		x.expired = true
	}
	x.Version++
	if r.Version != 0 {
		x.Version = r.Version
	}
	x.LastSeq = r.Seq
}

// Status is the export's state at time now: a succeeded export past its expiry reads expired even
// before the sweeper removed its file.
func (x *Export) Status(now time.Time) string {
	switch {
	case x.expired:
		return ExportExpired
	case x.failed:
		return ExportFailed
	case x.Result.ObjectKey != "":
		if exp, err := time.Parse(time.RFC3339, x.Result.ExpiresAt); err == nil && !now.Before(exp) {
			return ExportExpired
		}
		return ExportSucceeded
	case !x.StartedAt.IsZero():
		return ExportRunning
	default:
		return ExportPending
	}
}

// Active reports whether the export still counts against the customer's running exports.
func (x *Export) Active() bool {
	s := x.Status(time.Now())
	return s == ExportPending || s == ExportRunning
}

// DecideDownload records a download; only a succeeded, unexpired export can be downloaded.
func (x *Export) DecideDownload(now time.Time) ([]events.Payload, error) {
	switch x.Status(now) {
	case ExportSucceeded:
		return []events.Payload{events.ExportDownloadedV1{}}, nil
	case ExportExpired:
		return nil, &Error{Code: Conflict, Message: "The export has expired; request a new one."}
	default:
		return nil, &Error{Code: Conflict, Message: "The export is not ready yet.", Details: map[string]any{"status": x.Status(now)}}
	}
}

// ExportSlots lists a customer's pending and running exports.
type ExportSlots struct {
	Active  []string
	LastSeq uint64
	Version uint64
}

// Apply folds an export slots event in.
func (s *ExportSlots) Apply(rec Recorded) {
	switch p := rec.Payload.(type) {
	case events.ExportSlotTakenV1:
		s.Active = append(s.Active, p.ExportID)
	case events.ExportSlotFreedV1:
		s.Active = remove(s.Active, p.ExportID)
	}
	s.LastSeq = rec.Seq
	s.Version = rec.Version
}

// DecideTake takes a slot for export id, or refuses with TooMany when the customer already has
// MaxRunningExportsPerCustomer exports pending or running.
func (s *ExportSlots) DecideTake(id string) ([]events.Payload, error) {
	if len(s.Active) >= MaxRunningExportsPerCustomer {
		return nil, &Error{Code: TooMany, Message: "This customer already has 3 exports in progress; wait for one to finish.",
			Details: map[string]any{"running": s.Active}}
	}
	return []events.Payload{events.ExportSlotTakenV1{ExportID: id}}, nil
}

package events

import (
	"encoding/json"
	"strings"
)

// Export event types: a CSV export of a customer's domains, from request to download. Never
// rename them.
const (
	ExportRequested  = "export.requested"
	ExportStarted    = "export.started"
	ExportSucceeded  = "export.succeeded"
	ExportFailed     = "export.failed"
	ExportDownloaded = "export.downloaded"
	ExportExpired    = "export.expired"
)

// AggregateExport is the aggregate type of exports.
const AggregateExport = "export"

// ExportSubject is the subject of one export's events.
func ExportSubject(id string) string { return "cm.export." + id }

// ExportRequestedV1 is the data of export.requested; who asked is the envelope's actor.
type ExportRequestedV1 struct {
	CustomerID string `json:"customer_id"`
	Format     string `json:"format"`
	// AfterSeq is the stream sequence the export must reflect: the exporter waits until the
	// projections have applied it.
	AfterSeq uint64 `json:"after_seq"`
}

// ExportStartedV1 is the data of export.started: a worker took the job (attempt counts from 1).
type ExportStartedV1 struct {
	Attempt int `json:"attempt"`
}

// ExportSucceededV1 is the data of export.succeeded.
type ExportSucceededV1 struct {
	ObjectKey string `json:"object_key"`
	Filename  string `json:"filename"`
	Rows      int    `json:"rows"`
	Bytes     int64  `json:"bytes"`
	SHA256    string `json:"sha256"`
	// ExpiresAt is when the file is removed (RFC 3339).
	ExpiresAt string `json:"expires_at"`
}

// ExportFailedV2 is the data of export.failed (schema version 2): after bounded retries, with a
// reason a user can act on and, since version 2, a stable code for programs (one of the
// ExportFailure codes).
type ExportFailedV2 struct {
	Code     string `json:"code"`
	Reason   string `json:"reason"`
	Attempts int    `json:"attempts"`
}

// ExportFailedV1 is the data of export.failed in schema version 1, before the code. It is no
// longer written: the codec upcasts it to ExportFailedV2 (upcastExportFailedV1).
type ExportFailedV1 struct {
	Reason   string `json:"reason"`
	Attempts int    `json:"attempts"`
}

// Codes of ExportFailedV2.
const (
	ExportFailureStorage  = "storage_unreachable"
	ExportFailureDatabase = "database_unreadable"
	ExportFailureAttempts = "attempts_exhausted"
	ExportFailureOther    = "other"
)

// exportFailureTexts are the beginnings of the reasons version 1 wrote, by code: every wording a
// build ever used, so that an old event gets the code a new one would carry.
var exportFailureTexts = []struct{ prefix, code string }{
	{"The export storage could not be reached", ExportFailureStorage},
	{"The domain data could not be read", ExportFailureDatabase},
	{"The export could not be completed after several attempts", ExportFailureAttempts},
}

// upcastExportFailedV1 turns export.failed v1 data into v2: the same reason and attempts, and the
// code its reason stands for (other for a reason no build wrote).
func upcastExportFailedV1(data json.RawMessage) (json.RawMessage, error) {
	var v1 ExportFailedV1
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, err
	}
	v2 := ExportFailedV2{Code: ExportFailureOther, Reason: v1.Reason, Attempts: v1.Attempts}
	for _, t := range exportFailureTexts {
		if strings.HasPrefix(v1.Reason, t.prefix) {
			v2.Code = t.code
			break
		}
	}
	return json.Marshal(v2)
}

// ExportDownloadedV1 is the data of export.downloaded; who downloaded is the envelope's actor.
type ExportDownloadedV1 struct{}

// ExportExpiredV1 is the data of export.expired: the file was removed.
type ExportExpiredV1 struct{}

// EventType implements Payload.
func (ExportRequestedV1) EventType() string { return ExportRequested }

// EventType implements Payload.
func (ExportStartedV1) EventType() string { return ExportStarted }

// EventType implements Payload.
func (ExportSucceededV1) EventType() string { return ExportSucceeded }

// EventType implements Payload.
func (ExportFailedV2) EventType() string { return ExportFailed }

// EventType implements Payload.
func (ExportDownloadedV1) EventType() string { return ExportDownloaded }

// EventType implements Payload.
func (ExportExpiredV1) EventType() string { return ExportExpired }

// Export slot event types: each customer's export slots aggregate counts its pending and running
// exports, so a fourth concurrent request is refused consistently.
const (
	ExportSlotTaken = "exportslots.taken"
	ExportSlotFreed = "exportslots.freed"
)

// AggregateExportSlots is the aggregate type of a customer's export slots.
const AggregateExportSlots = "exportslots"

// ExportSlotsSubject is the subject of a customer's export slots.
func ExportSlotsSubject(customerID string) string { return "cm.exportslots." + customerID }

// ExportSlotTakenV1 is the data of exportslots.taken.
type ExportSlotTakenV1 struct {
	ExportID string `json:"export_id"`
}

// ExportSlotFreedV1 is the data of exportslots.freed.
type ExportSlotFreedV1 struct {
	ExportID string `json:"export_id"`
}

// EventType implements Payload.
func (ExportSlotTakenV1) EventType() string { return ExportSlotTaken }

// EventType implements Payload.
func (ExportSlotFreedV1) EventType() string { return ExportSlotFreed }

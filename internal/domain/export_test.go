package domain

import (
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/events"
)

func TestExportStates(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	x := &Export{ID: "x"}
	who := events.Actor{Type: events.ActorUser, ID: "u"}
	x.ApplyEnvelope(Recorded{Seq: 1, Time: t0, Payload: events.ExportRequestedV1{CustomerID: idA, Format: "csv"}}, who)
	if x.Status(t0) != ExportPending || !x.Active() || x.RequestedBy != who {
		t.Fatalf("requested: %+v", x)
	}
	if _, err := x.DecideDownload(t0); ErrorCode(err) != Conflict {
		t.Errorf("download while pending: %v", err)
	}
	x.ApplyEnvelope(Recorded{Seq: 2, Time: t0, Payload: events.ExportStartedV1{Attempt: 1}}, events.Actor{})
	if x.Status(t0) != ExportRunning {
		t.Fatalf("started: %s", x.Status(t0))
	}
	exp := t0.Add(7 * 24 * time.Hour)
	x.ApplyEnvelope(Recorded{Seq: 3, Time: t0, Payload: events.ExportSucceededV1{ObjectKey: "k", ExpiresAt: exp.Format(time.RFC3339)}}, events.Actor{})
	if x.Status(t0) != ExportSucceeded || x.Active() {
		t.Fatalf("succeeded: %s", x.Status(t0))
	}
	if evs, err := x.DecideDownload(t0); err != nil || len(evs) != 1 {
		t.Fatalf("download: %v %v", evs, err)
	}
	if x.Status(exp) != ExportExpired {
		t.Errorf("past expiry: %s", x.Status(exp))
	}
	if _, err := x.DecideDownload(exp); ErrorCode(err) != Conflict {
		t.Errorf("download after expiry: %v", err)
	}
	f := &Export{}
	f.ApplyEnvelope(Recorded{Seq: 1, Payload: events.ExportRequestedV1{}}, who)
	f.ApplyEnvelope(Recorded{Seq: 2, Payload: events.ExportFailedV2{Code: events.ExportFailureStorage, Reason: "storage down", Attempts: 5}}, events.Actor{})
	if f.Status(t0) != ExportFailed || f.Reason != "storage down" || f.Active() {
		t.Errorf("failed: %+v", f)
	}
}

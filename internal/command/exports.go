package command

import (
	"context"
	"errors"
	"time"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// DownloadReport is the permission to request and download exports.
const DownloadReport Action = "Download Report View"

// Exports handles the export commands: requests and downloads by users, and the progress the
// exporter worker records.
type Exports struct {
	c *Customers
}

// NewExports returns the export command handlers.
func NewExports(customers *Customers) *Exports { return &Exports{c: customers} }

// ExportResult is the outcome of an export command.
type ExportResult struct {
	Export domain.Export
	Seq    uint64
}

// Export loads an export from the log (no authorization: for the worker and after checks).
func (h *Exports) Export(ctx context.Context, id string) (domain.Export, error) {
	stored, err := h.c.store.Load(ctx, events.ExportSubject(id), 0)
	if err != nil {
		return domain.Export{}, err
	}
	x := domain.Export{ID: id}
	for _, s := range stored {
		r, err := recorded(s)
		if err != nil {
			return domain.Export{}, err
		}
		x.ApplyEnvelope(r, s.Envelope.Actor())
	}
	return x, nil
}

func (h *Exports) slots(ctx context.Context, customerID string) (domain.ExportSlots, error) {
	stored, err := h.c.store.Load(ctx, events.ExportSlotsSubject(customerID), 0)
	if err != nil {
		return domain.ExportSlots{}, err
	}
	var s domain.ExportSlots
	for _, st := range stored {
		r, err := recorded(st)
		if err != nil {
			return domain.ExportSlots{}, err
		}
		s.Apply(r)
	}
	return s, nil
}

func (b *batch) export(x domain.Export, p events.Payload, expect *uint64) error {
	return b.add(events.ExportSubject(x.ID), events.AggregateExport, x.ID, "exports/"+x.ID, x.Version+1, p, expect, "")
}

func (b *batch) exportSlots(customerID string, s domain.ExportSlots, p events.Payload, expect *uint64) error {
	return b.add(events.ExportSlotsSubject(customerID), events.AggregateExportSlots, customerID, "customers/"+customerID+"/exportslots", s.Version+1, p, expect, "")
}

// RequestExport asks for a CSV of the customer's domains: export.requested and a slot among the
// customer's three, in one batch that expects the slots unchanged; a fourth concurrent request is
// refused (TooMany).
func (h *Exports) RequestExport(ctx context.Context, m Meta, customerID string) (ExportResult, error) {
	m.Now = now(m)
	if err := h.c.auth.Authorize(ctx, m, DownloadReport, func(ctx context.Context) ([]string, error) {
		return h.c.path(ctx, customerID)
	}); err != nil {
		return ExportResult{}, err
	}
	id := newID(m.Now, seedIf(m, "export"))
	if m.Idempotent {
		if x, err := h.Export(ctx, id); err != nil {
			return ExportResult{}, err
		} else if x.Exists() {
			return ExportResult{Export: x, Seq: x.LastSeq}, nil
		}
	}
	for attempt := 0; ; attempt++ {
		cust, err := h.c.customer(ctx, customerID, attempt > 0)
		if err != nil {
			return ExportResult{}, err
		}
		if !cust.Exists() {
			return ExportResult{}, customerNotFound(customerID)
		}
		slots, err := h.slots(ctx, customerID)
		if err != nil {
			return ExportResult{}, err
		}
		take, err := slots.DecideTake(id)
		if err != nil {
			return ExportResult{}, err
		}
		x := domain.Export{ID: id}
		b := newBatch(m)
		if err := b.export(x, events.ExportRequestedV1{CustomerID: customerID, Format: "csv"}, eventstore.Seq(0)); err != nil {
			return ExportResult{}, err
		}
		if err := b.exportSlots(customerID, slots, take[0], eventstore.Seq(slots.LastSeq)); err != nil {
			return ExportResult{}, err
		}
		seq, err := h.c.store.Append(ctx, b.msgs)
		if err == nil {
			b.each(events.ExportSubject(id), seq, func(r domain.Recorded) { x.ApplyEnvelope(r, m.Actor) })
			return ExportResult{Export: x, Seq: seq}, nil
		}
		if !errors.Is(err, eventstore.ErrConflict) || attempt+1 >= maxAttempts {
			return ExportResult{}, err
		}
	}
}

// GetExport returns an export the actor may see (Download Report View on its customer).
func (h *Exports) GetExport(ctx context.Context, m Meta, id string) (domain.Export, error) {
	x, err := h.Export(ctx, id)
	if err != nil {
		return domain.Export{}, err
	}
	if !x.Exists() {
		return domain.Export{}, exportNotFound(id)
	}
	if err := h.c.auth.Authorize(ctx, m, DownloadReport, func(ctx context.Context) ([]string, error) {
		return h.c.path(ctx, x.CustomerID)
	}); err != nil {
		return domain.Export{}, err
	}
	return x, nil
}

// RecordDownload re-checks the actor's reach over the export's customer, then appends
// export.downloaded (who and when are the envelope's actor and time).
func (h *Exports) RecordDownload(ctx context.Context, m Meta, id string) (domain.Export, error) {
	m.Now = now(m)
	x, err := h.GetExport(ctx, m, id)
	if err != nil {
		return domain.Export{}, err
	}
	evs, err := x.DecideDownload(m.Now)
	if err != nil {
		return domain.Export{}, err
	}
	b := newBatch(m)
	if err := b.export(x, evs[0], nil); err != nil {
		return domain.Export{}, err
	}
	if _, err := h.c.store.Append(ctx, b.msgs); err != nil {
		return domain.Export{}, err
	}
	return x, nil
}

// Start records that a worker took the export (attempt counts from 1).
func (h *Exports) Start(ctx context.Context, m Meta, x domain.Export, attempt int) error {
	m.Now = now(m)
	b := newBatch(m)
	if err := b.export(x, events.ExportStartedV1{Attempt: attempt}, eventstore.Seq(x.LastSeq)); err != nil {
		return err
	}
	_, err := h.c.store.Append(ctx, b.msgs)
	return err
}

// Finish records the outcome of an export — result, or failure with a reason a user can act on —
// and frees its slot, in one batch that expects the export unchanged, so a job finished twice
// (two workers, a redelivery) records one outcome.
func (h *Exports) Finish(ctx context.Context, m Meta, x domain.Export, outcome events.Payload) (uint64, error) {
	m.Now = now(m)
	slots, err := h.slots(ctx, x.CustomerID)
	if err != nil {
		return 0, err
	}
	b := newBatch(m)
	if err := b.export(x, outcome, eventstore.Seq(x.LastSeq)); err != nil {
		return 0, err
	}
	if err := b.exportSlots(x.CustomerID, slots, events.ExportSlotFreedV1{ExportID: x.ID}, nil); err != nil {
		return 0, err
	}
	return h.c.store.Append(ctx, b.msgs)
}

// Expire records that the export's file was removed.
func (h *Exports) Expire(ctx context.Context, m Meta, x domain.Export) error {
	m.Now = now(m)
	b := newBatch(m)
	if err := b.export(x, events.ExportExpiredV1{}, eventstore.Seq(x.LastSeq)); err != nil {
		return err
	}
	_, err := h.c.store.Append(ctx, b.msgs)
	return err
}

// DefaultExportRetention is how long an export file is kept.
const DefaultExportRetention = 7 * 24 * time.Hour

func exportNotFound(id string) error {
	return &domain.Error{Code: domain.NotFound, Message: "Export not found.", Details: map[string]any{"id": id}}
}

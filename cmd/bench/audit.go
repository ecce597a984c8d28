package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"time"
)

// targetAuditP99 bounds the Audit Log query (one-day window, one actor) at auditEvents rows.
const targetAuditP99 = 50 * time.Millisecond

// auditResult is what the audit benchmark measured.
type auditResult struct {
	// rows is the size of the audit table; loadTook how long writing it took.
	rows     int
	loadTook time.Duration
	// historyEvents is the size of the one customer's history; history the latencies of its pages
	// (100 events each), read front to back repeatedly.
	historyEvents int
	history       samples
	// log is the latency of GET /v1/audit with a one-day window and an actor filter.
	log samples
	// hits is the mean number of entries a log query returned.
	hits float64
}

// auditSpan is the time the synthetic audit log covers; auditActors and auditCustomers how many
// actors and customers its rows spread over.
const (
	auditSpan      = 90 * 24 * time.Hour
	auditActors    = 2000
	auditCustomers = 20000
)

// benchAudit writes an audit log of events rows (plus one customer with historyEvents of its own)
// straight into the audit table — the queries measured only read it, and a million events
// through the projector would take the run minutes more — then measures the customer's history
// page by page and Audit Log queries of one day and one actor, over HTTP.
func benchAudit(ctx context.Context, s *stack, events, historyEvents, requests int, progress func(string, ...any)) (auditResult, error) {
	res := auditResult{rows: events + historyEvents, historyEvents: historyEvents}
	progress("audit: writing %d audit rows", res.rows)
	end := time.Now().UTC().Truncate(time.Hour)
	start := end.Add(-auditSpan)
	const subject = "0193a1b2-0000-7000-8000-00000000c0de"
	t0 := time.Now()
	// Rows spread evenly over the span; actors and customers are deterministic functions of i, so
	// the queries below know which exist. A tenth of the customers sit under another one.
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO audit_v1 (seq, event_id, time, type, action_type, resource_type, resource_id, resource_name, customer_id,
		                      customer_name, customer_ancestors, actor_type, actor_id, actor_email, request_id, aggregate_version, action, change)
		SELECT 1000000000 + i, 'bench-' || i, $1::timestamptz + (i * $2::double precision / $3) * interval '1 second',
		       (ARRAY['customer.updated','domain.updated','domain.added','user.updated'])[1 + i % 4],
		       (ARRAY['Edit','Edit','Add','Edit'])[1 + i % 4], (ARRAY['customer','domain','domain','user'])[1 + i % 4],
		       md5('r' || (i % 200000))::uuid, 'resource ' || (i % 200000),
		       md5('c' || (i % $4))::uuid, 'Customer ' || (i % $4),
		       CASE WHEN i % $4 % 10 = 0 THEN ARRAY[md5('c' || ((i % $4) + 1) % $4)::uuid] ELSE '{}'::uuid[] END,
		       'user', md5('a' || (i % $5))::uuid, 'actor' || (i % $5) || '@example.com', 'req-' || i, 1 + i / $4,
		       'Edited something of resource ' || (i % 200000), '{"address":"x"}'::json
		FROM generate_series(0, $3 - 1) i`,
		start, auditSpan.Seconds(), events, auditCustomers, auditActors); err != nil {
		return res, fmt.Errorf("audit: write rows: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO audit_v1 (seq, event_id, time, type, action_type, resource_type, resource_id, resource_name, customer_id,
		                      customer_name, actor_type, actor_id, actor_email, request_id, aggregate_version, action, change)
		SELECT 2000000000 + i, 'bench-h-' || i, $1::timestamptz + i * interval '1 second', 'customer.updated', 'Edit', 'customer',
		       $2::uuid, 'History Ltd', $2::uuid, 'History Ltd', 'user', md5('a1')::uuid, 'actor1@example.com', 'req-h-' || i,
		       i + 1, 'Edited customer "History Ltd": address', json_build_object('address', 'street ' || i)
		FROM generate_series(0, $3 - 1) i`, start, subject, historyEvents); err != nil {
		return res, fmt.Errorf("audit: write history: %w", err)
	}
	if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE audit_v1"); err != nil {
		return res, err
	}
	res.loadTook = time.Since(t0)

	// The history, front to back in pages of 100, as an auditor's tool reads it.
	progress("audit: history of a customer with %d events", historyEvents)
	res.history = samples{}
	began := time.Now()
	for round := 0; len(res.history.lat) < max(requests, historyEvents/100) && time.Since(began) < listBudget; round++ {
		cursor := ""
		for {
			t := time.Now()
			b, err := s.api.get(ctx, "/v1/customers/"+subject+"/history?limit=100&cursor="+url.QueryEscape(cursor))
			if err != nil {
				return res, err
			}
			if round > 0 { // the first pass warms up
				res.history.lat = append(res.history.lat, time.Since(t))
			}
			var page struct {
				Next *string `json:"next_cursor"`
			}
			if err := json.Unmarshal(b, &page); err != nil {
				return res, err
			}
			if page.Next == nil {
				break
			}
			cursor = *page.Next
		}
	}
	res.history.elapsed = time.Since(began)

	// The Audit Log: a random day of the span, a random actor.
	progress("audit: %d Audit Log queries (one day, one actor)", requests)
	rng := rand.New(rand.NewPCG(1, 2))
	total := 0
	res.log = samples{}
	began = time.Now()
	for i := range requests + warmups {
		day := start.Add(time.Duration(rng.IntN(int(auditSpan/(24*time.Hour)))) * 24 * time.Hour)
		actor := fmt.Sprintf("actor%d@example.com", rng.IntN(auditActors))
		q := url.Values{"since": {day.Format(time.RFC3339)}, "until": {day.Add(24 * time.Hour).Format(time.RFC3339)},
			"actor": {actor}, "limit": {"50"}}
		t := time.Now()
		b, err := s.api.get(ctx, "/v1/audit?"+q.Encode())
		if err != nil {
			return res, err
		}
		if i < warmups {
			continue
		}
		res.log.lat = append(res.log.lat, time.Since(t))
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return res, err
		}
		total += len(page.Items)
	}
	res.log.elapsed = time.Since(began)
	res.hits = float64(total) / float64(max(len(res.log.lat), 1))
	return res, nil
}

// writeAudit prints the audit section.
func (r *report) writeAudit(w io.Writer) {
	a := r.audit
	if a.rows == 0 {
		return
	}
	fmt.Fprintf(w, "\nAudit: %d audit rows over %d days (%d actors, %d customers), written in %.1f s straight into audit_v1\n",
		a.rows, int(auditSpan/(24*time.Hour)), auditActors, auditCustomers, a.loadTook.Seconds())
	t := newTable("query", ">requests", ">rows", ">p50 ms", ">p99 ms", ">max ms")
	t.add(fmt.Sprintf("GET history, %d events, pages of 100", a.historyEvents), a.history.count(), 100,
		ms(a.history.pct(50)), ms(a.history.pct(99)), ms(a.history.max()))
	t.add("GET /v1/audit, one day, one actor", a.log.count(), fmt.Sprintf("%.1f", a.hits),
		ms(a.log.pct(50)), ms(a.log.pct(99)), ms(a.log.max()))
	t.write(w, "  ")
}

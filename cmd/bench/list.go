package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// listBudget bounds the measured requests of one listing query, so that a slow query cannot push
// the run past its time budget; the report shows how many requests were sent.
const listBudget = 40 * time.Second

// listQuery is one GET /v1/customers query of the listing benchmark.
type listQuery struct {
	name  string
	query url.Values
}

// listQueries are the measured queries: the first page; a substring that matches about a ninth of
// the loaded names ("Customer 4", "Customer 40…", …); one that matches a handful ("Customer
// 4242", "Customer 42420" … "Customer 42429" of 100 000), as a search for one customer does; and
// one no customer has.
var listQueries = []listQuery{
	{name: "limit=50", query: url.Values{"limit": {"50"}}},
	{name: "limit=50&q=ustomer 4 (many match)", query: url.Values{"limit": {"50"}, "q": {"ustomer 4"}}},
	{name: "limit=50&q=ustomer 4242 (few match)", query: url.Values{"limit": {"50"}, "q": {"ustomer 4242"}}},
	{name: "limit=50&q=zqxjv (none match)", query: url.Values{"limit": {"50"}, "q": {"zqxjv"}}},
}

// listResult is what one listing query measured.
type listResult struct {
	name string
	// rows is how many items the query returned.
	rows int
	lat  samples
}

// benchList sends each listing query up to requests times in a row, after uncounted warm-ups, for
// at most listBudget, and measures the latency up to the last byte of each response.
func benchList(ctx context.Context, s *stack, requests int, progress func(string, ...any)) ([]listResult, error) {
	var out []listResult
	for _, q := range listQueries {
		progress("GET /v1/customers?%s, %d requests", q.name, requests)
		path := "/v1/customers?" + q.query.Encode()
		var body []byte
		for range warmups {
			if _, err := s.api.get(ctx, path); err != nil {
				return nil, err
			}
		}
		lat := samples{lat: make([]time.Duration, 0, requests)}
		start := time.Now()
		for range requests {
			if time.Since(start) > listBudget {
				break
			}
			t0 := time.Now()
			b, err := s.api.get(ctx, path)
			if err != nil {
				return nil, err
			}
			lat.lat = append(lat.lat, time.Since(t0))
			body = b
		}
		lat.elapsed = time.Since(start)
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		out = append(out, listResult{name: q.name, rows: len(page.Items), lat: lat})
	}
	return out, nil
}

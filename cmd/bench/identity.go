package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// identityResult is what the identity benchmarks measured: logins, and a mixed load of
// authenticated reads and writes.
type identityResult struct {
	login samples
	// reads and writes are the latencies of the mixed load's two kinds of request; mixed is its
	// overall wall time and count.
	reads, writes samples
	mixed         samples
}

// loginRequests is how many logins the login benchmark measures.
const loginRequests = 30

// benchIdentity measures logins (argon2id verification included) and then, with 16 logged-in
// clients, a mixed load of 4 reads (GET /v1/customers?limit=50 and GET one customer) to 1 write
// (PATCH), as a console's users make.
func benchIdentity(ctx context.Context, s *stack, opts options, ids []string, progress func(string, ...any)) (identityResult, error) {
	var res identityResult
	progress("login: %d sequential logins", loginRequests)
	login := func(ctx context.Context, _, _ int) error {
		c := newAPIClient(s.api.base)
		defer c.close()
		return c.login(ctx, benchOperator, benchPassword)
	}
	var err error
	if res.login, err = runWorkers(ctx, 1, loginRequests, login); err != nil {
		return res, err
	}
	perClient := max(opts.writes*5/opts.concurrency, 10)
	progress("mixed load: %d clients × %d requests, 4 reads : 1 write", opts.concurrency, perClient)
	lat := make([][2][]time.Duration, opts.concurrency)
	op := func(ctx context.Context, w, i int) error {
		t0 := time.Now()
		var err error
		kind := 0
		switch i % 5 {
		case 0:
			_, err = s.api.patchAddress(ctx, ids[w%len(ids)], nextAddress())
			kind = 1
		case 1, 3:
			_, err = s.api.get(ctx, "/v1/customers?limit=50")
		default:
			_, err = s.api.get(ctx, "/v1/customers/"+ids[w%len(ids)])
		}
		lat[w][kind] = append(lat[w][kind], time.Since(t0))
		return err
	}
	if res.mixed, err = runWorkers(ctx, opts.concurrency, perClient, op); err != nil {
		return res, err
	}
	for _, l := range lat {
		res.reads.lat = append(res.reads.lat, l[0]...)
		res.writes.lat = append(res.writes.lat, l[1]...)
	}
	return res, nil
}

// writeIdentity prints the identity benchmarks.
func (r *report) writeIdentity(w io.Writer) {
	if r.identity.login.count() == 0 {
		return
	}
	id := r.identity
	fmt.Fprintln(w, "\nIdentity: logins, and a mixed authenticated load (16 clients, 4 reads : 1 write), fsync always")
	t := newTable("measure", ">requests", ">per s", ">p50 ms", ">p99 ms")
	t.add("POST /v1/auth/login (argon2id m=19 MiB t=2)", id.login.count(), fmt.Sprintf("%.0f", id.login.rate()), ms(id.login.pct(50)), ms(id.login.pct(99)))
	t.add("mixed load, all requests", id.mixed.count(), fmt.Sprintf("%.0f", id.mixed.rate()), ms(id.mixed.pct(50)), ms(id.mixed.pct(99)))
	t.add("  reads (list of 50, one customer)", id.reads.count(), "", ms(id.reads.pct(50)), ms(id.reads.pct(99)))
	t.add("  writes (PATCH)", id.writes.count(), "", ms(id.writes.pct(50)), ms(id.writes.pct(99)))
	t.write(w, "  ")
}

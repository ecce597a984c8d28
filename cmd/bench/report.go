package main

import (
	"fmt"
	"io"
	"time"
)

// Targets the report checks.
const (
	targetRatio   = 0.70
	targetLagP99  = 50 * time.Millisecond
	targetListP99 = 20 * time.Millisecond
	// targetExportRate is the end-to-end export rate at the largest size; targetExportRSS bounds the
	// exporter's peak RSS at every size, and targetRSSSpread its spread between sizes.
	targetExportRate = 200_000
	targetExportRSS  = 64 << 20
	targetRSSSpread  = 0.20
)

// report collects the results of a run and prints them.
type report struct {
	opts     options
	started  time.Time
	took     time.Duration
	machine  machine
	rounds   []round
	load     loadResult
	list     []listResult
	identity identityResult
	exports  []exportResult
	audit    auditResult
	rebuild  rebuildResult
}

// write prints the whole report.
func (r *report) write(w io.Writer) error {
	kind := "full run"
	if r.opts.quick {
		kind = "quick run (-quick)"
	}
	fmt.Fprintf(w, "Customer Management benchmark: %s, %s, took %s\n", kind, r.started.UTC().Format(time.RFC3339), r.took.Round(time.Second))
	fmt.Fprintf(w, "  -customers %d -writes %d -concurrency %d -lag-rate %d -lag-duration %s -list-requests %d\n\n",
		r.opts.customers, r.opts.writes, r.opts.concurrency, r.opts.lagRate, r.opts.lagDuration, r.opts.listRequests)

	fmt.Fprintln(w, "Machine")
	m := newTable("fact", "value")
	m.add("nproc", r.machine.cpus)
	m.add("GOMAXPROCS", r.machine.gomaxprocs)
	m.add("CPU", r.machine.cpuModel)
	m.add("Go", r.machine.goVersion)
	m.add("nats-server", r.machine.natsVersion+" (embedded in this process, R1 file store in a temp dir)")
	m.add("Postgres", r.machine.postgres)
	m.write(w, "  ")

	r.writeWrites(w)
	r.writeLag(w)
	r.writeIdentity(w)
	r.writeList(w)
	r.writeExports(w)
	r.writeAudit(w)
	r.writeRebuild(w)
	r.writeTargets(w)
	return nil
}

// writeWrites prints the HTTP and raw write throughput.
func (r *report) writeWrites(w io.Writer) {
	fmt.Fprintln(w, "\nWrites: PATCH /v1/customers/{id} over HTTP vs the same JetStream publish done raw")
	t := newTable("fsync", ">clients", "path", ">writes", ">writes/s", ">p50 ms", ">p99 ms", ">HTTP/raw")
	for _, rd := range r.rounds {
		for _, pair := range []struct {
			clients   int
			http, raw samples
		}{{1, rd.httpSeq, rd.rawSeq}, {r.opts.concurrency, rd.httpConc, rd.rawConc}} {
			t.add(fsyncName(rd.syncAlways), pair.clients, "HTTP", pair.http.count(), perSec(pair.http.rate()),
				ms(pair.http.pct(50)), ms(pair.http.pct(99)), percent(ratio(pair.http, pair.raw)))
			t.add(fsyncName(rd.syncAlways), pair.clients, "raw", pair.raw.count(), perSec(pair.raw.rate()),
				ms(pair.raw.pct(50)), ms(pair.raw.pct(99)), "")
		}
	}
	t.write(w, "  ")
	for _, rd := range r.rounds {
		fmt.Fprintf(w, "  event size, fsync %s: HTTP %d B, raw %d B\n", fsyncName(rd.syncAlways), rd.httpEventBytes, rd.rawEventBytes)
	}
	fmt.Fprintln(w, "  fsync always: SyncAlways=true (fsync before every ack); 2m: the server default (fsync every 2 minutes).")
}

// writeLag prints the read-your-writes lag.
func (r *report) writeLag(w io.Writer) {
	fmt.Fprintln(w, "\nRead-your-writes: paced PATCHes; lag = response received -> waiter reached its X-Consistency-Token")
	t := newTable("fsync", ">writes", ">target/s", ">sent/s", ">PATCH p50 ms", ">PATCH p99 ms", ">lag p50 ms", ">lag p99 ms", ">lag max ms")
	for _, rd := range r.rounds {
		l := rd.lag
		t.add(fsyncName(rd.syncAlways), l.lag.count(), l.rate, perSec(l.lag.rate()), ms(l.patch.pct(50)), ms(l.patch.pct(99)),
			ms(l.lag.pct(50)), ms(l.lag.pct(99)), ms(l.lag.max()))
	}
	t.write(w, "  ")
	for _, rd := range r.rounds {
		fmt.Fprintf(w, "  fsync %s: the projection first applied the %d events the write benchmark left it, in %s\n",
			fsyncName(rd.syncAlways), rd.lag.backlog, rd.lag.drained.Round(time.Millisecond))
	}
}

// writeList prints the loading and the listing latency.
func (r *report) writeList(w io.Writer) {
	l := r.load
	fmt.Fprintf(w, "\nCustomer list: %d customers (%d roots, %d children), fsync %s\n", l.customers, l.roots, l.children, fsyncName(r.rounds[len(r.rounds)-1].syncAlways))
	fmt.Fprintf(w, "  load: %d events appended in %s (%s events/s, %d concurrent Store.Append)\n",
		l.events, seconds(l.appended), perSec(rate(l.events, l.appended)), loadWorkers)
	fmt.Fprintf(w, "  projection caught up %s after the first append (%s events/s), %s after the last; then ANALYZE\n",
		seconds(l.projected), perSec(rate(l.events, l.projected)), seconds(l.projected-l.appended))
	t := newTable("GET /v1/customers?", ">requests", ">rows", ">p50 ms", ">p99 ms", ">max ms")
	for _, q := range r.list {
		t.add(q.name, q.lat.count(), q.rows, ms(q.lat.pct(50)), ms(q.lat.pct(99)), ms(q.lat.max()))
	}
	t.write(w, "  ")
}

// writeTargets prints each target with its measured figure and PASS or MISS.
func (r *report) writeTargets(w io.Writer) {
	fmt.Fprintln(w, "\nTargets")
	t := newTable("target", ">measured", "result")
	for _, rd := range r.rounds {
		f := fsyncName(rd.syncAlways)
		for _, c := range []struct {
			clients   int
			http, raw samples
		}{{1, rd.httpSeq, rd.rawSeq}, {r.opts.concurrency, rd.httpConc, rd.rawConc}} {
			got := ratio(c.http, c.raw)
			t.add(fmt.Sprintf("HTTP >= 70%% of raw, %d client(s), fsync %s", c.clients, f), percent(got), verdict(got >= targetRatio))
		}
	}
	for _, rd := range r.rounds {
		p99 := rd.lag.lag.pct(99)
		t.add(fmt.Sprintf("read-your-writes lag p99 < 50 ms, fsync %s", fsyncName(rd.syncAlways)), ms(p99)+" ms", verdict(p99 < targetLagP99))
	}
	for _, q := range r.list {
		p99 := q.lat.pct(99)
		t.add(fmt.Sprintf("GET list p99 < 20 ms, %s", q.name), ms(p99)+" ms", verdict(p99 < targetListP99))
	}
	if n := len(r.exports); n > 0 {
		big := r.exports[n-1]
		rate := float64(big.rows) / big.took.Seconds()
		t.add(fmt.Sprintf("export rows/s >= 200 000, %d domains", big.domains), fmt.Sprintf("%.0f", rate), verdict(rate >= targetExportRate))
		lo, hi := r.exports[0].peakRSS, r.exports[0].peakRSS
		for _, e := range r.exports {
			t.add(fmt.Sprintf("exporter peak RSS < 64 MiB, %d domains", e.domains), fmt.Sprintf("%.1f MiB", float64(e.peakRSS)/(1<<20)), verdict(e.peakRSS > 0 && e.peakRSS < targetExportRSS))
			lo, hi = min(lo, e.peakRSS), max(hi, e.peakRSS)
		}
		spread := 0.0
		if lo > 0 {
			spread = float64(hi-lo) / float64(lo)
		}
		t.add("exporter peak RSS the same (±20 %) at all sizes", percent(spread), verdict(lo > 0 && spread <= targetRSSSpread))
	}
	if a := r.audit; a.rows > 0 {
		p99 := a.log.pct(99)
		t.add(fmt.Sprintf("audit query p99 < 50 ms, %d events, one day, one actor", a.rows), ms(p99)+" ms", verdict(p99 < targetAuditP99))
	}
	if rb := r.rebuild; rb.events > 0 {
		got := float64(rb.events) / rb.took.Seconds()
		t.add(fmt.Sprintf("rebuild events/s >= %.0f (50 000 or half the raw upsert rate), %d events", rb.target(), rb.events),
			fmt.Sprintf("%.0f", got), verdict(got >= rb.target()))
	}
	t.write(w, "  ")
}

// ratio returns HTTP throughput over raw throughput.
func ratio(http, raw samples) float64 {
	if raw.rate() == 0 {
		return 0
	}
	return http.rate() / raw.rate()
}

// rate returns n per second over d.
func rate(n uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// verdict names the outcome of a target.
func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// ms formats a duration in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// seconds formats a duration in seconds with one decimal.
func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// perSec formats a rate as a whole number.
func perSec(r float64) string { return fmt.Sprintf("%.0f", r) }

// percent formats a ratio as a percentage.
func percent(r float64) string { return fmt.Sprintf("%.0f %%", 100*r) }

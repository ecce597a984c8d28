package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// defaultAdminURL is the administrative Postgres connection used when BENCH_DATABASE_URL is not
// set. The benchmark creates its own database on that server and drops it at the end.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// options are the benchmark's settings.
type options struct {
	// quick selects the smaller counts of a smoke run.
	quick bool
	// customers is how many customers the listing benchmark loads.
	customers int
	// writes is how many PATCHes (and raw publishes) each write mode measures.
	writes int
	// concurrency is the number of concurrent clients of the concurrent modes.
	concurrency int
	// lagRate and lagDuration pace the read-your-writes benchmark.
	lagRate     int
	lagDuration time.Duration
	// listRequests is how many GETs each listing query measures.
	listRequests int
	// timeout bounds the whole run.
	timeout time.Duration
	// adminURL is the administrative Postgres connection.
	adminURL string
	// cpuProfile, when set, is a file the whole run's CPU profile is written to.
	cpuProfile string
	// exportSizes are the numbers of domains of the export benchmark.
	exportSizes []int
	// auditEvents is the size of the audit log the Audit Log queries run on; historyEvents the
	// size of one customer's history.
	auditEvents, historyEvents int
	// skipRebuild leaves out the rebuild benchmark (a quick look at the other figures).
	skipRebuild bool
	// noCheckpoint leaves out the CHECKPOINT before each export (to measure its effect).
	noCheckpoint bool
}

// fullOptions and quickOptions are the defaults of a full run and of a -quick run.
var (
	fullOptions = options{
		customers: 100_000, writes: 2000, concurrency: 16,
		lagRate: 200, lagDuration: 10 * time.Second, listRequests: 500, timeout: 90 * time.Minute,
		exportSizes: []int{10_000, 100_000, 1_000_000}, auditEvents: 1_000_000, historyEvents: 10_000,
	}
	quickOptions = options{
		quick: true, customers: 5000, writes: 300, concurrency: 16,
		lagRate: 200, lagDuration: 2 * time.Second, listRequests: 100, timeout: 5 * time.Minute,
		exportSizes: []int{1_000, 10_000}, auditEvents: 50_000, historyEvents: 2_000,
	}
)

// parseOptions reads the flags; a flag given explicitly wins over the -quick defaults.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.quick, "quick", false, "smoke run with small counts")
	fs.IntVar(&o.customers, "customers", fullOptions.customers, "customers loaded for the listing benchmark")
	fs.IntVar(&o.writes, "writes", fullOptions.writes, "PATCHes (and raw publishes) per write mode")
	fs.IntVar(&o.concurrency, "concurrency", fullOptions.concurrency, "clients of the concurrent write modes")
	fs.IntVar(&o.lagRate, "lag-rate", fullOptions.lagRate, "writes per second of the read-your-writes benchmark")
	fs.DurationVar(&o.lagDuration, "lag-duration", fullOptions.lagDuration, "duration of the read-your-writes benchmark")
	fs.IntVar(&o.listRequests, "list-requests", fullOptions.listRequests, "GET requests per listing query")
	fs.DurationVar(&o.timeout, "timeout", fullOptions.timeout, "bound on the whole run")
	fs.IntVar(&o.auditEvents, "audit-events", fullOptions.auditEvents, "audit rows the Audit Log queries run on")
	fs.IntVar(&o.historyEvents, "history-events", fullOptions.historyEvents, "events of the one customer whose history is read")
	sizes := fs.String("export-sizes", "", "comma-separated domain counts of the export benchmark (default 10000,100000,1000000; -quick 1000,10000)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	fs.BoolVar(&o.skipRebuild, "skip-rebuild", false, "leave out the rebuild benchmark")
	fs.BoolVar(&o.noCheckpoint, "no-checkpoint", false, "do not CHECKPOINT before each export (to see what it changes)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	o.exportSizes = fullOptions.exportSizes
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		q := quickOptions
		pick := func(name string, dst *int, quick int) {
			if !set[name] {
				*dst = quick
			}
		}
		pick("customers", &o.customers, q.customers)
		pick("writes", &o.writes, q.writes)
		pick("concurrency", &o.concurrency, q.concurrency)
		pick("lag-rate", &o.lagRate, q.lagRate)
		pick("list-requests", &o.listRequests, q.listRequests)
		pick("audit-events", &o.auditEvents, q.auditEvents)
		pick("history-events", &o.historyEvents, q.historyEvents)
		if !set["lag-duration"] {
			o.lagDuration = q.lagDuration
		}
		if !set["timeout"] {
			o.timeout = q.timeout
		}
		o.exportSizes = q.exportSizes
	}
	if *sizes != "" {
		o.exportSizes = nil
		for _, f := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return options{}, fmt.Errorf("-export-sizes: %q is not a positive count", f)
			}
			o.exportSizes = append(o.exportSizes, n)
		}
	}
	o.adminURL = getenv("BENCH_DATABASE_URL")
	if o.adminURL == "" {
		o.adminURL = defaultAdminURL
	}
	return o, o.validate()
}

// validate reports every setting out of range at once.
func (o options) validate() error {
	var errs []error
	if o.customers < 10 {
		errs = append(errs, errors.New("-customers must be at least 10"))
	}
	if o.writes < 1 {
		errs = append(errs, errors.New("-writes must be at least 1"))
	}
	if o.concurrency < 1 {
		errs = append(errs, errors.New("-concurrency must be at least 1"))
	}
	if o.lagRate < 1 || o.lagRate > 10_000 {
		errs = append(errs, errors.New("-lag-rate must be from 1 to 10000"))
	}
	if o.lagDuration <= 0 {
		errs = append(errs, errors.New("-lag-duration must be positive"))
	}
	if o.listRequests < 1 {
		errs = append(errs, errors.New("-list-requests must be at least 1"))
	}
	if o.timeout <= 0 {
		errs = append(errs, errors.New("-timeout must be positive"))
	}
	return errors.Join(errs...)
}

package worker_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	csvexport "github.com/toffstech/customer-management/internal/export/csv"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/export/worker"
	"github.com/toffstech/customer-management/internal/keyring"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/testenv"
)

var meta = command.Meta{Actor: events.Actor{Type: events.ActorAnonymous}, RequestID: "test"}

type env struct {
	store     *eventstore.Store
	customers *command.Customers
	domains   *command.Domains
	exports   *command.Exports
	objects   *storage.NATSObjectStore
	pool      *pgxpool.Pool
	waiter    *projection.Waiter
}

func quiet() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// setup starts NATS with the event stream, a migrated database with a running projector and
// its waiter, the command handlers and the NATS object store.
func setup(t *testing.T) env {
	t.Helper()
	ctx := t.Context()
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := projection.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Ensure(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	p, err := projection.NewProjector(projection.Config{Pool: pool, NATS: nc, Keys: keys, Logger: quiet(), LagInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("projector: %v", err)
		}
	})
	w, err := projection.NewWaiter(ctx, pool, projection.CustomersProjection)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	objects, err := storage.NewNATSObjectStore(ctx, js, storage.NATSConfig{})
	if err != nil {
		t.Fatal(err)
	}
	st := eventstore.New(js, nil)
	c := command.NewCustomers(st, nil)
	return env{store: st, customers: c, domains: command.NewDomains(c), exports: command.NewExports(c), objects: objects, pool: pool, waiter: w}
}

func (e env) processor(t *testing.T, store storage.Store, mutate ...func(*worker.Config)) *worker.Processor {
	t.Helper()
	cfg := worker.Config{Exports: e.exports, Pool: e.pool, Waiter: e.waiter, Store: store,
		Backoff: func(int) time.Duration { return time.Millisecond }, Logger: quiet()}
	for _, m := range mutate {
		m(&cfg)
	}
	p, err := worker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e env) customer(t *testing.T, name string) string {
	t.Helper()
	res, err := e.customers.CreateCustomer(t.Context(), meta, domain.CreateCustomer{Name: name})
	if err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	return res.Customer.ID
}

func (e env) addDomain(t *testing.T, customerID, host string, mutate func(*events.DomainSettings)) {
	t.Helper()
	s := domain.DefaultDomainSettings()
	s.Host = host
	s.Origins = []events.Origin{{Type: "IPv4", Address: "203.0.113.10", Port: 443, Enabled: true}}
	if mutate != nil {
		mutate(&s)
	}
	if _, err := e.domains.AddDomain(t.Context(), meta, customerID, s); err != nil {
		t.Fatalf("add %s: %v", host, err)
	}
}

func (e env) request(t *testing.T, customerID string) command.ExportResult {
	t.Helper()
	res, err := e.exports.RequestExport(t.Context(), meta, customerID)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// eventTypes lists the types of the export's events.
func (e env) eventTypes(t *testing.T, id string) []string {
	t.Helper()
	stored, err := e.store.Load(t.Context(), events.ExportSubject(id), 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, s := range stored {
		types = append(types, s.Envelope.Type)
	}
	return types
}

func count(types []string, typ string) int {
	n := 0
	for _, s := range types {
		if s == typ {
			n++
		}
	}
	return n
}

// readObject returns the stored file and its info.
func (e env) readObject(t *testing.T, key string) ([]byte, storage.Info) {
	t.Helper()
	rc, info, err := e.objects.Open(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b, info
}

// parse checks the BOM and the header and returns the data rows.
func parse(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatalf("no byte order mark: %q", b[:min(len(b), 16)])
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatalf("parse CSV: %v\n%s", err, b)
	}
	if len(recs) == 0 || strings.Join(recs[0], "|") != strings.Join(csvexport.Header(), "|") {
		t.Fatalf("header: %q", recs)
	}
	return recs[1:]
}

func TestProcessExportsTheDomains(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	cust := e.customer(t, "=Evil, Corp")
	e.addDomain(t, cust, "www.example.com", nil)
	e.addDomain(t, cust, "api.example.com", func(s *events.DomainSettings) {
		s.SSL.ExpiresAt = "2031-02-03"
		s.Cache.Extensions = []string{"css", "js"}
	})
	e.addDomain(t, cust, "b.example.org", nil)
	other := e.customer(t, "Other")
	e.addDomain(t, other, "other.example.com", nil)
	req := e.request(t, cust)

	fixed := time.Date(2030, 5, 6, 23, 30, 0, 0, time.UTC)
	p := e.processor(t, e.objects, func(c *worker.Config) { c.Now = func() time.Time { return fixed } })
	if err := p.Process(ctx, req.Export.ID, req.Seq); err != nil {
		t.Fatal(err)
	}
	x, err := e.exports.Export(ctx, req.Export.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st := x.Status(fixed); st != domain.ExportSucceeded {
		t.Fatalf("status %s, reason %q", st, x.Reason)
	}
	r := x.Result
	if r.ObjectKey != "exports/"+x.ID+"/1.csv" || r.Filename != "evil-corp-domains-20300506.csv" || r.Rows != 3 {
		t.Fatalf("result: %+v", r)
	}
	if r.ExpiresAt != fixed.Add(command.DefaultExportRetention).Format(time.RFC3339) {
		t.Errorf("expires_at %s", r.ExpiresAt)
	}
	b, info := e.readObject(t, r.ObjectKey)
	sum := sha256.Sum256(b)
	if info.Size != r.Bytes || int64(len(b)) != r.Bytes || info.SHA256 != r.SHA256 || hex.EncodeToString(sum[:]) != r.SHA256 {
		t.Fatalf("info %+v, %d bytes read, result %+v", info, len(b), r)
	}
	rows := parse(t, b)
	var hosts []string
	for _, row := range rows {
		hosts = append(hosts, row[0])
		if row[4] != "'=Evil, Corp" {
			t.Errorf("customer name cell %q", row[4])
		}
	}
	if got := strings.Join(hosts, " "); got != "api.example.com b.example.org www.example.com" {
		t.Fatalf("hosts: %s", got)
	}
	if rows[0][9] != "2031-02-03" || rows[1][9] != "N/A" {
		t.Errorf("SSL expiry cells %q %q", rows[0][9], rows[1][9])
	}
	if !bytes.Contains(b, []byte("\r\n")) {
		t.Error("no CRLF")
	}

	// Done once: a redelivery records nothing more.
	if err := p.Process(ctx, req.Export.ID, req.Seq); err != nil {
		t.Fatal(err)
	}
	types := e.eventTypes(t, x.ID)
	if count(types, events.ExportSucceeded) != 1 || count(types, events.ExportStarted) != 1 {
		t.Fatalf("events: %v", types)
	}
}

// TestProcessRowsWithoutCSVCells checks that rows whose CSV cells the projector did not render
// (projected before it did so) are exported from their settings, into the very same file.
func TestProcessRowsWithoutCSVCells(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	cust := e.customer(t, "@Acmé \"Quoted\", Ltd")
	e.addDomain(t, cust, "www.example.com", nil)
	e.addDomain(t, cust, "api.example.com", func(s *events.DomainSettings) {
		s.SSL.ExpiresAt = "2031-02-03"
		s.Cache = events.CacheSettings{Enabled: true, TTLMinutes: 30, Extensions: []string{"css", "js"}, ForceParams: []string{"v"}}
		s.Origins = append(s.Origins, events.Origin{Type: "FQDN", Address: "origin.example.net", Port: 8443, Backup: true})
		s.Redirection.RedirectURL = events.RedirectURL{Enabled: true, Scheme: "HTTPS", URL: "https://example.com/a?b=1,2"}
		s.WAF = events.WAFSettings{Enabled: true, Mode: "Block", OWASP: map[string]bool{"A01": true, "A03": true}}
	})
	e.addDomain(t, cust, "b.example.org", nil)
	p := e.processor(t, e.objects)
	export := func() []byte {
		req := e.request(t, cust)
		if err := p.Process(ctx, req.Export.ID, req.Seq); err != nil {
			t.Fatal(err)
		}
		x, err := e.exports.Export(ctx, req.Export.ID)
		if err != nil || x.Result.Rows != 3 {
			t.Fatalf("export %+v, %v", x, err)
		}
		b, _ := e.readObject(t, x.Result.ObjectKey)
		return b
	}
	rendered := export()
	tag, err := e.pool.Exec(ctx, "UPDATE domains_v1 SET csv_cells = NULL WHERE customer_id = $1 AND host <> 'b.example.org'", cust)
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("clear the cells: %v, %v", tag, err)
	}
	if decoded := export(); !bytes.Equal(decoded, rendered) {
		t.Fatalf("from the settings:\n%q\nfrom the cells:\n%q", decoded, rendered)
	}
	if !bytes.Contains(rendered, []byte(`"'@Acmé ""Quoted"", Ltd"`)) || !bytes.Contains(rendered, []byte("origin.example.net (backup, disabled)")) {
		t.Fatalf("file:\n%s", rendered)
	}
}

func TestProcessCustomerWithoutDomains(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	cust := e.customer(t, "Ünïcode Only")
	req := e.request(t, cust)
	if err := e.processor(t, e.objects).Process(ctx, req.Export.ID, req.Seq); err != nil {
		t.Fatal(err)
	}
	x, _ := e.exports.Export(ctx, req.Export.ID)
	if x.Status(time.Now()) != domain.ExportSucceeded || x.Result.Rows != 0 {
		t.Fatalf("export: %+v", x)
	}
	if !strings.HasPrefix(x.Result.Filename, "n-code-only-domains-") {
		t.Errorf("filename %s", x.Result.Filename)
	}
	b, _ := e.readObject(t, x.Result.ObjectKey)
	if rows := parse(t, b); len(rows) != 0 {
		t.Fatalf("rows: %q", rows)
	}
}

// failingStore refuses every Put without reading.
type failingStore struct {
	storage.Store
	puts atomic.Int32
}

func (f *failingStore) Put(context.Context, string, io.Reader, storage.Meta) (storage.Info, error) {
	f.puts.Add(1)
	return storage.Info{}, errors.New("connection refused")
}

func TestProcessFailsAfterMaxAttempts(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	cust := e.customer(t, "Acme")
	e.addDomain(t, cust, "acme.example.com", nil)
	var reqs []command.ExportResult
	for range domain.MaxRunningExportsPerCustomer {
		reqs = append(reqs, e.request(t, cust))
	}
	if _, err := e.exports.RequestExport(ctx, meta, cust); domain.ErrorCode(err) != domain.TooMany {
		t.Fatalf("request beyond the slots: %v", err)
	}
	fs := &failingStore{Store: e.objects}
	p := e.processor(t, fs, func(c *worker.Config) { c.MaxAttempts = 3 })
	req := reqs[0]
	if err := p.Process(ctx, req.Export.ID, req.Seq); err != nil {
		t.Fatal(err)
	}
	if fs.puts.Load() != 3 {
		t.Errorf("%d puts, want 3", fs.puts.Load())
	}
	x, _ := e.exports.Export(ctx, req.Export.ID)
	if x.Status(time.Now()) != domain.ExportFailed || x.Reason != worker.ReasonStorage || x.ReasonCode != events.ExportFailureStorage || x.Attempts != 3 {
		t.Fatalf("export: status %s reason %q attempts %d", x.Status(time.Now()), x.Reason, x.Attempts)
	}
	if _, _, err := e.objects.Open(ctx, worker.ObjectKey(x.ID, x.Attempts)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("open the failed export's file: %v", err)
	}
	types := e.eventTypes(t, x.ID)
	if count(types, events.ExportStarted) != 3 || count(types, events.ExportFailed) != 1 {
		t.Errorf("events: %v", types)
	}
	// The slot is free again.
	if _, err := e.exports.RequestExport(ctx, meta, cust); err != nil {
		t.Fatalf("request after a failed export: %v", err)
	}
	// A redelivery of the failed job does nothing.
	if err := p.Process(ctx, req.Export.ID, req.Seq); err != nil || fs.puts.Load() != 3 {
		t.Fatalf("redelivery: %v, %d puts", err, fs.puts.Load())
	}
}

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Acme", "acme"},
		{"=Evil, Corp", "evil-corp"},
		{"  Foo -- Bar  ", "foo-bar"},
		{"Café Müller 42", "caf-m-ller-42"},
		{"", "customer"},
		{"!!!", "customer"},
		{"日本", "customer"},
		{strings.Repeat("a", 70), strings.Repeat("a", 60)},
		{strings.Repeat("a", 59) + " b", strings.Repeat("a", 59)},
	} {
		if got := worker.Slug(tc.in); got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFilename(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"Acme Inc.", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), "acme-inc-domains-20250102.csv"},
		{"", time.Date(2025, 12, 31, 0, 30, 0, 0, paris), "customer-domains-20251230.csv"},
	} {
		if got := worker.Filename(tc.name, tc.at); got != tc.want {
			t.Errorf("Filename(%q, %s) = %q, want %q", tc.name, tc.at, got, tc.want)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	if _, err := worker.New(worker.Config{}); err == nil {
		t.Fatal("New accepted an empty config")
	}
	if d := worker.DefaultBackoff(1); d != time.Second {
		t.Errorf("backoff 1 = %s", d)
	}
	if d := worker.DefaultBackoff(3); d != 4*time.Second {
		t.Errorf("backoff 3 = %s", d)
	}
	if d := worker.DefaultBackoff(10); d != 30*time.Second {
		t.Errorf("backoff 10 = %s", d)
	}
}

package projection

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/keyring"
	"github.com/toffstech/customer-management/internal/projection/projectiontest"
	"github.com/toffstech/customer-management/internal/testenv"
)

// harness is a real NATS server with the event stream and a fresh, migrated database.
type harness struct {
	t     testing.TB
	ctx   context.Context
	nc    *nats.Conn
	js    jetstream.JetStream
	store *eventstore.Store
	pool  *pgxpool.Pool
	w     *projectiontest.Writer
	keys  *keyring.Keyring
}

func newHarness(t testing.TB) *harness {
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
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	store := eventstore.New(js, nil)
	keys, err := keyring.Ensure(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	w := projectiontest.NewWriter(store)
	w.Keys = keys // user events carry their personal fields sealed, as the commands write them
	return &harness{t: t, ctx: ctx, nc: nc, js: js, store: store, pool: pool, w: w, keys: keys}
}

// running is a Projector running in the background.
type running struct {
	p    *Projector
	reg  *prometheus.Registry
	stop func()
}

// start runs a Projector until stop is called or the test ends.
func (h *harness) start(mutate ...func(*Config)) *running {
	h.t.Helper()
	reg := prometheus.NewRegistry()
	cfg := Config{Pool: h.pool, NATS: h.nc, Keys: h.keys, Registerer: reg, Logger: quietLogger(), LagInterval: 20 * time.Millisecond}
	for _, m := range mutate {
		m(&cfg)
	}
	p, err := NewProjector(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(h.ctx))
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
	}
	h.t.Cleanup(stop)
	return &running{p: p, reg: reg, stop: stop}
}

// quietLogger drops the projector's logs below ERROR; errors go to stderr, where a failing
// test shows them.
func quietLogger() *slog.Logger {
	level := slog.LevelError
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	if os.Getenv("CM_TEST_DEBUG_LOG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// lastSeq is the stream's last sequence.
func (h *harness) lastSeq() uint64 {
	h.t.Helper()
	s, err := h.js.Stream(h.ctx, events.StreamName)
	if err != nil {
		h.t.Fatal(err)
	}
	return s.CachedInfo().State.LastSeq
}

// checkpoint reads the customers checkpoint from the database.
func (h *harness) checkpoint() uint64 {
	h.t.Helper()
	cp, err := ReadCheckpoint(h.ctx, h.pool, CustomersProjection)
	if err != nil {
		h.t.Fatal(err)
	}
	return cp
}

// caughtUp waits until the checkpoint reaches the stream's last sequence.
func (h *harness) caughtUp() {
	h.t.Helper()
	last := h.lastSeq()
	testenv.WaitFor(h.t, 15*time.Second, func() bool { return h.checkpoint() >= last },
		"checkpoint reaches %d", last)
}

// matchesLog asserts that the customers view equals the fold of the log.
func (h *harness) matchesLog(ids []string) {
	h.t.Helper()
	want, err := projectiontest.Expected(h.ctx, h.store, ids)
	if err != nil {
		h.t.Fatal(err)
	}
	got, err := projectiontest.Actual(h.ctx, h.pool)
	if err != nil {
		h.t.Fatal(err)
	}
	if d := projectiontest.Diff(want, got); d != "" {
		h.t.Fatalf("customers view differs from the log (%d rows want, %d got):\n%s", len(want), len(got), d)
	}
}

// usersMatchLog asserts that the users view equals the fold of the log: every user's events folded
// with domain.User.Apply, its customer's name and ancestors from the fold of the customers.
func (h *harness) usersMatchLog() {
	h.t.Helper()
	customers, err := projectiontest.Expected(h.ctx, h.store, h.allCustomers())
	if err != nil {
		h.t.Fatal(err)
	}
	ids, err := projectiontest.UserIDs(h.ctx, h.js)
	if err != nil {
		h.t.Fatal(err)
	}
	want, err := projectiontest.ExpectedUsers(h.ctx, h.store, h.keys, ids, customers)
	if err != nil {
		h.t.Fatal(err)
	}
	got, err := projectiontest.ActualUsers(h.ctx, h.pool)
	if err != nil {
		h.t.Fatal(err)
	}
	if d := projectiontest.DiffUsers(want, got); d != "" {
		h.t.Fatalf("users view differs from the log (%d rows want, %d got):\n%s", len(want), len(got), d)
	}
}

// allCustomers lists every customer subject of the stream.
func (h *harness) allCustomers() []string {
	h.t.Helper()
	ids, err := projectiontest.CustomerIDs(h.ctx, h.js)
	if err != nil {
		h.t.Fatal(err)
	}
	return ids
}

// customerEvents counts the events on customer subjects.
func (h *harness) customerEvents() uint64 {
	h.t.Helper()
	s, err := h.js.Stream(h.ctx, events.StreamName)
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := s.Info(h.ctx, jetstream.WithSubjectFilter(events.CustomerSubject(">")))
	if err != nil {
		h.t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}

// raw reads stream messages from..to as the projector receives them.
func (h *harness) raw(from, to uint64) []event {
	h.t.Helper()
	s, err := h.js.Stream(h.ctx, events.StreamName)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []event
	for seq := from; seq <= to; seq++ {
		m, err := s.GetMsg(h.ctx, seq)
		if err != nil {
			h.t.Fatalf("get %d: %v", seq, err)
		}
		out = append(out, event{
			Seq: m.Sequence, Subject: m.Subject, Data: m.Data,
			BatchID: m.Header.Get(headerBatchID), BatchCommit: m.Header.Get(headerBatchCommit) != "",
		})
	}
	return out
}

// publishRaw stores arbitrary bytes on a subject, as a broken producer could.
func (h *harness) publishRaw(subject string, data []byte) uint64 {
	h.t.Helper()
	ack, err := h.js.Publish(h.ctx, subject, data)
	if err != nil {
		h.t.Fatal(err)
	}
	return ack.Sequence
}

// seqs lists the sequences of evs.
func seqs(evs []event) string {
	s := ""
	for i, e := range evs {
		if i > 0 {
			s += ","
		}
		s += strconv.FormatUint(e.Seq, 10)
	}
	return s
}

// tableRows returns, by table, every row of the projection's tables in schema rendered by expr (a
// text expression of the row t), sorted.
func (h *harness) tableRows(schema, expr string) map[string][]string {
	h.t.Helper()
	out := map[string][]string{}
	for _, r := range rebuildRelations {
		if r.kind != "TABLE" {
			continue
		}
		rows, err := h.pool.Query(context.Background(), `SELECT `+expr+` FROM `+schema+`.`+r.name+` t ORDER BY 1`)
		if err != nil {
			h.t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				h.t.Fatal(err)
			}
			out[r.name] = append(out[r.name], s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			h.t.Fatal(err)
		}
	}
	return out
}

package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/credentials"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/httpapi"
	"github.com/toffstech/customer-management/internal/httpapi/openapitest"
	"github.com/toffstech/customer-management/internal/idempotency"
	"github.com/toffstech/customer-management/internal/keyring"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/query"
	"github.com/toffstech/customer-management/internal/session"
	"github.com/toffstech/customer-management/internal/testenv"
)

// stack is the real api (handlers, JetStream, Postgres, projector) behind an httptest server.
type stack struct {
	url         string
	token       string
	exports     *command.Exports
	exportStore storage.Store
	nc          *nats.Conn
	js          jetstream.JetStream
	stream      jetstream.Stream
	idem        *idempotency.Store
	pool        *pgxpool.Pool
}

type stackOptions struct {
	consistencyWait time.Duration
	noProjector     bool
	// natsURL is a server the test controls; empty starts one.
	natsURL string
	// exportStore replaces the default NATS Object Store of exports.
	exportStore storage.Store
}

// noRedirects is the tests' HTTP client: a redirect is a response to look at, not to follow.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func newStack(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	natsURL := opts.natsURL
	if natsURL == "" {
		natsURL = testenv.NATS(t)
	}
	nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	stream, err := eventstore.EnsureStream(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	idem, err := idempotency.Ensure(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := projection.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Ensure(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	var wg sync.WaitGroup
	if !opts.noProjector {
		p, err := projection.NewProjector(projection.Config{Pool: pool, NATS: nc, Keys: keys, Linger: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	waiter, err := projection.NewWaiter(ctx, pool, projection.CustomersProjection)
	if err != nil {
		t.Fatal(err)
	}
	metrics := httpapi.NewMetrics(func() float64 { return float64(waiter.Checkpoint()) })
	passwords, err := credentials.EnsurePasswords(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := credentials.EnsureSessions(ctx, js, 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	throttle, err := credentials.EnsureThrottle(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	store := eventstore.New(js, metrics)
	customers := command.NewCustomers(store, command.RoleAuthorizer{})
	creds := &credentials.ForCommands{P: passwords}
	users := command.NewUsers(customers, creds, command.AuthPasswords{}, keys)
	sessionSvc := session.New(users, passwords, sessions, throttle, 0)
	creds.Changed = sessionSvc.UserChanged
	if err := sessionSvc.StartCache(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := users.EnsureFirstOperator(ctx, command.FirstOperator{Name: "Operator", Email: operatorEmail, Password: operatorPassword}); err != nil {
		t.Fatal(err)
	}
	exportStore := opts.exportStore
	if exportStore == nil {
		if exportStore, err = storage.NewNATSObjectStore(ctx, js, storage.NATSConfig{}); err != nil {
			t.Fatal(err)
		}
	}
	exports := command.NewExports(customers)
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Deps{
		Customers:       customers,
		Users:           users,
		Domains:         command.NewDomains(customers),
		Exports:         exports,
		ExportStore:     exportStore,
		Sessions:        sessionSvc,
		List:            query.NewCustomers(pool),
		UserList:        query.NewUsers(pool),
		DomainList:      query.NewDomains(pool),
		ExportList:      query.NewExports(pool),
		Audit:           query.NewAudit(pool),
		VerifyChains:    httpapi.ChainsOf(store),
		EventLog:        store,
		Waiter:          waiter,
		Idempotency:     idem,
		Metrics:         metrics,
		ConsistencyWait: opts.consistencyWait,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready:           map[string]httpapi.Checker{"nats": httpapi.NATSReady(nc, js), "postgres": httpapi.PostgresReady(pool)},
	}))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
		waiter.Close()
		pool.Close()
		nc.Close()
	})
	st := &stack{url: srv.URL, nc: nc, js: js, stream: stream, idem: idem, pool: pool, exports: exports, exportStore: exportStore}
	st.token = st.login(t, operatorEmail, operatorPassword)
	return st
}

// The first operator of every test stack.
const (
	operatorEmail    = "ops@toffstech.example"
	operatorPassword = "operator passphrase for tests"
)

// login logs in through the API and returns the bearer token.
func (s *stack) login(t *testing.T, email, password string) string {
	t.Helper()
	r := s.doAs(t, "", "POST", "/v1/auth/login", map[string]any{"email": email, "password": password})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.StatusCode, r.body)
	}
	return r.json(t)["token"].(string)
}

// withOwner adds an owner to a customer create body that has none: a customer is always created
// with its owner. The owner's email derives from the name and parent, so the same body stays the
// same request (idempotency) and two creates of one name under one parent collide on both.
func withOwner(body any) any {
	m, ok := body.(map[string]any)
	if !ok {
		return body
	}
	if _, has := m["owner"]; has {
		return body
	}
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	sum := sha256.Sum256([]byte(fmt.Sprint(m["name"], "|", m["parent_id"])))
	out["owner"] = map[string]any{"name": "Owner", "email": "owner-" + hex.EncodeToString(sum[:6]) + "@example.com",
		"password": ownerPassword, "password_confirm": ownerPassword}
	return out
}

const ownerPassword = "owner passphrase for tests"

// eventCount is the number of events in the stream.
func (s *stack) eventCount(t *testing.T) uint64 {
	t.Helper()
	info, err := s.stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// response is a received response with its body read.
type response struct {
	*http.Response
	body []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// do sends a request and checks the response against the OpenAPI document. body may be nil, a
// string or []byte (sent as is) or anything else (sent as JSON).
func (s *stack) do(t *testing.T, method, path string, body any, header ...string) response {
	t.Helper()
	if method == "POST" && path == "/v1/customers" {
		body = withOwner(body)
	}
	return s.doAs(t, s.token, method, path, body, header...)
}

// doAs sends a request with token as its bearer ("" for none).
func (s *stack) doAs(t *testing.T, token, method, path string, body any, header ...string) response {
	t.Helper()
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	openapitest.Check(t, req, resp, b)
	if resp.StatusCode >= 400 && path != "/readyz" && resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %s → %d with Content-Type %q, want application/problem+json", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return response{Response: resp, body: b}
}

func (s *stack) create(t *testing.T, body map[string]any) response {
	t.Helper()
	r := s.do(t, "POST", "/v1/customers", body)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create %v → %d %s", body, r.StatusCode, r.body)
	}
	return r
}

// ensure events is used even if a test file stops referring to it.
var _ = events.StreamName

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// mapString renders a decoded JSON object deterministically.
func mapString(m map[string]any) string {
	b, _ := json.Marshal(m) // encoding/json sorts map keys
	return string(b)
}

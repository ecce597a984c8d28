package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/testenv"
)

// TestNATSDownAnswers503 stops the NATS server under a running api: writes answer 503 problems
// with Retry-After within the request timeout, liveness stays up and readiness says what is down.
func TestNATSDownAnswers503(t *testing.T) {
	srv := testenv.NATSServer(t, t.TempDir(), false)
	s := newStack(t, stackOptions{natsURL: srv.ClientURL(), noProjector: true})
	id := s.create(t, map[string]any{"name": "Acme"}).json(t)["id"].(string)
	srv.Shutdown()
	testenv.WaitFor(t, 5*time.Second, func() bool { return !s.nc.IsConnected() }, "the client never noticed the server is gone")

	start := time.Now()
	r := s.do(t, "PATCH", "/v1/customers/"+id, map[string]any{"address": "x"})
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || !strings.Contains(r.json(t)["type"].(string), "unavailable") {
		t.Fatalf("write with NATS down: %d %s", r.StatusCode, r.body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the write took %s; it should fail fast while NATS is down", d)
	}
	if r := s.do(t, "GET", "/v1/customers/"+id, nil); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("read from the log with NATS down: %d %s", r.StatusCode, r.body)
	}
	// A session checked moments ago is still known, and lists come from Postgres: they keep
	// working. A session never seen by this process cannot be checked without NATS: 503 at once.
	if r := s.do(t, "GET", "/v1/customers", nil); r.StatusCode != http.StatusOK {
		t.Errorf("list with NATS down: %d %s", r.StatusCode, r.body)
	}
	start = time.Now()
	if r := s.doAs(t, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "GET", "/v1/customers", nil); r.StatusCode != http.StatusServiceUnavailable || time.Since(start) > 2*time.Second {
		t.Errorf("unknown session with NATS down: %d after %s: %s", r.StatusCode, time.Since(start), r.body)
	}
	if r := s.do(t, "GET", "/healthz", nil); r.StatusCode != 200 {
		t.Errorf("healthz with NATS down: %d", r.StatusCode)
	}
	ready := s.do(t, "GET", "/readyz", nil)
	if ready.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(ready.body), `"nats":"unavailable"`) || !strings.Contains(string(ready.body), `"postgres":"ok"`) {
		t.Errorf("readyz with NATS down: %d %s", ready.StatusCode, ready.body)
	}
}

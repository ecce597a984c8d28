// Package httpapi is the HTTP transport of Customer Management: the Gin router, one file per
// resource, request decoding, RFC 9457 problem details and the OpenAPI document. It only translates
// HTTP to commands and queries.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/idempotency"
	"github.com/toffstech/customer-management/internal/query"
	"github.com/toffstech/customer-management/internal/session"
)

// CustomerLister is the read model the list endpoint queries.
type CustomerLister interface {
	List(ctx context.Context, p query.ListParams) (query.Page, error)
}

// Waiter waits until the read model has applied a stream sequence (read-your-writes).
type Waiter interface {
	Wait(ctx context.Context, seq uint64) error
	Checkpoint() uint64
}

// UserLister is the read model the user list queries.
type UserLister interface {
	List(ctx context.Context, p query.UserListParams) (query.UserPage, error)
}

// Checker reports whether a backing service is reachable, for /readyz.
type Checker func(ctx context.Context) error

// Deps are everything the server needs; every field is required unless marked optional.
type Deps struct {
	Customers *command.Customers
	Users     *command.Users
	Domains   *command.Domains
	Exports   *command.Exports
	// ExportStore holds the export files.
	ExportStore storage.Store
	Sessions    *session.Service
	List        CustomerLister
	UserList    UserLister
	DomainList  DomainLister
	ExportList  ExportLister
	// Audit answers the history and the Audit Log; VerifyChains recomputes hash chains.
	Audit        AuditReader
	VerifyChains ChainVerifier
	// EventLog serves the raw events (GET /v1/events).
	EventLog    RawEvents
	Waiter      Waiter
	Idempotency *idempotency.Store
	Metrics     *Metrics
	// SecureCookies marks the session cookies Secure (served over HTTPS only).
	SecureCookies bool
	// Ready lists named readiness checks (e.g. "nats", "postgres").
	Ready map[string]Checker
	// ConsistencyWait bounds how long a read waits for its consistency token (default 5 s).
	ConsistencyWait time.Duration
	// Logger is optional (default slog.Default()).
	Logger *slog.Logger
}

// NewServer returns the HTTP handler of the API.
func NewServer(d Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if d.ConsistencyWait <= 0 {
		d.ConsistencyWait = 5 * time.Second
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &server{Deps: d}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.Use(withRequestID, s.recoverer, s.accessLog, d.Metrics.middleware)
	s.routes(r)
	return r
}

type server struct {
	Deps
}

// recoverer turns a panic into a 500 problem and logs it.
func (s *server) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Logger.Error("panic in handler", "request_id", requestID(c), "path", c.Request.URL.Path, "panic", v)
			writeProblem(c, Problem{Type: ProblemInternal, Title: "Internal error.", Status: http.StatusInternalServerError, Detail: "Internal error."})
		}
	}()
	c.Next()
}

// accessLog logs one line per request: never bodies, headers or query values, which may hold
// personal data or secrets.
func (s *server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.Logger.Info("http", "method", c.Request.Method, "route", c.FullPath(), "status", c.Writer.Status(),
		"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", requestID(c))
}

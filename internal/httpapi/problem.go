package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
)

// Problem is an RFC 9457 problem detail. Type is a stable URN clients may switch on.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Instance string              `json:"instance,omitempty"`
	Errors   []domain.FieldError `json:"errors,omitempty"`
	// RequestID lets support find the request in the logs.
	RequestID string `json:"request_id,omitempty"`
	// Extra carries structured facts, e.g. the children that block a delete.
	Extra map[string]any `json:"details,omitempty"`
}

// Problem types. They are a contract: never change a published one.
const (
	ProblemValidation         = "urn:cm:problem:validation"
	ProblemMalformed          = "urn:cm:problem:malformed-request"
	ProblemNotFound           = "urn:cm:problem:not-found"
	ProblemConflict           = "urn:cm:problem:conflict"
	ProblemPrecondition       = "urn:cm:problem:precondition-failed"
	ProblemForbidden          = "urn:cm:problem:forbidden"
	ProblemUnsupportedMedia   = "urn:cm:problem:unsupported-media-type"
	ProblemTooLarge           = "urn:cm:problem:payload-too-large"
	ProblemMethodNotAllowed   = "urn:cm:problem:method-not-allowed"
	ProblemIdempotencyInUse   = "urn:cm:problem:idempotency-key-in-use"
	ProblemIdempotencyReuse   = "urn:cm:problem:idempotency-key-reused"
	ProblemConsistencyTimeout = "urn:cm:problem:consistency-timeout"
	ProblemUnavailable        = "urn:cm:problem:service-unavailable"
	ProblemInternal           = "urn:cm:problem:internal"
	ProblemTooMany            = "urn:cm:problem:too-many-in-progress"
)

// statusOf is the one table mapping domain error codes to HTTP statuses and problem types.
var statusOf = map[domain.Code]struct {
	status int
	typ    string
	title  string
}{
	domain.Invalid:            {http.StatusUnprocessableEntity, ProblemValidation, "Your request is not valid."},
	domain.NotFound:           {http.StatusNotFound, ProblemNotFound, "Not found."},
	domain.Conflict:           {http.StatusConflict, ProblemConflict, "Conflict with the current state."},
	domain.PreconditionFailed: {http.StatusPreconditionFailed, ProblemPrecondition, "Precondition failed."},
	domain.Forbidden:          {http.StatusForbidden, ProblemForbidden, "Not allowed."},
	domain.TooMany:            {http.StatusTooManyRequests, ProblemTooMany, "Too many requests in progress."},
}

// writeProblem sends p as application/problem+json and stops the handler chain.
func writeProblem(c *gin.Context, p Problem) {
	if p.Instance == "" {
		p.Instance = c.Request.URL.Path
	}
	p.RequestID = requestID(c)
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(p.Status, p)
}

// fail answers err: a domain error with its mapped status, anything else as an internal error whose
// detail goes to the log only.
func fail(c *gin.Context, err error) {
	var de *domain.Error
	if errors.As(err, &de) {
		m, ok := statusOf[de.Code]
		if ok {
			writeProblem(c, Problem{Type: m.typ, Title: m.title, Status: m.status, Detail: de.Message, Errors: de.Fields, Extra: de.Details})
			return
		}
	}
	var ei *command.ErasureIncompleteError
	if errors.As(err, &ei) {
		slog.ErrorContext(c.Request.Context(), "erasure incomplete", "request_id", requestID(c), "customer_id", ei.CustomerID, "err", ei.Err)
		c.Header("Retry-After", "1")
		writeProblem(c, Problem{Type: ProblemUnavailable, Title: "Erasure incomplete.", Status: http.StatusServiceUnavailable,
			Detail: "The customer was deleted, but the erasure of its users' personal data could not complete; POST /v1/customers/" +
				ei.CustomerID + ":erase finishes it.", Extra: map[string]any{"id": ei.CustomerID, "deleted": true, "erased": false}})
		return
	}
	if unavailable(err) {
		slog.WarnContext(c.Request.Context(), "backing service unavailable", "request_id", requestID(c), "path", c.Request.URL.Path, "err", err)
		c.Header("Retry-After", "1")
		writeProblem(c, Problem{Type: ProblemUnavailable, Title: "Service unavailable.", Status: http.StatusServiceUnavailable, Detail: "A backing service is not reachable; try again shortly."})
		return
	}
	slog.ErrorContext(c.Request.Context(), "request failed", "request_id", requestID(c), "path", c.Request.URL.Path, "err", err)
	writeProblem(c, Problem{Type: ProblemInternal, Title: "Internal error.", Status: http.StatusInternalServerError, Detail: "Internal error."})
}

// unavailable reports whether err means a backing service (NATS, Postgres) did not answer in time,
// which the client may retry: 503 rather than 500.
func unavailable(err error) bool {
	var pgConnect *pgconn.ConnectError
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.As(err, &pgConnect)
}

// badRequest answers a 400 for a request that could not be read, naming the field when known.
func badRequest(c *gin.Context, detail string, fields ...domain.FieldError) {
	writeProblem(c, Problem{Type: ProblemMalformed, Title: "The request could not be read.", Status: http.StatusBadRequest, Detail: detail, Errors: fields})
}

package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/idempotency"
)

// commandSeed is what an idempotency record lends to the command: its id and time.
type commandSeed struct {
	id  string
	now time.Time
}

// recorder keeps a copy of the response body so it can be stored with the key.
type recorder struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.body.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}

// idempotent implements the Idempotency-Key header (IETF httpapi draft): the first response to a
// key is stored for 24 hours and replayed to a retry with the same request; the same key with a
// different request is refused with 422, and a retry while the first is still running with 409.
func (s *server) idempotent(c *gin.Context) {
	clientKey := c.GetHeader("Idempotency-Key")
	if clientKey == "" {
		c.Next()
		return
	}
	if len(clientKey) > 255 || !printable(clientKey) {
		badRequest(c, "The Idempotency-Key header must be 1 to 255 printable ASCII characters.", domain.FieldError{Field: "Idempotency-Key", Detail: "must be 1 to 255 printable ASCII characters"})
		return
	}
	body, ok := readBody(c)
	if !ok {
		return
	}
	key := idempotency.Key("user:"+principal(c).User.ID, clientKey)
	fp := idempotency.Fingerprint(c.Request.Method, c.Request.URL.Path, body)
	outcome, rec, rev, err := s.Idempotency.Begin(c.Request.Context(), key, fp)
	if err != nil {
		fail(c, err)
		return
	}
	switch outcome {
	case idempotency.Replay:
		for h, v := range rec.Header {
			c.Header(h, v)
		}
		c.Header("Idempotent-Replayed", "true")
		c.Data(rec.Status, rec.Header["Content-Type"], rec.Body)
		c.Abort()
		return
	case idempotency.InFlight:
		writeProblem(c, Problem{Type: ProblemIdempotencyInUse, Title: "A request with this Idempotency-Key is still being processed.", Status: http.StatusConflict,
			Detail: "Retry after the first request has completed."})
		return
	case idempotency.Mismatch:
		writeProblem(c, Problem{Type: ProblemIdempotencyReuse, Title: "This Idempotency-Key was used for a different request.", Status: http.StatusUnprocessableEntity,
			Detail: "Use a new Idempotency-Key for a new request."})
		return
	}
	c.Set(keyCommand, commandSeed{id: rec.CommandID, now: rec.StartedAt})
	rw := &recorder{ResponseWriter: c.Writer}
	c.Writer = rw
	c.Next()
	// Store the outcome even if the client went away: its retry must find it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	status := rw.Status()
	if status >= 500 {
		err = s.Idempotency.Release(ctx, key, rev, rec)
	} else {
		err = s.Idempotency.Complete(ctx, key, rev, rec, status, rw.Header(), rw.body.Bytes())
	}
	if err != nil {
		s.Logger.Error("idempotency record not stored", "request_id", requestID(c), "err", err)
	}
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}

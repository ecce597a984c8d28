package httpapi

import (
	"context"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/toffstech/customer-management/internal/command"
)

const (
	keyRequestID = "cm.request_id"
	keyCommand   = "cm.command"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// withRequestID takes the client's X-Request-ID when it is well-formed, or makes one, and echoes it.
func withRequestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !validRequestID.MatchString(id) {
		id = uuid.Must(uuid.NewV7()).String()
	}
	c.Set(keyRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(keyRequestID) }

// meta builds the command metadata of the request: actor, request and correlation ids, and the
// idempotency-derived command id when the request carries an Idempotency-Key.
func meta(c *gin.Context) command.Meta {
	m := principal(c).Meta(requestID(c))
	if v, ok := c.Get(keyCommand); ok {
		cm := v.(commandSeed)
		m.CommandID, m.Now, m.Idempotent = cm.id, cm.now, true
	}
	if m.CommandID == "" {
		m.CommandID = uuid.Must(uuid.NewV7()).String()
	}
	m.CorrelationID = c.GetHeader("X-Correlation-ID")
	if !validRequestID.MatchString(m.CorrelationID) {
		m.CorrelationID = m.RequestID
	}
	return m
}

// requestTimeout bounds the work of one API request; a backing service that does not answer in
// time yields a 503 problem instead of a hung client.
const requestTimeout = 15 * time.Second

func withTimeout(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/toffstech/customer-management/internal/domain"
)

// ConsistencyHeader carries the consistency token: the stream sequence of a write, returned on
// every write response and sent back by a read that must observe that write.
const ConsistencyHeader = "X-Consistency-Token"

func setConsistency(c *gin.Context, seq uint64) {
	c.Header(ConsistencyHeader, strconv.FormatUint(seq, 10))
}

// consistent makes a read wait, at most ConsistencyWait, until the read model has applied the
// token's sequence; on timeout it answers 503 with a problem detail and a Retry-After.
func (s *server) consistent(c *gin.Context) {
	tok := c.GetHeader(ConsistencyHeader)
	if tok == "" {
		c.Next()
		return
	}
	seq, err := strconv.ParseUint(tok, 10, 64)
	if err != nil {
		badRequest(c, "The consistency token is not one this API issued.", domain.FieldError{Field: ConsistencyHeader, Detail: "must be a token from a write response"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.ConsistencyWait)
	defer cancel()
	if err := s.Waiter.Wait(ctx, seq); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			c.Header("Retry-After", "1")
			writeProblem(c, Problem{Type: ProblemConsistencyTimeout, Title: "The read model has not caught up yet.", Status: http.StatusServiceUnavailable,
				Detail: "Your earlier change is recorded but not yet visible in lists; retry in a moment.",
				Extra:  map[string]any{"token": seq, "applied": s.Waiter.Checkpoint()}})
			return
		}
		fail(c, err)
		return
	}
	c.Next()
}

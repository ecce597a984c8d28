package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/eventstore"
)

// Limits of GET /v1/events.
const (
	defaultEventsLimit = 1000
	maxEventsLimit     = 100_000
	// eventsPoll is how often a scoped follow looks for new events.
	eventsPoll = time.Second
	// eventsWriteWindow is how long one write to a slow client may take before the stream is cut.
	eventsWriteWindow = 30 * time.Second
)

// RawEvents reads the raw log (eventstore.Store).
type RawEvents interface {
	ReadFrom(ctx context.Context, after uint64, follow bool, fn func(seq uint64, subject string, data []byte) error) error
	Raw(ctx context.Context, seq uint64) (string, []byte, error)
}

// streamEvents serves GET /v1/events: the raw events after a stream sequence, in stream order, as
// NDJSON — each line the event's CloudEvents JSON exactly as stored, with the CloudEvents
// "sequence" extension attribute (the stream sequence, a string) added first, for resuming. It
// ends after limit events or at the end of the log; with follow=true it then waits for new events
// until limit or the client leaves. Toffstech Support reads the whole log; any other user with
// Audit Log View reads the events of its subtree's customers, users, domains and exports. A slow
// client holds the reading back (one hundred events at a time), it never fills memory.
func (s *server) streamEvents(c *gin.Context) {
	var errs []domain.FieldError
	after, limit, follow := uint64(0), defaultEventsLimit, false
	if v := c.Query("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			errs = append(errs, domain.FieldError{Field: "after", Detail: "must be a stream sequence (a whole number, 0 for the start)"})
		}
		after = n
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventsLimit {
			errs = append(errs, domain.FieldError{Field: "limit", Detail: "must be a whole number from 1 to 100000"})
		}
		limit = n
	}
	switch c.DefaultQuery("follow", "false") {
	case "false":
	case "true":
		follow = true
	default:
		errs = append(errs, domain.FieldError{Field: "follow", Detail: "must be true or false"})
	}
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	if !mayAudit(c) {
		return
	}

	ctx := c.Request.Context()
	rc := http.NewResponseController(c.Writer)
	c.Header("Content-Type", "application/x-ndjson")
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	sent := 0
	var line []byte
	write := func(seq uint64, _ string, data []byte) error {
		if len(data) < 2 || data[0] != '{' {
			return errors.New("httpapi: a stored event is not a JSON object")
		}
		line = append(line[:0], `{"sequence":"`...)
		line = strconv.AppendUint(line, seq, 10)
		line = append(line, `",`...)
		line = append(line, data[1:]...)
		line = append(line, '\n')
		_ = rc.SetWriteDeadline(time.Now().Add(eventsWriteWindow))
		if _, err := c.Writer.Write(line); err != nil {
			return err
		}
		if sent++; sent >= limit {
			return eventstore.ErrStopReading
		}
		if sent%100 == 0 {
			_ = rc.Flush()
		}
		return nil
	}
	var err error
	if scope := scopeOf(c); scope == "" {
		err = s.EventLog.ReadFrom(ctx, after, follow, func(seq uint64, subject string, data []byte) error {
			if err := write(seq, subject, data); err != nil {
				return err
			}
			if follow && sent%100 != 0 {
				_ = rc.Flush() // a follower wants each event as it comes
			}
			return nil
		})
	} else {
		err = s.scopedEvents(ctx, scope, after, follow, func(seq uint64, subject string, data []byte) error {
			err := write(seq, subject, data)
			if err == nil && follow {
				_ = rc.Flush()
			}
			return err
		})
	}
	_ = rc.Flush()
	if err != nil && !errors.Is(err, eventstore.ErrStopReading) && ctx.Err() == nil {
		// The status is sent: the stream just ends early; the client resumes from its last sequence.
		s.Logger.Warn("events stream ended early", "request_id", requestID(c), "err", err)
	}
}

// scopedEvents calls fn with the audited events of the subtree of scope after sequence after;
// with follow it then polls for new ones until ctx is done.
func (s *server) scopedEvents(ctx context.Context, scope string, after uint64, follow bool, fn func(uint64, string, []byte) error) error {
	for {
		seqs, err := s.Audit.SeqsWithin(ctx, scope, after, 100)
		if err != nil {
			return err
		}
		for _, seq := range seqs {
			subject, data, err := s.EventLog.Raw(ctx, seq)
			if err != nil {
				return err
			}
			if err := fn(seq, subject, data); err != nil {
				return err
			}
			after = seq
		}
		if len(seqs) == 100 {
			continue
		}
		if !follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(eventsPoll):
		}
	}
}

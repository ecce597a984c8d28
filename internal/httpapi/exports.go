package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/query"
)

// exportJSON is the export resource.
type exportJSON struct {
	ID          string     `json:"id"`
	CustomerID  string     `json:"customer_id"`
	Status      string     `json:"status"`
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	Attempts    int        `json:"attempts"`
	Rows        *int       `json:"rows"`
	Bytes       *int64     `json:"bytes"`
	SHA256      *string    `json:"sha256"`
	ExpiresAt   *string    `json:"expires_at"`
	Filename    *string    `json:"filename"`
	DownloadURL *string    `json:"download_url"`
	Reason      *string    `json:"reason"`
	ReasonCode  *string    `json:"reason_code"`
	Downloads   int        `json:"downloads"`
	Version     uint64     `json:"version"`
}

func toExportJSON(x domain.Export, now time.Time) exportJSON {
	out := exportJSON{ID: x.ID, CustomerID: x.CustomerID, Status: x.Status(now), RequestedBy: x.RequestedBy.ID,
		RequestedAt: x.RequestedAt.UTC(), Attempts: x.Attempts, Downloads: x.Downloads, Version: x.Version}
	if !x.StartedAt.IsZero() {
		t := x.StartedAt.UTC()
		out.StartedAt = &t
	}
	if !x.FinishedAt.IsZero() {
		t := x.FinishedAt.UTC()
		out.FinishedAt = &t
	}
	if r := x.Result; r.ObjectKey != "" {
		out.Rows, out.Bytes, out.SHA256, out.ExpiresAt, out.Filename = &r.Rows, &r.Bytes, &r.SHA256, &r.ExpiresAt, &r.Filename
		if out.Status == domain.ExportSucceeded {
			u := "/v1/exports/" + x.ID + "/download"
			out.DownloadURL = &u
		}
	}
	if x.Reason != "" {
		reason := x.Reason
		out.Reason = &reason
	}
	if x.ReasonCode != "" {
		code := x.ReasonCode
		out.ReasonCode = &code
	}
	return out
}

// requestExport serves POST /v1/customers/{id}/exports: 202 with the job, its Location and a
// Retry-After for polling.
func (s *server) requestExport(c *gin.Context) {
	customerID, ok := pathID(c)
	if !ok {
		return
	}
	res, err := s.Exports.RequestExport(c.Request.Context(), meta(c), customerID)
	if err != nil {
		fail(c, err)
		return
	}
	setConsistency(c, res.Seq)
	c.Header("Location", "/v1/exports/"+res.Export.ID)
	c.Header("Retry-After", "1")
	c.JSON(http.StatusAccepted, toExportJSON(res.Export, time.Now()))
}

func (s *server) getExport(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	x, err := s.Exports.GetExport(c.Request.Context(), meta(c), id)
	if err != nil {
		fail(c, err)
		return
	}
	out := toExportJSON(x, time.Now())
	if out.Status == domain.ExportPending || out.Status == domain.ExportRunning {
		c.Header("Retry-After", "1")
	}
	c.JSON(http.StatusOK, out)
}

// downloadExport re-checks the user's reach, records the download, and serves the file: a
// redirect to a fresh presigned URL of at most 5 minutes when the store can presign, the file
// streamed otherwise. No URL outlives the check that produced it by more than those minutes.
func (s *server) downloadExport(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	x, err := s.Exports.RecordDownload(c.Request.Context(), meta(c), id)
	if err != nil {
		fail(c, err)
		return
	}
	r := x.Result
	url, err := s.ExportStore.URL(c.Request.Context(), r.ObjectKey, 5*time.Minute, r.Filename)
	if err == nil {
		c.Header("Cache-Control", "no-store")
		c.Redirect(http.StatusFound, url)
		return
	}
	if !errors.Is(err, storage.ErrNoPresign) {
		failStorage(c, err)
		return
	}
	body, info, err := s.ExportStore.Open(c.Request.Context(), r.ObjectKey)
	if errors.Is(err, storage.ErrNotFound) {
		fail(c, &domain.Error{Code: domain.Conflict, Message: "The export file is gone; request a new export."})
		return
	}
	if err != nil {
		failStorage(c, err)
		return
	}
	defer body.Close()
	c.Header("Content-Type", storage.DefaultContentType)
	c.Header("Content-Disposition", storage.ContentDisposition(r.Filename))
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	if info.SHA256 != "" {
		c.Header("X-Checksum-SHA256", info.SHA256)
	}
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, body); err != nil {
		s.Logger.Warn("export download interrupted", "request_id", requestID(c), "export", id, "err", err)
	}
}

// ExportLister is the read model of a customer's exports.
type ExportLister interface {
	ListByCustomer(ctx context.Context, customerID string, limit int, cursor string) (query.ExportPage, error)
}

// listExports serves GET /v1/customers/{id}/exports: the customer's past exports, newest first.
func (s *server) listExports(c *gin.Context) {
	customerID, ok := pathID(c)
	if !ok {
		return
	}
	if _, _, err := s.Customers.GetCustomer(c.Request.Context(), meta(c), customerID); err != nil {
		fail(c, err)
		return
	}
	if !principal(c).Permissions.Has(auth.DownloadReportView) {
		fail(c, &domain.Error{Code: domain.Forbidden, Message: "You do not have the permission \"Download Report View\"."})
		return
	}
	var none string
	limit, errs := listBasics(c, "", &none, "", "name")
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	page, err := s.ExportList.ListByCustomer(c.Request.Context(), customerID, limit, c.Query("cursor"))
	if !listError(c, err) {
		return
	}
	writePage(c, page.Items, page.NextCursor)
}

// failStorage answers a download whose store could not be reached with a 503 that says so (the
// export itself is intact; the download can be retried), and anything else as fail does.
func failStorage(c *gin.Context, err error) {
	if !errors.Is(err, storage.ErrUnavailable) {
		fail(c, err)
		return
	}
	slog.WarnContext(c.Request.Context(), "export storage unreachable", "request_id", requestID(c), "path", c.Request.URL.Path, "err", err)
	c.Header("Retry-After", "30")
	writeProblem(c, Problem{Type: ProblemUnavailable, Title: "Service unavailable.", Status: http.StatusServiceUnavailable,
		Detail: "The export storage is not reachable right now; the export is kept, try the download again in a minute."})
}

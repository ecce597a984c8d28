package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
)

// customerAt serves GET /v1/customers/{id}?as_of=…&version=…: the customer as it was. A live
// customer needs Customer View and reach, as now; a deleted one needs Audit Log View and reach
// over where it stood at its last event.
func (s *server) customerAt(c *gin.Context, id string) {
	var (
		p    command.PointInTime
		errs []domain.FieldError
	)
	if v := c.Query("as_of"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			errs = append(errs, domain.FieldError{Field: "as_of", Detail: "must be an RFC 3339 time like 2026-11-27T10:00:00Z"})
		}
		p.AsOf = t
	}
	if v := c.Query("version"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			errs = append(errs, domain.FieldError{Field: "version", Detail: "must be a whole number from 1"})
		}
		p.Version = n
	}
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	if _, _, err := s.Customers.GetCustomer(c.Request.Context(), meta(c), id); err != nil && !s.deletedCustomerWithin(c, id, err) {
		return
	}
	cu, parent, err := s.Customers.CustomerAt(c.Request.Context(), id, p)
	if err != nil {
		fail(c, err)
		return
	}
	switch {
	case cu.Version == 0:
		fail(c, &domain.Error{Code: domain.NotFound, Message: "The customer did not exist yet at that point.", Details: map[string]any{"id": id}})
		return
	case cu.Deleted:
		fail(c, &domain.Error{Code: domain.NotFound, Message: "The customer was deleted by that point.", Details: map[string]any{"id": id}})
		return
	}
	c.JSON(http.StatusOK, toCustomerJSON(cu, parent))
}

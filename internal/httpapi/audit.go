package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/chain"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/query"
)

// AuditReader answers the customer history and the Audit Log (query.Audit).
type AuditReader interface {
	CustomerWithin(ctx context.Context, id, withinCustomer string) (bool, error)
	History(ctx context.Context, id string, limit int, cursor string) (query.AuditPage, error)
	Log(ctx context.Context, p query.AuditParams) (query.AuditPage, error)
	Resources(ctx context.Context, id string) ([]query.Resource, error)
	SeqsWithin(ctx context.Context, withinCustomer string, after uint64, limit int) ([]uint64, error)
}

// ChainVerifier recomputes the hash chains of the given aggregates (chain.VerifySubjects on the
// event store).
type ChainVerifier func(ctx context.Context, subjects []string) (chain.Report, error)

// mayAudit checks the permission Audit Log View.
func mayAudit(c *gin.Context) bool {
	if principal(c).Permissions.Has(auth.AuditLogView) {
		return true
	}
	fail(c, &domain.Error{Code: domain.Forbidden, Message: "You do not have the permission \"Audit Log View\"."})
	return false
}

// auditedCustomer checks that the caller may read the history of the customer in the path, live
// or deleted: within its reach (a deleted customer: where it stood at its last event) and with
// Audit Log View. It answers the request and returns false otherwise.
func (s *server) auditedCustomer(c *gin.Context) (string, bool) {
	id, ok := pathID(c)
	if !ok {
		return "", false
	}
	if _, _, err := s.Customers.GetCustomer(c.Request.Context(), meta(c), id); err != nil {
		return id, s.deletedCustomerWithin(c, id, err)
	}
	return id, mayAudit(c)
}

// deletedCustomerWithin answers for a customer that GetCustomer did not find (err): it passes,
// returning true, when the audit log knows the customer within the caller's reach (where it stood
// at its last event) and the caller has Audit Log View; otherwise it answers the request.
func (s *server) deletedCustomerWithin(c *gin.Context, id string, err error) bool {
	if domain.ErrorCode(err) != domain.NotFound {
		fail(c, err)
		return false
	}
	known, err := s.Audit.CustomerWithin(c.Request.Context(), id, scopeOf(c))
	if err != nil {
		fail(c, err)
		return false
	}
	if !known {
		fail(c, &domain.Error{Code: domain.NotFound, Message: "Customer not found.", Details: map[string]any{"id": id}})
		return false
	}
	return mayAudit(c)
}

// history serves GET /v1/customers/{id}/history: every event of the customer and of its users,
// domains and exports, in stream order.
func (s *server) history(c *gin.Context) {
	id, ok := s.auditedCustomer(c)
	if !ok {
		return
	}
	var none string
	limit, errs := listBasics(c, "", &none, "", "name")
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	page, err := s.Audit.History(c.Request.Context(), id, limit, c.Query("cursor"))
	if !listError(c, err) {
		return
	}
	writePage(c, page.Items, page.NextCursor)
}

// verifyHistory serves GET /v1/customers/{id}/history/verify: the hash chains of the customer, of
// its bookkeeping aggregates and of every user, domain and export it ever had, recomputed from the
// log.
func (s *server) verifyHistory(c *gin.Context) {
	id, ok := s.auditedCustomer(c)
	if !ok {
		return
	}
	res, err := s.Audit.Resources(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	subjects := []string{events.CustomerSubject(id), events.HierarchySubject(id), events.MembersSubject(id), events.ExportSlotsSubject(id)}
	for _, r := range res {
		switch r.Type {
		case "user":
			subjects = append(subjects, events.UserSubject(r.ID))
		case "domain":
			subjects = append(subjects, events.DomainSubject(r.ID))
		case "export":
			subjects = append(subjects, events.ExportSubject(r.ID))
		}
	}
	rep, err := s.VerifyChains(c.Request.Context(), subjects)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// auditActionTypes and auditResourceTypes are the Audit Log's filter values.
var (
	auditActionTypes   = map[string]bool{"Add": true, "Edit": true, "Delete": true, "Download": true}
	auditResourceTypes = map[string]bool{"customer": true, "user": true, "domain": true, "export": true}
)

// auditLog serves GET /v1/audit: the Audit Log page, newest first by default, within the caller's
// reach.
func (s *server) auditLog(c *gin.Context) {
	var errs []domain.FieldError
	bad := func(field, detail string) { errs = append(errs, domain.FieldError{Field: field, Detail: detail}) }
	when := func(field string) time.Time {
		v := c.Query(field)
		if v == "" {
			bad(field, "is required: an RFC 3339 time like 2026-11-27T00:00:00Z")
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			bad(field, "must be an RFC 3339 time like 2026-11-27T00:00:00Z")
		}
		return t
	}
	p := query.AuditParams{Since: when("since"), Until: when("until"), ActionType: c.Query("action_type"),
		ResourceType: c.Query("resource_type"), CustomerID: c.Query("customer_id"), Q: c.Query("q"), Cursor: c.Query("cursor")}
	if !p.Since.IsZero() && !p.Until.IsZero() && !p.Since.Before(p.Until) {
		bad("until", "must be after since")
	}
	if a := c.Query("actor"); a != "" {
		if u, err := uuid.Parse(a); err == nil && len(a) == 36 {
			p.ActorID = u.String()
		} else {
			p.ActorEmail = a
		}
	}
	if p.ActionType != "" && !auditActionTypes[p.ActionType] {
		bad("action_type", "must be one of Add, Edit, Delete, Download")
	}
	if p.ResourceType != "" && !auditResourceTypes[p.ResourceType] {
		bad("resource_type", "must be one of customer, user, domain, export")
	}
	switch c.DefaultQuery("order", "newest") {
	case "newest":
	case "oldest":
		p.Oldest = true
	default:
		bad("order", "must be newest or oldest")
	}
	var limitErrs []domain.FieldError
	p.Limit, limitErrs = listBasics(c, p.Q, &p.CustomerID, "customer_id", "name")
	errs = append(errs, limitErrs...)
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	if !mayAudit(c) {
		return
	}
	p.WithinCustomer = scopeOf(c)
	page, err := s.Audit.Log(c.Request.Context(), p)
	if !listError(c, err) {
		return
	}
	writePage(c, page.Items, page.NextCursor)
}

// ChainsOf returns the ChainVerifier that loads the aggregates from store.
func ChainsOf(store *eventstore.Store) ChainVerifier {
	return func(ctx context.Context, subjects []string) (chain.Report, error) {
		return chain.VerifySubjects(ctx, store, subjects)
	}
}

package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/query"
)

// toCustomerJSON returns the customer resource: the same shape as a list item.
func toCustomerJSON(c domain.Customer, parent *domain.Customer) query.CustomerItem {
	out := query.CustomerItem{ID: c.ID, Name: c.Name, Address: c.Address, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Version: c.Version}
	if c.ParentID != "" {
		pid := c.ParentID
		out.ParentID = &pid
		if parent != nil {
			name := parent.Name
			out.ParentName = &name
		}
	}
	return out
}

// createCustomerRequest is the body of POST /v1/customers.
type createCustomerRequest struct {
	Name     *string `json:"name"`
	Address  *string `json:"address"`
	ParentID *string `json:"parent_id"`
}

// updateCustomerRequest is the JSON merge patch of PATCH /v1/customers/{id}.
type updateCustomerRequest struct {
	Name     events.Opt[string] `json:"name"`
	Address  events.Opt[string] `json:"address"`
	ParentID events.Opt[string] `json:"parent_id"`
}

func etag(version uint64) string { return `"` + strconv.FormatUint(version, 10) + `"` }

// ifMatch reads If-Match into the command's expected version. "*" asks only that the customer
// exists, which every command checks anyway. A value that is not one of our ETags can never match.
func ifMatch(c *gin.Context, m *command.Meta) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" || h == "*" {
		return
	}
	v, err := strconv.ParseUint(strings.Trim(h, `"`), 10, 64)
	if err != nil || strings.HasPrefix(h, "W/") {
		v = 0 // version 0 never exists
	}
	m.IfMatch = &v
}

// pathID reads and checks the {id} path parameter.
func pathID(c *gin.Context) (string, bool) {
	id := c.Param("id")
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		badRequest(c, "The id in the path is not a valid customer id.", domain.FieldError{Field: "id", Detail: "must be a UUID"})
		return "", false
	}
	return u.String(), true
}

// writeCustomer answers a write with the customer after it, its ETag and consistency token.
func (s *server) writeCustomer(c *gin.Context, status int, res command.Result) {
	parent, err := s.Customers.Parent(c.Request.Context(), res.Customer)
	if err != nil {
		fail(c, err)
		return
	}
	s.sendCustomer(c, status, res, parent)
}

// sendCustomer sends a customer with its ETag and consistency token.
func (s *server) sendCustomer(c *gin.Context, status int, res command.Result, parent *domain.Customer) {
	c.Header("ETag", etag(res.Customer.Version))
	setConsistency(c, res.Seq)
	if status == http.StatusCreated {
		c.Header("Location", "/v1/customers/"+res.Customer.ID)
	}
	c.JSON(status, toCustomerJSON(res.Customer, parent))
}

func (s *server) createCustomer(c *gin.Context) {
	var req createCustomerRequest
	if !decodeJSON(c, &req, "application/json") {
		return
	}
	var in domain.CreateCustomer
	if req.Name != nil {
		in.Name = *req.Name // a missing name is reported with the other fields by the domain
	}
	if req.Address != nil {
		in.Address = *req.Address
	}
	if req.ParentID != nil {
		in.ParentID = strings.ToLower(*req.ParentID)
	}
	res, err := s.Customers.CreateCustomer(c.Request.Context(), meta(c), in)
	if err != nil {
		fail(c, err)
		return
	}
	s.writeCustomer(c, http.StatusCreated, res)
}

func (s *server) getCustomer(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	cu, parent, err := s.Customers.GetCustomer(c.Request.Context(), meta(c), id)
	if err != nil {
		fail(c, err)
		return
	}
	if match := c.GetHeader("If-None-Match"); match != "" && match == etag(cu.Version) {
		c.Header("ETag", etag(cu.Version))
		c.Status(http.StatusNotModified)
		return
	}
	s.sendCustomer(c, http.StatusOK, command.Result{Customer: cu, Seq: cu.LastSeq}, parent)
}

func (s *server) updateCustomer(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	var req updateCustomerRequest
	if !decodeJSON(c, &req, "application/merge-patch+json", "application/json") {
		return
	}
	in := domain.UpdateCustomer{Name: req.Name, Address: req.Address, ParentID: req.ParentID}
	if in.ParentID.Set {
		in.ParentID.Value = strings.ToLower(in.ParentID.Value)
	}
	m := meta(c)
	ifMatch(c, &m)
	res, err := s.Customers.UpdateCustomer(c.Request.Context(), m, id, in)
	if err != nil {
		fail(c, err)
		return
	}
	s.writeCustomer(c, http.StatusOK, res)
}

func (s *server) deleteCustomer(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	m := meta(c)
	ifMatch(c, &m)
	res, err := s.Customers.DeleteCustomer(c.Request.Context(), m, id)
	if err != nil {
		fail(c, err)
		return
	}
	setConsistency(c, res.Seq)
	c.Status(http.StatusNoContent)
}

// listSorts are the accepted sort orders.
var listSorts = map[string]bool{"-created_at": true, "created_at": true, "name": true, "-name": true}

func (s *server) listCustomers(c *gin.Context) {
	p := query.ListParams{Q: c.Query("q"), ParentID: c.Query("parent_id"), Sort: c.DefaultQuery("sort", "-created_at"), Cursor: c.Query("cursor"), Limit: 50}
	var errs []domain.FieldError
	if !utf8.ValidString(p.Q) || utf8.RuneCountInString(p.Q) > 200 {
		errs = append(errs, domain.FieldError{Field: "q", Detail: "must be text of at most 200 characters"})
	}
	if p.ParentID != "" {
		if u, err := uuid.Parse(p.ParentID); err != nil || len(p.ParentID) != 36 {
			errs = append(errs, domain.FieldError{Field: "parent_id", Detail: "must be a UUID"})
		} else {
			p.ParentID = u.String()
		}
	}
	if !listSorts[p.Sort] {
		errs = append(errs, domain.FieldError{Field: "sort", Detail: "must be one of -created_at, created_at, name, -name"})
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			errs = append(errs, domain.FieldError{Field: "limit", Detail: "must be a whole number from 1 to 100"})
		}
		p.Limit = n
	}
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	page, err := s.List.List(c.Request.Context(), p)
	if errors.Is(err, query.ErrBadCursor) {
		badRequest(c, "The cursor is not valid for this query.", domain.FieldError{Field: "cursor", Detail: "must be a next_cursor returned by this query"})
		return
	}
	if errors.Is(err, query.ErrBadParam) {
		badRequest(c, "The query parameters are not valid: "+strings.TrimPrefix(err.Error(), query.ErrBadParam.Error()+": "))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	items := page.Items
	if items == nil {
		items = []query.CustomerItem{}
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}

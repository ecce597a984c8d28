package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/toffstech/customer-management/internal/auth"
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

// createCustomerRequest is the body of POST /v1/customers: step 1 of the guide's Add Customer
// (customer, address, "Management by") and step 2 (the owner).
type createCustomerRequest struct {
	Name     *string       `json:"name"`
	Address  *string       `json:"address"`
	ParentID *string       `json:"parent_id"`
	Owner    *ownerRequest `json:"owner"`
}

// ownerRequest is the "Add Customer Owner" step.
type ownerRequest struct {
	Name            string `json:"name"`
	Email           string `json:"email"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
}

func (r createCustomerRequest) customer() domain.CreateCustomer {
	var in domain.CreateCustomer
	if r.Name != nil {
		in.Name = *r.Name // a missing name is reported with the other fields by the domain
	}
	if r.Address != nil {
		in.Address = *r.Address
	}
	if r.ParentID != nil {
		in.ParentID = strings.ToLower(*r.ParentID)
	}
	return in
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
	if req.Owner == nil {
		// Report the customer's own fields too, so one answer names everything to fix.
		fields := []domain.FieldError{{Field: "owner", Detail: "is required: a customer is created together with its owner"}}
		var de *domain.Error
		if _, err := domain.PrepareCreate(req.customer()); errors.As(err, &de) {
			fields = append(de.Fields, fields...)
		}
		fail(c, domain.InvalidFields(fields...))
		return
	}
	o := req.Owner
	res, err := s.Users.CreateCustomerWithOwner(c.Request.Context(), meta(c), req.customer(),
		command.Owner{Name: o.Name, Email: o.Email, Password: command.NewPassword{Password: o.Password, Confirm: o.PasswordConfirm}})
	if err != nil {
		fail(c, err)
		return
	}
	parent, err := s.Customers.Parent(c.Request.Context(), res.Customer)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("ETag", etag(res.Customer.Version))
	c.Header("Location", "/v1/customers/"+res.Customer.ID)
	setConsistency(c, res.Seq)
	out := struct {
		query.CustomerItem
		Owner userJSON `json:"owner"`
	}{toCustomerJSON(res.Customer, parent), toUserJSON(res.Owner)}
	c.JSON(http.StatusCreated, out)
}

// validateCustomer checks step 1 of Add Customer without creating anything: 204, or the problem
// the create would answer (a duplicate name among the siblings, a parent out of reach, …).
func (s *server) validateCustomer(c *gin.Context) {
	var req createCustomerRequest
	if !decodeJSON(c, &req, "application/json") {
		return
	}
	if err := s.Users.ValidateCustomer(c.Request.Context(), meta(c), req.customer()); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *server) getCustomer(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	if c.Query("as_of") != "" || c.Query("version") != "" {
		s.customerAt(c, id)
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

// customerAction serves POST /v1/customers/{id}:erase, which erases the personal data of a deleted
// customer's users (Toffstech Support).
func (s *server) customerAction(c *gin.Context) {
	id, action, _ := strings.Cut(c.Param("id"), ":")
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		badRequest(c, "The id in the path is not a valid customer id.", domain.FieldError{Field: "id", Detail: "must be a UUID"})
		return
	}
	if action != "erase" {
		writeProblem(c, Problem{Type: ProblemNotFound, Title: "Not found.", Status: http.StatusNotFound, Detail: "No such endpoint."})
		return
	}
	res, err := s.Customers.EraseCustomer(c.Request.Context(), meta(c), strings.ToLower(id))
	if err != nil {
		fail(c, err)
		return
	}
	setConsistency(c, res.Seq)
	c.JSON(http.StatusOK, gin.H{"id": res.Customer.ID, "deleted": res.Customer.Deleted, "erased": res.Customer.Erased})
}

// listSorts are the accepted sort orders.
var listSorts = map[string]bool{"-created_at": true, "created_at": true, "name": true, "-name": true}

func (s *server) listCustomers(c *gin.Context) {
	p := query.ListParams{Q: c.Query("q"), ParentID: c.Query("parent_id"), Sort: c.DefaultQuery("sort", "-created_at"), Cursor: c.Query("cursor")}
	var errs []domain.FieldError
	p.Limit, errs = listBasics(c, p.Q, &p.ParentID, "parent_id", p.Sort)
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	if !principal(c).Permissions.Has(auth.CustomerView) {
		fail(c, &domain.Error{Code: domain.Forbidden, Message: "You do not have the permission \"Customer View\"."})
		return
	}
	p.WithinCustomer = scopeOf(c)
	page, err := s.List.List(c.Request.Context(), p)
	if !listError(c, err) {
		return
	}
	writePage(c, page.Items, page.NextCursor)
}

// listBasics checks the parameters every list takes: q, an id filter, sort and limit (1–100,
// default 50). It normalizes the id in place.
func listBasics(c *gin.Context, q string, id *string, idField, sort string) (int, []domain.FieldError) {
	var errs []domain.FieldError
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > 200 {
		errs = append(errs, domain.FieldError{Field: "q", Detail: "must be text of at most 200 characters"})
	}
	if *id != "" {
		if u, err := uuid.Parse(*id); err != nil || len(*id) != 36 {
			errs = append(errs, domain.FieldError{Field: idField, Detail: "must be a UUID"})
		} else {
			*id = u.String()
		}
	}
	if !listSorts[sort] {
		errs = append(errs, domain.FieldError{Field: "sort", Detail: "must be one of -created_at, created_at, name, -name"})
	}
	limit := 50
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			errs = append(errs, domain.FieldError{Field: "limit", Detail: "must be a whole number from 1 to 100"})
		}
		limit = n
	}
	return limit, errs
}

// manageableParents lists what "Management by" may offer for a customer: the customers within the
// actor's reach, except the customer itself and the customers below it.
func (s *server) manageableParents(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	if _, _, err := s.Customers.GetCustomer(c.Request.Context(), meta(c), id); err != nil {
		fail(c, err)
		return
	}
	p := query.ListParams{Q: c.Query("q"), Sort: "name", Cursor: c.Query("cursor"), ExcludeSubtree: id}
	var none string
	var errs []domain.FieldError
	p.Limit, errs = listBasics(c, p.Q, &none, "", p.Sort)
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	p.WithinCustomer = scopeOf(c)
	page, err := s.List.List(c.Request.Context(), p)
	if !listError(c, err) {
		return
	}
	writePage(c, page.Items, page.NextCursor)
}

// writePage answers one page of a list: its items (never null) and the cursor of the next page
// (null on the last).
func writePage[T any](c *gin.Context, items []T, nextCursor string) {
	if items == nil {
		items = []T{}
	}
	var next *string
	if nextCursor != "" {
		next = &nextCursor
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}

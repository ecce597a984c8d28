package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/query"
)

// userJSON is the user resource: the List User columns and the user's single permissions.
type userJSON struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Role       string    `json:"role"`
	CustomerID string    `json:"customer_id"`
	Status     string    `json:"status"`
	Remark     string    `json:"remark"`
	Granted    []string  `json:"granted"`
	Revoked    []string  `json:"revoked"`
	// Permissions are the effective permissions: the role's with the grants and revocations.
	Permissions auth.PermissionSet `json:"permissions"`
	Version     uint64             `json:"version"`
}

func toUserJSON(u domain.User) userJSON {
	status := query.UserStatusOn
	if u.Disabled {
		status = query.UserStatusOff
	}
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return userJSON{ID: u.ID, Name: u.Name, Email: u.Email, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(), Role: u.Role,
		CustomerID: u.CustomerID, Status: status, Remark: u.Remark, Granted: nz(u.Granted), Revoked: nz(u.Revoked),
		Permissions: command.EffectivePermissions(u), Version: u.Version}
}

func (s *server) sendUser(c *gin.Context, status int, res command.UserResult) {
	c.Header("ETag", etag(res.User.Version))
	setConsistency(c, res.Seq)
	if status == http.StatusCreated {
		c.Header("Location", "/v1/users/"+res.User.ID)
	}
	c.JSON(status, toUserJSON(res.User))
}

// createUserRequest is the body of POST /v1/users (the guide's Add User form).
type createUserRequest struct {
	CustomerID      string `json:"customer_id"`
	Role            string `json:"role"`
	Name            string `json:"name"`
	Email           string `json:"email"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
	Remark          string `json:"remark"`
}

func (s *server) createUser(c *gin.Context) {
	var req createUserRequest
	if !decodeJSON(c, &req, "application/json") {
		return
	}
	res, err := s.Users.CreateUser(c.Request.Context(), meta(c),
		domain.CreateUser{CustomerID: strings.ToLower(req.CustomerID), Role: req.Role, Name: req.Name, Email: req.Email, Remark: req.Remark},
		command.NewPassword{Password: req.Password, Confirm: req.PasswordConfirm})
	if err != nil {
		fail(c, err)
		return
	}
	s.sendUser(c, http.StatusCreated, res)
}

func (s *server) getUser(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	u, err := s.Users.GetUser(c.Request.Context(), meta(c), id)
	if err != nil {
		fail(c, err)
		return
	}
	s.sendUser(c, http.StatusOK, command.UserResult{User: u, Seq: u.LastSeq})
}

// updateUserRequest is the merge patch of PATCH /v1/users/{id}: never a password.
type updateUserRequest struct {
	CustomerID events.Opt[string] `json:"customer_id"`
	Role       events.Opt[string] `json:"role"`
	Name       events.Opt[string] `json:"name"`
	Email      events.Opt[string] `json:"email"`
	Remark     events.Opt[string] `json:"remark"`
}

func (s *server) updateUser(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	var req updateUserRequest
	if !decodeJSON(c, &req, "application/merge-patch+json", "application/json") {
		return
	}
	if req.CustomerID.Set {
		req.CustomerID.Value = strings.ToLower(req.CustomerID.Value)
	}
	m := meta(c)
	ifMatch(c, &m)
	res, err := s.Users.UpdateUser(c.Request.Context(), m, id, domain.UpdateUser(req))
	if err != nil {
		fail(c, err)
		return
	}
	s.sendUser(c, http.StatusOK, res)
}

func (s *server) deleteUser(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	m := meta(c)
	ifMatch(c, &m)
	res, err := s.Users.DeleteUser(c.Request.Context(), m, id)
	if err != nil {
		fail(c, err)
		return
	}
	setConsistency(c, res.Seq)
	c.Status(http.StatusNoContent)
}

// userAction serves POST /v1/users/{id}:disable and POST /v1/users/{id}:enable.
func (s *server) userAction(c *gin.Context) {
	id, action, _ := strings.Cut(c.Param("id"), ":")
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		badRequest(c, "The id in the path is not a valid user id.", domain.FieldError{Field: "id", Detail: "must be a UUID"})
		return
	}
	m := meta(c)
	ifMatch(c, &m)
	var res command.UserResult
	var err error
	switch action {
	case "disable":
		res, err = s.Users.DisableUser(c.Request.Context(), m, strings.ToLower(id))
	case "enable":
		res, err = s.Users.EnableUser(c.Request.Context(), m, strings.ToLower(id))
	default:
		writeProblem(c, Problem{Type: ProblemNotFound, Title: "Not found.", Status: http.StatusNotFound, Detail: "No such endpoint."})
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	s.sendUser(c, http.StatusOK, res)
}

// permissionsRequest is the body of PUT /v1/users/{id}/permissions.
type permissionsRequest struct {
	Granted []string `json:"granted"`
	Revoked []string `json:"revoked"`
}

func (s *server) setPermissions(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	var req permissionsRequest
	if !decodeJSON(c, &req, "application/json") {
		return
	}
	m := meta(c)
	ifMatch(c, &m)
	res, err := s.Users.SetPermissions(c.Request.Context(), m, id, req.Granted, req.Revoked)
	if err != nil {
		fail(c, err)
		return
	}
	s.sendUser(c, http.StatusOK, res)
}

// listUsers serves the List User page, within the actor's reach.
func (s *server) listUsers(c *gin.Context) {
	p := query.UserListParams{Q: c.Query("q"), CustomerID: c.Query("customer_id"), Sort: c.DefaultQuery("sort", "-created_at"), Cursor: c.Query("cursor")}
	var errs []domain.FieldError
	p.Limit, errs = listBasics(c, p.Q, &p.CustomerID, "customer_id", p.Sort)
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	if !principal(c).Permissions.Has(auth.UserView) {
		fail(c, &domain.Error{Code: domain.Forbidden, Message: "You do not have the permission \"User View\"."})
		return
	}
	p.WithinCustomer = scopeOf(c)
	page, err := s.UserList.List(c.Request.Context(), p)
	if !listError(c, err) {
		return
	}
	writePage(c, page.Items, page.NextCursor)
}

// scopeOf is the customer whose subtree the actor reaches, or "" for everything (support).
func scopeOf(c *gin.Context) string {
	p := principal(c)
	if auth.Role(p.User.Role) == auth.RoleToffstechSupport {
		return ""
	}
	return p.User.CustomerID
}

// listError answers a list query's error and reports whether there was none.
func listError(c *gin.Context, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, query.ErrBadCursor):
		badRequest(c, "The cursor is not valid for this query.", domain.FieldError{Field: "cursor", Detail: "must be a next_cursor returned by this query"})
	case errors.Is(err, query.ErrBadParam):
		badRequest(c, "The query parameters are not valid: "+strings.TrimPrefix(err.Error(), query.ErrBadParam.Error()+": "))
	default:
		fail(c, err)
	}
	return false
}

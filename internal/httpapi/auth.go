package httpapi

import (
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/session"
)

// Cookie names. The session cookie is HttpOnly; the CSRF cookie is readable by the console's
// script, which echoes it in X-CSRF-Token on every write (double submit).
const (
	SessionCookie = "cm_session"
	CSRFCookie    = "cm_csrf"
	CSRFHeader    = "X-CSRF-Token"
)

const keyPrincipal = "cm.principal"

// ProblemUnauthenticated is the problem type of a request without a valid session.
const (
	ProblemUnauthenticated = "urn:cm:problem:unauthenticated"
	ProblemThrottled       = "urn:cm:problem:too-many-login-attempts"
	ProblemCSRF            = "urn:cm:problem:csrf"
)

func unauthenticated(c *gin.Context) {
	c.Header("WWW-Authenticate", `Bearer realm="customer-management"`)
	writeProblem(c, Problem{Type: ProblemUnauthenticated, Title: "Log in first.", Status: http.StatusUnauthorized,
		Detail: "This request needs a valid session: log in at /v1/auth/login."})
}

// authenticate resolves the session of the request, from "Authorization: Bearer" or the session
// cookie, and refuses the request without one. Writes authenticated by the cookie must carry the
// CSRF token; API clients using the header need none.
func (s *server) authenticate(c *gin.Context) {
	token, fromCookie := bearer(c), false
	if token == "" {
		if ck, err := c.Cookie(SessionCookie); err == nil {
			token, fromCookie = ck, true
		}
	}
	if token == "" {
		unauthenticated(c)
		return
	}
	p, err := s.Sessions.Authenticate(c.Request.Context(), token)
	if errors.Is(err, session.ErrUnauthenticated) {
		unauthenticated(c)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	if fromCookie && !safeMethod(c.Request.Method) && !validCSRF(c) {
		writeProblem(c, Problem{Type: ProblemCSRF, Title: "Missing or wrong CSRF token.", Status: http.StatusForbidden,
			Detail: "Send the value of the " + CSRFCookie + " cookie in the " + CSRFHeader + " header."})
		return
	}
	c.Set(keyPrincipal, p)
	c.Next()
}

func bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func validCSRF(c *gin.Context) bool {
	ck, err := c.Cookie(CSRFCookie)
	h := c.GetHeader(CSRFHeader)
	return err == nil && ck != "" && subtle.ConstantTimeCompare([]byte(ck), []byte(h)) == 1
}

// principal returns the authenticated user of the request.
func principal(c *gin.Context) session.Principal {
	v, _ := c.Get(keyPrincipal)
	p, _ := v.(session.Principal)
	return p
}

// loginRequest is the body of POST /v1/auth/login.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login checks the credentials and opens a session: the token in the body for API clients, and
// the HttpOnly session cookie plus the CSRF cookie for the console. A wrong password and an
// unknown email get the same answer.
func (s *server) login(c *gin.Context) {
	var req loginRequest
	if !decodeJSON(c, &req, "application/json") {
		return
	}
	token, p, err := s.Sessions.Login(c.Request.Context(), req.Email, req.Password)
	var th *session.ThrottledError
	switch {
	case errors.As(err, &th):
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(th.RetryAfter.Seconds()))))
		writeProblem(c, Problem{Type: ProblemThrottled, Title: "Too many failed logins.", Status: http.StatusTooManyRequests,
			Detail: "Wait before trying again; the wait grows with each failure and never exceeds 15 minutes."})
		return
	case errors.Is(err, session.ErrInvalidCredentials):
		writeProblem(c, Problem{Type: ProblemUnauthenticated, Title: "Wrong email or password.", Status: http.StatusUnauthorized,
			Detail: "Wrong email or password."})
		return
	case err != nil:
		fail(c, err)
		return
	}
	csrf, _, err := auth.NewToken()
	if err != nil {
		fail(c, err)
		return
	}
	maxAge := int(time.Until(p.ExpiresAt).Seconds())
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.SetCookie(c.Writer, &http.Cookie{Name: CSRFCookie, Value: csrf, Path: "/", MaxAge: maxAge, Secure: s.SecureCookies, SameSite: http.SameSiteStrictMode})
	c.JSON(http.StatusOK, gin.H{"token": token, "expires_at": p.ExpiresAt.UTC(), "csrf_token": csrf, "user": s.meJSON(p)})
}

// logout ends the session and clears the cookies.
func (s *server) logout(c *gin.Context) {
	if err := s.Sessions.Logout(c.Request.Context(), principal(c)); err != nil {
		fail(c, err)
		return
	}
	for _, n := range []string{SessionCookie, CSRFCookie} {
		http.SetCookie(c.Writer, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, HttpOnly: n == SessionCookie, Secure: s.SecureCookies})
	}
	c.Status(http.StatusNoContent)
}

// meJSON is the logged-in user with what it may do.
func (s *server) meJSON(p session.Principal) gin.H {
	return gin.H{"id": p.User.ID, "name": p.User.Name, "email": p.User.Email, "role": p.User.Role,
		"customer_id": p.User.CustomerID, "permissions": p.Permissions, "session_expires_at": p.ExpiresAt.UTC()}
}

func (s *server) me(c *gin.Context) { c.JSON(http.StatusOK, s.meJSON(principal(c))) }

// changePasswordRequest is the body of PUT /v1/me/password.
type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
}

// changeMyPassword changes the user's own password after checking the current one; every session
// of the user ends, this one included.
func (s *server) changeMyPassword(c *gin.Context) {
	var req changePasswordRequest
	if !decodeJSON(c, &req, "application/json") {
		return
	}
	p := principal(c)
	ok, err := s.Sessions.CheckPassword(c.Request.Context(), p.User.ID, req.CurrentPassword)
	if err != nil {
		fail(c, err)
		return
	}
	if !ok {
		writeProblem(c, Problem{Type: ProblemValidation, Title: "Your request is not valid.", Status: http.StatusUnprocessableEntity,
			Detail: "The current password is wrong.", Errors: []domain.FieldError{{Field: "current_password", Detail: "is wrong"}}})
		return
	}
	res, err := s.Users.ChangePassword(c.Request.Context(), meta(c), p.User.ID, command.NewPassword{Password: req.Password, Confirm: req.PasswordConfirm}, true)
	if err != nil {
		fail(c, err)
		return
	}
	setConsistency(c, res.Seq)
	c.Status(http.StatusNoContent)
}

// roles serves the role and permission matrix.
func (s *server) roles(c *gin.Context) {
	type role struct {
		Name        string            `json:"name"`
		Permissions []auth.Permission `json:"permissions"`
	}
	m := auth.Matrix()
	out := make([]role, 0, len(m))
	for _, r := range auth.AllRoles() {
		out = append(out, role{Name: string(r), Permissions: m[r]})
	}
	c.JSON(http.StatusOK, gin.H{"roles": out, "permissions": auth.AllPermissions()})
}

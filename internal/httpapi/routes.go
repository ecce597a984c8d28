package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toffstech/customer-management/internal/console"
)

// routes lists the whole API.
func (s *server) routes(r *gin.Engine) {
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(s.Metrics.Handler()))
	r.GET("/openapi.yaml", serveOpenAPI)

	// The web console: a client of the API below, served from the binary.
	ui := console.Must()
	r.GET("/", func(c *gin.Context) { ui.Page(c.Writer, c.Request) })
	r.GET("/assets/*name", func(c *gin.Context) { ui.Asset(c.Writer, c.Request, c.Param("name")) })

	r.POST("/v1/auth/login", withTimeout(requestTimeout), s.login)

	// The raw event stream may follow the log for as long as the client reads: no request timeout.
	r.GET("/v1/events", s.authenticate, s.streamEvents)

	v1 := r.Group("/v1", withTimeout(requestTimeout), s.authenticate)
	v1.POST("/auth/logout", s.logout)
	v1.GET("/me", s.me)
	v1.PUT("/me/password", s.changeMyPassword)
	v1.GET("/roles", s.roles)

	// "/v1/customers:validate" is the customers collection with a custom method (AIP-136 style).
	v1.POST("/customers", s.idempotent, s.createCustomer)
	v1.POST("/customers\\:validate", s.validateCustomer)
	v1.GET("/customers", s.consistent, s.listCustomers)
	v1.GET("/customers/:id", s.consistent, s.getCustomer)
	v1.GET("/customers/:id/manageable-parents", s.consistent, s.manageableParents)
	v1.PATCH("/customers/:id", s.idempotent, s.updateCustomer)
	v1.DELETE("/customers/:id", s.idempotent, s.deleteCustomer)
	// POST /v1/customers/{id}:erase; Gin sees "{id}:erase" as the parameter.
	v1.POST("/customers/:id", s.idempotent, s.customerAction)

	v1.GET("/customers/:id/history", s.consistent, s.history)
	v1.GET("/customers/:id/history/verify", s.verifyHistory)
	v1.GET("/audit", s.consistent, s.auditLog)

	v1.POST("/customers/:id/domains", s.idempotent, s.addDomain)
	v1.GET("/customers/:id/domains", s.consistent, s.listDomains)
	v1.GET("/domains/:id", s.consistent, s.getDomain)
	v1.PATCH("/domains/:id", s.idempotent, s.updateDomain)
	v1.DELETE("/domains/:id", s.idempotent, s.removeDomain)

	v1.POST("/customers/:id/exports", s.idempotent, s.requestExport)
	v1.GET("/customers/:id/exports", s.consistent, s.listExports)
	v1.GET("/exports/:id", s.getExport)
	v1.GET("/exports/:id/download", s.downloadExport)

	v1.POST("/users", s.idempotent, s.createUser)
	v1.GET("/users", s.consistent, s.listUsers)
	v1.GET("/users/:id", s.consistent, s.getUser)
	v1.PATCH("/users/:id", s.idempotent, s.updateUser)
	v1.DELETE("/users/:id", s.idempotent, s.deleteUser)
	// POST /v1/users/{id}:disable and :enable; Gin sees "{id}:disable" as the parameter.
	v1.POST("/users/:id", s.idempotent, s.userAction)
	v1.PUT("/users/:id/permissions", s.idempotent, s.setPermissions)

	r.NoRoute(func(c *gin.Context) {
		writeProblem(c, Problem{Type: ProblemNotFound, Title: "Not found.", Status: http.StatusNotFound, Detail: "No such endpoint."})
	})
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, Problem{Type: ProblemMethodNotAllowed, Title: "Method not allowed.", Status: http.StatusMethodNotAllowed,
			Detail: "This endpoint does not accept " + c.Request.Method + "."})
	})
}

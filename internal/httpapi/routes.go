package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// routes lists the whole API.
func (s *server) routes(r *gin.Engine) {
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(s.Metrics.Handler()))
	r.GET("/openapi.yaml", serveOpenAPI)

	v1 := r.Group("/v1", withTimeout(requestTimeout), s.authenticate)
	v1.POST("/customers", s.idempotent, s.createCustomer)
	v1.GET("/customers", s.consistent, s.listCustomers)
	v1.GET("/customers/:id", s.consistent, s.getCustomer)
	v1.PATCH("/customers/:id", s.idempotent, s.updateCustomer)
	v1.DELETE("/customers/:id", s.idempotent, s.deleteCustomer)

	r.NoRoute(func(c *gin.Context) {
		writeProblem(c, Problem{Type: ProblemNotFound, Title: "Not found.", Status: http.StatusNotFound, Detail: "No such endpoint."})
	})
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, Problem{Type: ProblemMethodNotAllowed, Title: "Method not allowed.", Status: http.StatusMethodNotAllowed,
			Detail: "This endpoint does not accept " + c.Request.Method + "."})
	})
}

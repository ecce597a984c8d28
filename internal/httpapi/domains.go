package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/query"
)

// domainJSON is the domain resource: the reference's JSON shape plus identity and version.
type domainJSON struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    uint64    `json:"version"`
	events.DomainSettings
}

func (s *server) sendDomain(c *gin.Context, status int, res command.DomainResult) {
	d := res.Domain
	c.Header("ETag", etag(d.Version))
	setConsistency(c, res.Seq)
	if status == http.StatusCreated {
		c.Header("Location", "/v1/domains/"+d.ID)
	}
	c.JSON(status, domainJSON{ID: d.ID, CustomerID: d.CustomerID, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version, DomainSettings: d.Settings})
}

// readBodyJSON reads the body as one JSON object of the given media types, without decoding it
// into a type yet; it answers the problem itself and returns false on failure.
func readBodyJSON(c *gin.Context, types ...string) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if !decodeJSON(c, &m, types...) {
		return nil, false
	}
	return m, true
}

// decodeSettings decodes a settings object strictly over base: fields the object omits keep
// base's values; unknown fields and wrong types are named in a 400.
func decodeSettings(c *gin.Context, base events.DomainSettings, obj []byte) (events.DomainSettings, bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&base); err != nil {
		explainDecodeError(c, err)
		return events.DomainSettings{}, false
	}
	return base, true
}

// addDomain serves POST /v1/customers/{id}/domains: the settings the body omits take the
// defaults of a new domain.
func (s *server) addDomain(c *gin.Context) {
	customerID, ok := pathID(c)
	if !ok {
		return
	}
	obj, ok := readBodyJSON(c, "application/json")
	if !ok {
		return
	}
	body, _ := json.Marshal(obj)
	settings, ok := decodeSettings(c, domain.DefaultDomainSettings(), body)
	if !ok {
		return
	}
	res, err := s.Domains.AddDomain(c.Request.Context(), meta(c), customerID, settings)
	if err != nil {
		fail(c, err)
		return
	}
	s.sendDomain(c, http.StatusCreated, res)
}

func (s *server) getDomain(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	d, err := s.Domains.GetDomain(c.Request.Context(), meta(c), id)
	if err != nil {
		fail(c, err)
		return
	}
	s.sendDomain(c, http.StatusOK, command.DomainResult{Domain: d, Seq: d.LastSeq})
}

// updateDomain serves PATCH /v1/domains/{id}: a JSON merge patch (RFC 7386) of the settings, and
// customer_id to move the domain to another customer.
func (s *server) updateDomain(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	patch, ok := readBodyJSON(c, "application/merge-patch+json", "application/json")
	if !ok {
		return
	}
	var ch command.DomainChange
	if raw, has := patch["customer_id"]; has {
		delete(patch, "customer_id")
		if err := json.Unmarshal(raw, &ch.CustomerID); err != nil || ch.CustomerID == "" {
			badRequest(c, "customer_id must be a customer id.", domain.FieldError{Field: "customer_id", Detail: "must be a UUID"})
			return
		}
		ch.CustomerID = strings.ToLower(ch.CustomerID)
	}
	for _, f := range []string{"id", "created_at", "updated_at", "version"} {
		if _, has := patch[f]; has {
			badRequest(c, "The body has a field that cannot be changed.", domain.FieldError{Field: f, Detail: "cannot be changed"})
			return
		}
	}
	var decodeFailed bool
	if len(patch) > 0 {
		ch.Settings = func(cur events.DomainSettings) (events.DomainSettings, error) {
			curJSON, err := json.Marshal(cur)
			if err != nil {
				return events.DomainSettings{}, err
			}
			var target any
			if err := json.Unmarshal(curJSON, &target); err != nil {
				return events.DomainSettings{}, err
			}
			var p any
			pj, _ := json.Marshal(patch)
			if err := json.Unmarshal(pj, &p); err != nil {
				return events.DomainSettings{}, err
			}
			merged, _ := json.Marshal(mergePatch(target, p))
			next, ok := decodeSettings(c, events.DomainSettings{}, merged)
			if !ok {
				decodeFailed = true
				return events.DomainSettings{}, errAnswered
			}
			return next, nil
		}
	}
	m := meta(c)
	ifMatch(c, &m)
	res, err := s.Domains.UpdateDomain(c.Request.Context(), m, id, ch)
	if decodeFailed {
		return // the problem was answered while decoding
	}
	if err != nil {
		fail(c, err)
		return
	}
	s.sendDomain(c, http.StatusOK, res)
}

func (s *server) removeDomain(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		return
	}
	m := meta(c)
	ifMatch(c, &m)
	res, err := s.Domains.RemoveDomain(c.Request.Context(), m, id)
	if err != nil {
		fail(c, err)
		return
	}
	setConsistency(c, res.Seq)
	c.Status(http.StatusNoContent)
}

// errAnswered says the problem was already written to the response.
var errAnswered = errors.New("httpapi: answered")

// mergePatch applies an RFC 7386 JSON merge patch to target.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// DomainLister is the read model the domain list queries.
type DomainLister interface {
	List(ctx context.Context, p query.DomainListParams) (query.DomainPage, error)
}

// domainSorts are the accepted sort orders of a domain list.
var domainSorts = map[string]bool{"host": true, "-host": true, "created_at": true, "-created_at": true}

// listDomains serves GET /v1/customers/{id}/domains: the customer's domains, searchable by host.
func (s *server) listDomains(c *gin.Context) {
	customerID, ok := pathID(c)
	if !ok {
		return
	}
	if _, _, err := s.Customers.GetCustomer(c.Request.Context(), meta(c), customerID); err != nil {
		fail(c, err) // out of reach: 404
		return
	}
	if !principal(c).Permissions.Has(auth.DomainView) {
		fail(c, &domain.Error{Code: domain.Forbidden, Message: "You do not have the permission \"Domain View\"."})
		return
	}
	p := query.DomainListParams{CustomerID: customerID, Q: c.Query("q"), Sort: c.DefaultQuery("sort", "host"), Cursor: c.Query("cursor")}
	var none string
	var errs []domain.FieldError
	p.Limit, errs = listBasics(c, p.Q, &none, "", "name")
	if !domainSorts[p.Sort] {
		errs = append(errs, domain.FieldError{Field: "sort", Detail: "must be one of host, -host, created_at, -created_at"})
	}
	if len(errs) > 0 {
		badRequest(c, "The query parameters are not valid.", errs...)
		return
	}
	p.WithinCustomer = scopeOf(c)
	page, err := s.DomainList.List(c.Request.Context(), p)
	if !listError(c, err) {
		return
	}
	writePage(c, page.Items, page.NextCursor)
}

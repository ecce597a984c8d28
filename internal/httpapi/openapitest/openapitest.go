// Package openapitest checks HTTP exchanges against the api's OpenAPI document, so every test that
// talks HTTP to the api also proves the document describes what the api does.
package openapitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/toffstech/customer-management/internal/httpapi"
)

var (
	once    sync.Once
	spec    validator.Validator
	specErr error
)

func load() (validator.Validator, error) {
	once.Do(func() {
		doc, err := libopenapi.NewDocument(httpapi.OpenAPI)
		if err != nil {
			specErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			specErr = fmt.Errorf("openapi: %v", errs)
			return
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			specErr = fmt.Errorf("openapi document is invalid: %v", verrs)
			return
		}
		spec = v
	})
	return spec, specErr
}

// Check fails t when resp (whose body was read into body) does not match the document for req.
// Undocumented routes may answer 404 or 405 with a problem; everything else must be documented.
func Check(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	v, err := load()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { resp.Body = io.NopCloser(bytes.NewReader(body)) }()
	if resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") == "application/x-ndjson" {
		// NDJSON: the document describes one line; check each.
		for _, line := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
			if len(line) > 0 {
				check(t, v, req, resp, line)
			}
		}
		return
	}
	check(t, v, req, resp, body)
}

func check(t testing.TB, v validator.Validator, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ok, errs := v.ValidateHttpResponse(req, resp)
	if ok {
		return
	}
	if (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed) && len(errs) == 1 &&
		strings.Contains(errs[0].Message, "not found") {
		return
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Message+": "+e.Reason)
		for _, se := range e.SchemaValidationErrors {
			msgs = append(msgs, "  "+se.Reason+" at "+se.FieldPath)
		}
	}
	t.Errorf("%s %s → %d does not match the OpenAPI document:\n%s\nbody: %.500s", req.Method, req.URL.Path, resp.StatusCode, strings.Join(msgs, "\n"), body)
}

// Client is an http.Client transport that checks every response it receives.
type Client struct {
	T    testing.TB
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (c Client) RoundTrip(req *http.Request) (*http.Response, error) {
	base := c.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	Check(c.T, req, resp, body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

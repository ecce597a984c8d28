package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/toffstech/customer-management/internal/httpapi"
)

// maxIdleConns is how many keep-alive connections the client keeps to the api: more than the
// concurrent clients, so no request has to dial.
const maxIdleConns = 64

// apiClient calls the HTTP api over loopback with keep-alive connections.
type apiClient struct {
	base string
	http *http.Client
	// token is the bearer token of the logged-in operator.
	token string
	// owners numbers the owners of the customers the client creates.
	owners atomic.Int64
}

// The bench's first operator.
const (
	benchOperator = "bench@toffstech.example"
	benchPassword = "bench operator passphrase"
)

// login logs in and keeps the token for every later request.
func (c *apiClient) login(ctx context.Context, email, password string) error {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	_, b, err := c.do(ctx, http.MethodPost, "/v1/auth/login", "application/json", body, http.StatusOK)
	if err != nil {
		return err
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		return fmt.Errorf("login: no token in %.200s", b)
	}
	c.token = out.Token
	return nil
}

// newAPIClient returns a client of the api at base ("http://127.0.0.1:port").
func newAPIClient(base string) *apiClient {
	tr := &http.Transport{
		MaxIdleConns:        maxIdleConns,
		MaxIdleConnsPerHost: maxIdleConns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &apiClient{base: base, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// close drops the idle connections.
func (c *apiClient) close() { c.http.CloseIdleConnections() }

// do sends a request and reads the whole body, so the connection is reused. It fails unless the
// status is want.
func (c *apiClient) do(ctx context.Context, method, path, contentType string, body []byte, want int) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != want {
		if len(b) > 300 {
			b = b[:300]
		}
		return nil, nil, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return resp, b, nil
}

// waitHealthy polls /healthz until it answers 200 or timeout passes.
func (c *apiClient) waitHealthy(ctx context.Context, timeout time.Duration) error {
	return poll(ctx, timeout, 10*time.Millisecond, func() (bool, error) {
		_, _, err := c.do(ctx, http.MethodGet, "/healthz", "", nil, http.StatusOK)
		return err == nil, nil
	})
}

// createCustomer creates a root customer, with its owner, and returns its id.
func (c *apiClient) createCustomer(ctx context.Context, name, address string) (string, error) {
	owner := map[string]string{"name": "Owner", "email": fmt.Sprintf("owner-%d@bench.example", c.owners.Add(1)),
		"password": benchPassword, "password_confirm": benchPassword}
	body, _ := json.Marshal(map[string]any{"name": name, "address": address, "owner": owner})
	_, b, err := c.do(ctx, http.MethodPost, "/v1/customers", "application/json", body, http.StatusCreated)
	if err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("create customer: no id in %s", b)
	}
	return out.ID, nil
}

// patchAddress changes a customer's address, without If-Match, and returns the response's
// consistency token.
func (c *apiClient) patchAddress(ctx context.Context, id, address string) (uint64, error) {
	body, _ := json.Marshal(map[string]string{"address": address})
	resp, _, err := c.do(ctx, http.MethodPatch, "/v1/customers/"+id, "application/merge-patch+json", body, http.StatusOK)
	if err != nil {
		return 0, err
	}
	tok := resp.Header.Get(httpapi.ConsistencyHeader)
	seq, err := strconv.ParseUint(tok, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("PATCH /v1/customers/%s: consistency token %q: %w", id, tok, err)
	}
	return seq, nil
}

// get sends a GET that must answer 200 and returns the body.
func (c *apiClient) get(ctx context.Context, path string) ([]byte, error) {
	_, b, err := c.do(ctx, http.MethodGet, path, "", nil, http.StatusOK)
	return b, err
}

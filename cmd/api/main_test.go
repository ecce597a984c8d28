package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/httpapi/openapitest"
	"github.com/toffstech/customer-management/internal/testenv"
)

// startAPI runs the real api program until the returned stop is called.
func startAPI(t *testing.T, env map[string]string) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out testenv.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, &out) }()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	testenv.WaitFor(t, 20*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("api exited early: %v\n%s", err, out.String())
		default:
		}
		return re.MatchString(out.String())
	}, "api never listened")
	base = re.FindStringSubmatch(out.String())[1]
	testenv.WaitFor(t, 10*time.Second, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return base, func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("api stopped with %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("api did not stop within 15 s")
		}
	}
}

// login logs the test operator in and returns its bearer token.
func login(t *testing.T, base string) string {
	t.Helper()
	resp, m := send(t, "POST", base+"/v1/auth/login", `{"email":"`+adminEmail+`","password":"`+adminPassword+`"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %v", resp.StatusCode, m)
	}
	return m["token"].(string)
}

const (
	adminEmail    = "ops@toffstech.example"
	adminPassword = "operator passphrase for tests"
	// ownerJSON is the owner part of a customer create.
	ownerJSON = `"owner":{"name":"Owner","email":"owner@example.com","password":"owner passphrase 12","password_confirm":"owner passphrase 12"}`
)

func send(t *testing.T, method, url, body string, header ...string) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Transport: openapitest.Client{T: t}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

// TestRestartKeepsEverything restarts the api on the same NATS and Postgres: customers, versions
// and idempotency records survive.
func TestRestartKeepsEverything(t *testing.T) {
	env := map[string]string{
		"NATS_URL": testenv.NATS(t), "DATABASE_URL": testenv.Postgres(t),
		"HTTP_ADDR": testenv.FreeAddr(t), "LOG_LEVEL": "error",
		"ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword,
	}
	base, stop := startAPI(t, env)
	tok := "Bearer " + login(t, base)
	resp, c := send(t, "POST", base+"/v1/customers", `{"name":"Acme","address":"1 Main St",`+ownerJSON+`}`, "Idempotency-Key", "restart-1", "Authorization", tok)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, c)
	}
	id := c["id"].(string)
	stop()

	base, stop = startAPI(t, env)
	defer stop()
	// The session survives the restart: it lives in NATS, not in the process.
	resp, got := send(t, "GET", base+"/v1/customers/"+id, "", "Authorization", tok)
	if resp.StatusCode != 200 || got["name"] != "Acme" || resp.Header.Get("ETag") != `"1"` {
		t.Fatalf("after restart: %d %v", resp.StatusCode, got)
	}
	resp, again := send(t, "POST", base+"/v1/customers", `{"name":"Acme","address":"1 Main St",`+ownerJSON+`}`, "Idempotency-Key", "restart-1", "Authorization", tok)
	if resp.StatusCode != 201 || again["id"] != id || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("idempotent replay after restart: %d %v", resp.StatusCode, again)
	}
	resp, _ = send(t, "PATCH", base+"/v1/customers/"+id, `{"address":"2"}`, "If-Match", `"1"`, "Authorization", tok)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"2"` {
		t.Fatalf("patch after restart: %d", resp.StatusCode)
	}
	if resp, r := send(t, "GET", base+"/readyz", ""); resp.StatusCode != 200 {
		t.Fatalf("readyz: %d %v", resp.StatusCode, r)
	}
}

// TestEmbeddedNATSKeepsDataInItsDir runs the api the way `make run` does: no NATS_URL, so it embeds
// a JetStream server whose data survives a restart.
func TestEmbeddedNATSKeepsDataInItsDir(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": testenv.Postgres(t), "HTTP_ADDR": testenv.FreeAddr(t), "LOG_LEVEL": "error",
		"NATS_DATA_DIR": t.TempDir(), "NATS_EMBED_ADDR": testenv.FreeAddr(t),
		"ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword,
	}
	base, stop := startAPI(t, env)
	tok := "Bearer " + login(t, base)
	resp, c := send(t, "POST", base+"/v1/customers", `{"name":"Embedded",`+ownerJSON+`}`, "Authorization", tok)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, c)
	}
	stop()
	base, stop = startAPI(t, env)
	defer stop()
	if resp, got := send(t, "GET", base+"/v1/customers/"+c["id"].(string), "", "Authorization", tok); resp.StatusCode != 200 || got["name"] != "Embedded" {
		t.Fatalf("after restart: %d %v", resp.StatusCode, got)
	}
}

func TestBadConfigurationFails(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"replicas":  {"NATS_REPLICAS": "three"},
		"wait":      {"CONSISTENCY_WAIT": "soon"},
		"nats sync": {"NATS_SYNC": "sometimes", "NATS_DATA_DIR": t.TempDir(), "NATS_EMBED_ADDR": testenv.FreeAddr(t)},
	} {
		err := run(context.Background(), func(k string) string { return env[k] }, io.Discard)
		if err == nil {
			t.Errorf("%s: run accepted a bad setting", name)
		}
	}
}

// TestGeneratedOperatorPassword: without ADMIN_PASSWORD the first start prints a generated
// password once, and it works; a second start prints nothing.
func TestGeneratedOperatorPassword(t *testing.T) {
	env := map[string]string{
		"NATS_URL": testenv.NATS(t), "DATABASE_URL": testenv.Postgres(t),
		"HTTP_ADDR": testenv.FreeAddr(t), "LOG_LEVEL": "error", "ADMIN_EMAIL": adminEmail,
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out testenv.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, &out) }()
	testenv.WaitFor(t, 20*time.Second, func() bool { return strings.Contains(out.String(), "listening on") }, "api never listened")
	m := regexp.MustCompile(`password (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no generated password printed:\n%s", out.String())
	}
	base := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(out.String())[1]
	resp, body := send(t, "POST", base+"/v1/auth/login", `{"email":"`+adminEmail+`","password":"`+m[1]+`"}`)
	if resp.StatusCode != 200 || body["user"].(map[string]any)["role"] != "Toffstech Support" {
		t.Fatalf("login with the printed password: %d %v", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	base2, stop := startAPI(t, env)
	defer stop()
	resp, _ = send(t, "POST", base2+"/v1/auth/login", `{"email":"`+adminEmail+`","password":"`+m[1]+`"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("the password must survive a restart: %d", resp.StatusCode)
	}
}

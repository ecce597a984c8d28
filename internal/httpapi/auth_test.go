package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/httpapi/openapitest"
)

// TestCookieSessionAndCSRF logs in as a browser does: the session cookie is HttpOnly, reads work
// with it alone, and a write needs the CSRF token echoed from the readable cookie.
func TestCookieSessionAndCSRF(t *testing.T) {
	s := newStack(t, stackOptions{})
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Transport: openapitest.Client{T: t}}
	send := func(method, path, body string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := send("POST", "/v1/auth/login", `{"email":"`+operatorEmail+`","password":"`+operatorPassword+`"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var csrf string
	for _, c := range resp.Cookies() {
		switch c.Name {
		case "cm_session":
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie %+v must be HttpOnly and SameSite=Lax", c)
			}
		case "cm_csrf":
			csrf = c.Value
			if c.HttpOnly {
				t.Error("the CSRF cookie must be readable by the page's script")
			}
		}
	}
	if csrf == "" {
		t.Fatal("no CSRF cookie")
	}
	if r := send("GET", "/v1/me", ""); r.StatusCode != 200 {
		t.Fatalf("read with the cookie: %d", r.StatusCode)
	}
	body := `{"name":"Cookie Co","owner":{"name":"O","email":"cookie@example.com","password":"cookie passphrase 1","password_confirm":"cookie passphrase 1"}}`
	if r := send("POST", "/v1/customers", body); r.StatusCode != http.StatusForbidden {
		t.Fatalf("write with the cookie and no CSRF token: %d", r.StatusCode)
	}
	if r := send("POST", "/v1/customers", body, "X-CSRF-Token", "wrong"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("write with a wrong CSRF token: %d", r.StatusCode)
	}
	if r := send("POST", "/v1/customers", body, "X-CSRF-Token", csrf); r.StatusCode != http.StatusCreated {
		t.Fatalf("write with the CSRF token: %d", r.StatusCode)
	}
	if r := send("POST", "/v1/auth/logout", "", "X-CSRF-Token", csrf); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	if r := send("GET", "/v1/me", ""); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", r.StatusCode)
	}
}

// TestLoginAnswers: wrong password and unknown email get byte-identical answers; repeated failures
// are throttled with 429 and Retry-After.
func TestLoginAnswers(t *testing.T) {
	s := newStack(t, stackOptions{})
	wrong := s.doAs(t, "", "POST", "/v1/auth/login", map[string]any{"email": operatorEmail, "password": "not the right password"})
	unknown := s.doAs(t, "", "POST", "/v1/auth/login", map[string]any{"email": "nobody@example.com", "password": "not the right password"})
	strip := func(b []byte) string { // the request id differs by design
		m := map[string]any{}
		_ = jsonUnmarshal(b, &m)
		delete(m, "request_id")
		return strconv.Quote(strings.TrimSpace(mapString(m)))
	}
	if wrong.StatusCode != 401 || unknown.StatusCode != 401 || strip(wrong.body) != strip(unknown.body) {
		t.Fatalf("answers differ: %d %s / %d %s", wrong.StatusCode, wrong.body, unknown.StatusCode, unknown.body)
	}
	var last response
	for range 5 {
		last = s.doAs(t, "", "POST", "/v1/auth/login", map[string]any{"email": operatorEmail, "password": "not the right password"})
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("after 6 failures: %d %v", last.StatusCode, last.Header)
	}
	// Other accounts are not affected.
	if r := s.doAs(t, "", "POST", "/v1/auth/login", map[string]any{"email": "nobody@example.com", "password": "x"}); r.StatusCode != 401 {
		t.Fatalf("another account: %d", r.StatusCode)
	}
}

// TestNoSecretInTheLog creates, logs in, changes passwords, and then scans every byte of the
// stream for the passwords, the tokens and anything that looks like a password hash.
func TestNoSecretInTheLog(t *testing.T) {
	s := newStack(t, stackOptions{})
	const ownerPW, newPW = "first owner passphrase", "second owner passphrase"
	c := s.create(t, map[string]any{"name": "Secretive", "owner": map[string]any{"name": "O", "email": "sec@example.com", "password": ownerPW, "password_confirm": ownerPW}})
	owner := c.json(t)["owner"].(map[string]any)["id"].(string)
	tok := s.login(t, "sec@example.com", ownerPW)
	if r := s.doAs(t, tok, "PUT", "/v1/me/password", map[string]any{"current_password": ownerPW, "password": newPW, "password_confirm": newPW}); r.StatusCode != 204 {
		t.Fatalf("change password: %d %s", r.StatusCode, r.body)
	}
	tok2 := s.login(t, "sec@example.com", newPW)
	if r := s.doAs(t, tok2, "GET", "/v1/users/"+owner, nil); r.StatusCode != 200 || bytes.Contains(r.body, []byte("argon2")) {
		t.Fatalf("user read: %d %s", r.StatusCode, r.body)
	}
	raw := streamBytes(t, s)
	for _, secret := range []string{ownerPW, newPW, operatorPassword, tok, tok2, "$argon2id$"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the event stream contains %q", secret)
		}
	}
	var rows int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE row_to_json(users)::text LIKE '%argon2%'`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("read table holds hashes: %d %v", rows, err)
	}
}

func streamBytes(t *testing.T, s *stack) []byte {
	t.Helper()
	ctx := context.Background()
	info, err := s.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := s.stream.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		all.WriteString(m.Subject)
		for k, v := range m.Header {
			all.WriteString(k + strings.Join(v, ","))
		}
		all.Write(m.Data)
	}
	if all.Len() == 0 || !bytes.Contains(all.Bytes(), []byte(events.UserCreated)) {
		t.Fatal("the scan read no user events")
	}
	return all.Bytes()
}

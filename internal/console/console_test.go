package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, serve func(http.ResponseWriter, *http.Request), header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	serve(w, r)
	return w
}

func TestPageAndAssets(t *testing.T) {
	h := Must()
	page := get(t, h.Page)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `src="/assets/app.js"`) {
		t.Fatalf("page: %d %.200s", page.Code, page.Body.String())
	}
	if ct := page.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("page Content-Type %q", ct)
	}
	csp := page.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
		t.Errorf("CSP allows more than the console's own files: %q", csp)
	}

	// Every file the page and the modules name is served, with a type the browser accepts.
	for name, wantType := range map[string]string{"app.js": "text/javascript", "style.css": "text/css", "pages/customers.js": "text/javascript"} {
		w := get(t, func(w http.ResponseWriter, r *http.Request) { h.Asset(w, r, "/"+name) })
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), wantType) {
			t.Errorf("%s: %d %q", name, w.Code, w.Header().Get("Content-Type"))
		}
		// Revalidation: the same ETag answers 304 without a body.
		again := get(t, func(w http.ResponseWriter, r *http.Request) { h.Asset(w, r, "/"+name) }, "If-None-Match", w.Header().Get("ETag"))
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("%s revalidated: %d, %d bytes", name, again.Code, again.Body.Len())
		}
	}
	for _, name := range []string{"/nope.js", "/../console.go", "/index.html", "/static/app.js", "/"} {
		if w := get(t, func(w http.ResponseWriter, r *http.Request) { h.Asset(w, r, name) }); w.Code != http.StatusNotFound {
			t.Errorf("asset %q: %d, want 404", name, w.Code)
		}
	}
}

// TestEveryModuleImportResolves: each relative import of each module names an embedded file, so
// no page fails to load for a typo the browser tests might not reach.
func TestEveryModuleImportResolves(t *testing.T) {
	h := Must()
	n := 0
	for name, f := range h.files {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		dir := ""
		if i := strings.LastIndex(name, "/"); i >= 0 {
			dir = name[:i+1]
		}
		for _, line := range strings.Split(string(f.body), "\n") {
			i := strings.Index(line, " from '")
			if !strings.HasPrefix(line, "import ") || i < 0 {
				continue
			}
			spec := line[i+len(" from '"):]
			spec = spec[:strings.Index(spec, "'")]
			target := resolve(dir, spec)
			if _, ok := h.files[target]; !ok {
				t.Errorf("%s imports %q: no file %q", name, spec, target)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("found only %d imports", n)
	}
}

func resolve(dir, spec string) string {
	p := dir + spec
	var out []string
	for _, part := range strings.Split(p, "/") {
		switch part {
		case ".", "":
		case "..":
			out = out[:len(out)-1]
		default:
			out = append(out, part)
		}
	}
	return strings.Join(out, "/")
}

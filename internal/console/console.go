// Package console is the web console: the user guide's pages (List Customer, Add Customer, Update
// Customer, List User, Audit Log, …) as a small single-page application that uses only the public
// JSON API, like any other client. Its files are embedded in the binary (no build step, nothing
// loaded from the internet): plain HTML, CSS and JavaScript modules under static/.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// securityHeaders are sent with every console file. The content security policy allows only the
// console's own files and the API on the same origin: no inline script, no third party.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "same-origin",
	"X-Frame-Options":        "DENY",
}

// file is one embedded file, with its strong ETag.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the console: "/" is the application's page, "/assets/<name>" its files. Files are
// revalidated on every load (ETag), so a new binary's console is used at once.
type Handler struct {
	files map[string]file
}

// New returns the console's handler.
func New() (*Handler, error) {
	h := &Handler{files: map[string]file{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.files[strings.TrimPrefix(p, "static/")] = file{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := h.files["index.html"]; !ok {
		return nil, fs.ErrNotExist
	}
	return h, nil
}

// Page serves the application's page.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) { h.serve(w, r, "index.html") }

// Asset serves one file under /assets/; name is the path below it.
func (h *Handler) Asset(w http.ResponseWriter, r *http.Request, name string) {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if name == "index.html" {
		http.NotFound(w, r)
		return
	}
	h.serve(w, r, name)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, name string) {
	f, ok := h.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", f.etag)
	if match := r.Header.Get("If-None-Match"); match != "" && match == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(f.body)
}

// Must returns New's handler, and panics when the embedded files are broken (a build error).
func Must() *Handler {
	h, err := New()
	if err != nil {
		panic("console: " + err.Error())
	}
	return h
}

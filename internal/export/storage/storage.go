// Package storage keeps export files (CSV) in object storage behind one small
// port, Store, with two real adapters:
//
//   - NATSObjectStore, the default, keeps files in a JetStream Object Store
//     bucket (cm_exports), so nothing extra has to run.
//   - S3Store keeps them in any S3-compatible storage (minio-go, path-style
//     addressing) and hands out presigned download URLs.
//
// NewFromConfig picks one from a Config, which ConfigFromEnv reads from the
// environment (EXPORT_STORE, S3_*; see ConfigFromEnv).
//
// Both adapters guarantee that a file becomes readable under its key only when
// it is complete: a Put whose reader fails, whose context is cancelled or whose
// process dies part way leaves nothing under the key (and an earlier,
// complete object with the same key stays as it was). How each adapter does it
// is described on NATSObjectStore and S3Store.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Store keeps export files. Implementations are safe for concurrent use.
type Store interface {
	// Put streams r into the object key; the object appears only when
	// complete (a failed or cancelled Put leaves nothing readable). Returns
	// size and sha256 hex. Memory use does not depend on the size of the
	// stream. An existing object with the same key is replaced atomically.
	Put(ctx context.Context, key string, r io.Reader, meta Meta) (Info, error)
	// Open returns a reader of the object (ErrNotFound). The caller must
	// close it. ctx covers the whole read, not only the call.
	Open(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// URL returns a presigned GET URL valid for ttl (≤ 5 min, longer is
	// capped at MaxURLTTL) with Content-Disposition attachment filename, or
	// ("", ErrNoPresign) when the store cannot presign (then the api streams
	// via Open). It returns ErrNotFound when the object does not exist.
	URL(ctx context.Context, key string, ttl time.Duration, filename string) (string, error)
	// Delete removes the object. Deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// List returns keys with prefix and their creation times, for expiry
	// sweeps, sorted by key. Size and Created are always set; SHA256 only
	// where the store returns it with the listing (NATS does, S3 does not).
	List(ctx context.Context, prefix string) ([]Info, error)
}

// Meta describes a file being stored.
type Meta struct {
	// ContentType defaults to DefaultContentType.
	ContentType string
	// Filename is the name a browser saves the file as (optional). S3Store
	// also stores it as the object's Content-Disposition.
	Filename string
}

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	SHA256  string // lower-case hex
	Created time.Time
}

// Errors the stores return; test with errors.Is.
var (
	// ErrNotFound: no (complete) object exists under the key.
	ErrNotFound = errors.New("storage: object not found")
	// ErrNoPresign: the store cannot hand out presigned URLs; stream the
	// object from Open instead.
	ErrNoPresign = errors.New("storage: store cannot presign URLs")
	// ErrInvalidKey: the key is empty, too long, not clean UTF-8 or uses the
	// reserved "tmp/" prefix. The error message says which.
	ErrInvalidKey = errors.New("storage: invalid object key")
	// ErrUnavailable: the store could not be reached (network error or no
	// answer in time); the operation may succeed when retried later.
	ErrUnavailable = errors.New("storage: store unreachable")
)

const (
	// DefaultContentType is stored when Meta.ContentType is empty.
	DefaultContentType = "text/csv; charset=utf-8"
	// MaxURLTTL caps the validity of presigned URLs.
	MaxURLTTL = 5 * time.Minute
	// MaxKeyLen is the longest key accepted, in bytes.
	MaxKeyLen = 512
	// tmpPrefix is reserved for S3Store's in-progress uploads.
	tmpPrefix = "tmp/"
)

// ValidateKey reports whether key can name an object in every store: 1 to
// MaxKeyLen bytes of UTF-8 without control characters, '/'-separated
// segments that are neither empty nor "." or "..", and not under the
// reserved prefix "tmp/".
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: %d bytes, at most %d allowed", ErrInvalidKey, len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidKey, key)
	case strings.HasPrefix(key, tmpPrefix):
		return fmt.Errorf("%w: %q uses the reserved prefix %q", ErrInvalidKey, key, tmpPrefix)
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %q contains a control character", ErrInvalidKey, key)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, \".\" or \"..\" path segment", ErrInvalidKey, key)
		}
	}
	return nil
}

// ContentDisposition returns `attachment; filename="<filename>"` for use as a
// Content-Disposition header. Characters that cannot appear in a quoted
// ASCII filename are replaced by '_' there, and a filename containing any
// adds the exact name as a filename* parameter, UTF-8 and percent-encoded
// (RFC 6266, RFC 5987).
// An empty filename gives plain "attachment".
func ContentDisposition(filename string) string {
	if filename == "" {
		return "attachment"
	}
	var ascii strings.Builder
	exact := true
	for _, r := range filename {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			ascii.WriteByte('_')
			exact = false
			continue
		}
		ascii.WriteRune(r)
	}
	v := `attachment; filename="` + ascii.String() + `"`
	if !exact {
		v += "; filename*=UTF-8''" + rfc5987Escape(filename)
	}
	return v
}

// rfc5987Escape percent-encodes every byte of s that is not an attr-char of
// RFC 5987 (letters, digits and !#$&+-.^_`|~).
func rfc5987Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// contentType returns meta's content type or the default.
func (m Meta) contentType() string {
	if m.ContentType != "" {
		return m.ContentType
	}
	return DefaultContentType
}

// ctxReader fails its reads with the context's error once ctx is done, so a
// cancelled Put stops at the next read even when the store itself keeps
// going on a context that is not cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

package csvexport

import (
	"crypto/sha256"
	"hash"
)

// Option configures a Writer.
type Option func(*options)

// options holds what the Options set.
type options struct {
	hash hash.Hash
}

// WithSHA256 makes the Writer hash every byte it hands to the underlying io.Writer with SHA-256, so
// that Sum reports the file's digest without the file being kept in memory.
func WithSHA256() Option {
	return func(o *options) { o.hash = sha256.New() }
}

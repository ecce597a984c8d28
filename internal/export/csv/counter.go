package csvexport

import (
	"hash"
	"io"
)

// countingWriter passes writes through to w, counting the bytes w accepted and, when h is set,
// hashing them.
type countingWriter struct {
	w io.Writer
	n int64
	h hash.Hash
}

// Write writes p to the underlying writer and records the bytes it accepted.
func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if n < 0 {
		n = 0
	}
	if n > len(p) {
		n = len(p)
	}
	c.n += int64(n)
	if c.h != nil {
		c.h.Write(p[:n]) // A hash.Hash never returns an error.
	}
	return n, err
}

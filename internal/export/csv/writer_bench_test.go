package csvexport

import (
	"io"
	"testing"
)

// BenchmarkWrite measures encoding one typical row, hashing included.
func BenchmarkWrite(b *testing.B) {
	rows := typicalRows()
	w := NewWriter(io.Discard, WithSHA256())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := w.Write(rows[i%len(rows)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(w.Bytes() / int64(max(i, 1)))
}

package csvexport

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestCountersAgreeWithOutput(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, WithSHA256())
	rows := append(typicalRows(), injectionRows()...)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != len(rows) {
		t.Errorf("Rows = %d, want %d", w.Rows(), len(rows))
	}
	if w.Bytes() != int64(buf.Len()) {
		t.Errorf("Bytes = %d, want %d", w.Bytes(), buf.Len())
	}
	if want := sha256.Sum256(buf.Bytes()); !bytes.Equal(w.Sum(), want[:]) {
		t.Errorf("Sum = %x, want %x", w.Sum(), want)
	}
}

func TestCountersOfHeaderOnly(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, WithSHA256())
	if w.Bytes() != 0 {
		t.Errorf("Bytes before Flush = %d, want 0 (the header is still buffered)", w.Bytes())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != 0 {
		t.Errorf("Rows = %d, want 0", w.Rows())
	}
	if w.Bytes() != int64(buf.Len()) || !bytes.HasPrefix(buf.Bytes(), []byte(bom+"Host,")) {
		t.Errorf("Bytes = %d for %q", w.Bytes(), buf.Bytes())
	}
	if want := sha256.Sum256(buf.Bytes()); !bytes.Equal(w.Sum(), want[:]) {
		t.Errorf("Sum = %x, want %x", w.Sum(), want)
	}
}

func TestSumWithoutOption(t *testing.T) {
	w := NewWriter(&bytes.Buffer{})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if s := w.Sum(); s != nil {
		t.Errorf("Sum = %x, want nil without WithSHA256", s)
	}
}

func TestHeaderIsACopy(t *testing.T) {
	h := Header()
	h[0] = "changed"
	if Header()[0] != "Host" {
		t.Errorf("Header shares its slice with the package")
	}
}

// failingWriter accepts limit bytes, then fails.
type failingWriter struct {
	limit int
	n     int
}

var errBroken = errors.New("broken pipe")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n+len(p) <= f.limit {
		f.n += len(p)
		return len(p), nil
	}
	k := f.limit - f.n
	f.n = f.limit
	return k, errBroken
}

func TestWriteErrorIsSticky(t *testing.T) {
	fw := &failingWriter{limit: 100}
	w := NewWriter(fw, WithSHA256())
	if err := w.Flush(); !errors.Is(err, errBroken) {
		t.Fatalf("Flush = %v, want %v", err, errBroken)
	}
	if err := w.Write(typicalRows()[0]); !errors.Is(err, errBroken) {
		t.Errorf("Write after failure = %v, want %v", err, errBroken)
	}
	if err := w.Flush(); !errors.Is(err, errBroken) {
		t.Errorf("second Flush = %v, want %v", err, errBroken)
	}
	if w.Rows() != 0 {
		t.Errorf("Rows = %d, want 0", w.Rows())
	}
	if w.Bytes() != 100 {
		t.Errorf("Bytes = %d, want the 100 bytes accepted", w.Bytes())
	}
}

func TestWriteErrorWhileStreaming(t *testing.T) {
	fw := &failingWriter{limit: 200 << 10}
	w := NewWriter(fw)
	row := typicalRows()[0]
	var err error
	for range 10000 {
		if err = w.Write(row); err != nil {
			break
		}
	}
	if !errors.Is(err, errBroken) {
		t.Fatalf("Write = %v, want %v once the writer fails", err, errBroken)
	}
	if w.Bytes() != int64(fw.limit) {
		t.Errorf("Bytes = %d, want %d", w.Bytes(), fw.limit)
	}
}

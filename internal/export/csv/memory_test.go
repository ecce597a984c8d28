package csvexport

import (
	"crypto/sha256"
	"io"
	"runtime"
	"strconv"
	"testing"
)

// TestMemoryDoesNotGrowWithRows writes 200 000 rows (about 60 MiB) into io.Discard and checks that
// the live heap, measured after a garbage collection at four points along the way, stays within
// 8 MiB of where it started. Under the race detector it writes 50 000 rows (about 15 MiB, still
// well above the bound) to stay within a few seconds.
func TestMemoryDoesNotGrowWithRows(t *testing.T) {
	const maxGrowth = 8 << 20
	rows := 200_000
	if raceEnabled {
		rows = 50_000
	}
	every := rows / 4
	template := typicalRows()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	w := NewWriter(io.Discard, WithSHA256())
	var peak uint64
	for i := range rows {
		r := template[i%len(template)]
		r.Host = "host-" + strconv.Itoa(i) + ".example.com"
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		if (i+1)%every == 0 {
			peak = max(peak, heap())
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != rows {
		t.Errorf("Rows = %d, want %d", w.Rows(), rows)
	}
	if len(w.Sum()) != sha256.Size {
		t.Errorf("Sum has %d bytes, want %d", len(w.Sum()), sha256.Size)
	}
	runtime.KeepAlive(w)
	if peak > before && peak-before > maxGrowth {
		t.Errorf("live heap grew by %d bytes over %d rows, want under %d", peak-before, rows, maxGrowth)
	}
	t.Logf("live heap %d bytes before, at most %d while writing %d rows (%d bytes)", before, peak, rows, w.Bytes())
}

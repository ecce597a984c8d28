package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// storeFixture is what the shared suite needs from an adapter's test.
type storeFixture struct {
	// newStore returns a store on a fresh, empty bucket.
	newStore func(t *testing.T) Store
	// residue counts what a failed Put may have left in the store's bucket
	// (chunks, temporary objects, incomplete uploads); it must be 0 after a
	// failed Put into an empty bucket.
	residue func(t *testing.T, s Store) int
}

const (
	mib = 1 << 20
	// maxHeapGrowth bounds the heap growth of a 50 MiB Put.
	maxHeapGrowth = 16 * mib
)

var errBoom = errors.New("source failed on purpose")

// runStoreSuite runs the behaviour every Store must have.
func runStoreSuite(t *testing.T, fx storeFixture) {
	t.Run("RoundTrip20MiB", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx := testCtx(t)
		gen := newGen(20*mib, 1)
		before := time.Now().Add(-2 * time.Second)
		info, err := s.Put(ctx, "exports/c1/e1.csv", gen, Meta{ContentType: DefaultContentType, Filename: "acme-domains-20261127.csv"})
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		want := Info{Key: "exports/c1/e1.csv", Size: 20 * mib, SHA256: gen.sum()}
		if info.Key != want.Key || info.Size != want.Size || info.SHA256 != want.SHA256 {
			t.Fatalf("Put info = %+v, want %+v", info, want)
		}
		if info.Created.Before(before) || info.Created.After(time.Now().Add(2*time.Second)) {
			t.Errorf("Put info Created = %s, want about now", info.Created)
		}
		n, sum, oinfo := readAll(t, s, want.Key)
		if n != want.Size || sum != want.SHA256 {
			t.Fatalf("Open read %d bytes with sha256 %s, want %d bytes with %s", n, sum, want.Size, want.SHA256)
		}
		if oinfo.Key != want.Key || oinfo.Size != want.Size || oinfo.SHA256 != want.SHA256 || oinfo.Created.IsZero() {
			t.Fatalf("Open info = %+v, want %+v with Created", oinfo, want)
		}
	})

	t.Run("Memory50MiB", func(t *testing.T) {
		// Not parallel: it measures this process's heap.
		s := fx.newStore(t)
		ctx := testCtx(t)
		// Warm up connections and buffers so only the stream's cost is measured.
		if _, err := s.Put(ctx, "warmup", newGen(mib, 9), Meta{}); err != nil {
			t.Fatalf("warm-up Put: %v", err)
		}
		gen := newGen(50*mib, 2)
		var info Info
		growth := peakHeapGrowth(t, func() {
			var err error
			info, err = s.Put(ctx, "exports/big.csv", gen, Meta{})
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
		})
		t.Logf("heap growth while putting 50 MiB: %.1f MiB", float64(growth)/mib)
		if info.Size != 50*mib || info.SHA256 != gen.sum() {
			t.Fatalf("Put info = %+v, want size %d sha256 %s", info, 50*mib, gen.sum())
		}
		if growth >= maxHeapGrowth {
			t.Fatalf("heap grew by %.1f MiB while putting a 50 MiB stream, want < %d MiB", float64(growth)/mib, maxHeapGrowth/mib)
		}
	})

	t.Run("ReaderFailsHalfWay", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx := testCtx(t)
		gen := newGen(20*mib, 3)
		gen.failAt = 10 * mib
		_, err := s.Put(ctx, "exports/half.csv", gen, Meta{})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Put with a failing reader: err = %v, want it to wrap %v", err, errBoom)
		}
		if gen.pos < gen.failAt {
			t.Fatalf("the store stopped reading at %d bytes, before the failure at %d", gen.pos, gen.failAt)
		}
		assertNotFound(t, s, "exports/half.csv")
		if keys := list(t, s, ""); len(keys) != 0 {
			t.Fatalf("List after a failed Put = %v, want nothing", keys)
		}
		if n := fx.residue(t, s); n != 0 {
			t.Fatalf("a failed Put left %d pieces in the bucket, want 0", n)
		}
	})

	t.Run("CancelHalfWay", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx, cancel := context.WithCancel(testCtx(t))
		defer cancel()
		gen := newGen(30*mib, 4)
		gen.onRead = func(pos int64) {
			if pos >= 12*mib {
				cancel()
			}
		}
		_, err := s.Put(ctx, "exports/cancelled.csv", gen, Meta{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Put cancelled mid-way: err = %v, want it to wrap context.Canceled", err)
		}
		if gen.pos >= 30*mib {
			t.Fatalf("the store read the whole stream after its context was cancelled")
		}
		assertNotFound(t, s, "exports/cancelled.csv")
		if n := fx.residue(t, s); n != 0 {
			t.Fatalf("a cancelled Put left %d pieces in the bucket, want 0", n)
		}
	})

	t.Run("FailedReplacementKeepsOldObject", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx := testCtx(t)
		old := newGen(3*mib, 5)
		if _, err := s.Put(ctx, "k.csv", old, Meta{}); err != nil {
			t.Fatalf("Put: %v", err)
		}
		bad := newGen(20*mib, 6)
		bad.failAt = 9 * mib
		if _, err := s.Put(ctx, "k.csv", bad, Meta{}); !errors.Is(err, errBoom) {
			t.Fatalf("failing replacement Put: err = %v, want %v", err, errBoom)
		}
		if n, sum, _ := readAll(t, s, "k.csv"); n != 3*mib || sum != old.sum() {
			t.Fatalf("after a failed replacement the object has %d bytes (sha256 %s), want the old %d bytes (%s)", n, sum, 3*mib, old.sum())
		}
	})

	t.Run("Replace", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx := testCtx(t)
		for i, size := range []int64{2 * mib, 300 << 10} {
			gen := newGen(size, uint64(10+i))
			if _, err := s.Put(ctx, "k.csv", gen, Meta{}); err != nil {
				t.Fatalf("Put %d: %v", i, err)
			}
			if n, sum, _ := readAll(t, s, "k.csv"); n != size || sum != gen.sum() {
				t.Fatalf("after Put %d: read %d bytes (%s), want %d (%s)", i, n, sum, size, gen.sum())
			}
		}
		if keys := list(t, s, ""); len(keys) != 1 {
			t.Fatalf("List = %v, want one key", keys)
		}
	})

	t.Run("EmptyObject", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx := testCtx(t)
		info, err := s.Put(ctx, "empty.csv", newGen(0, 1), Meta{})
		empty := sha256.Sum256(nil)
		if err != nil || info.Size != 0 || info.SHA256 != hex.EncodeToString(empty[:]) {
			t.Fatalf("Put empty = %+v, %v; want size 0 and the empty sha256", info, err)
		}
		if n, sum, _ := readAll(t, s, "empty.csv"); n != 0 || sum != info.SHA256 {
			t.Fatalf("Open empty read %d bytes (%s)", n, sum)
		}
	})

	t.Run("OpenMissing", func(t *testing.T) {
		t.Parallel()
		assertNotFound(t, fx.newStore(t), "exports/never.csv")
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx := testCtx(t)
		if _, err := s.Put(ctx, "exports/d.csv", newGen(mib, 7), Meta{}); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if _, err := s.Put(ctx, "exports/keep.csv", newGen(10, 8), Meta{}); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if err := s.Delete(ctx, "exports/d.csv"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		assertNotFound(t, s, "exports/d.csv")
		if err := s.Delete(ctx, "exports/d.csv"); err != nil {
			t.Fatalf("Delete of a deleted object: %v, want nil", err)
		}
		if keys := list(t, s, ""); fmt.Sprint(keys) != "[exports/keep.csv]" {
			t.Fatalf("List after Delete = %v, want [exports/keep.csv]", keys)
		}
	})

	t.Run("ListPrefix", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx := testCtx(t)
		if infos, err := s.List(ctx, ""); err != nil || len(infos) != 0 {
			t.Fatalf("List of an empty bucket = %v, %v; want nothing", infos, err)
		}
		sizes := map[string]int64{"exports/a/2.csv": 20, "exports/a/1.csv": 10, "exports/b/1.csv": 30, "other.csv": 40}
		start := time.Now().Add(-2 * time.Second)
		for k, n := range sizes {
			if _, err := s.Put(ctx, k, newGen(n, 1), Meta{}); err != nil {
				t.Fatalf("Put %s: %v", k, err)
			}
		}
		infos, err := s.List(ctx, "exports/a/")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(infos) != 2 || infos[0].Key != "exports/a/1.csv" || infos[1].Key != "exports/a/2.csv" {
			t.Fatalf("List(exports/a/) = %+v, want exports/a/1.csv and exports/a/2.csv", infos)
		}
		for _, in := range infos {
			if in.Size != sizes[in.Key] || in.Created.Before(start) || in.Created.After(time.Now().Add(2*time.Second)) {
				t.Errorf("List entry %+v: want size %d and Created about now", in, sizes[in.Key])
			}
		}
		if keys := list(t, s, "exports/"); fmt.Sprint(keys) != "[exports/a/1.csv exports/a/2.csv exports/b/1.csv]" {
			t.Errorf("List(exports/) = %v", keys)
		}
		if keys := list(t, s, ""); len(keys) != 4 {
			t.Errorf("List() = %v, want 4 keys", keys)
		}
		if keys := list(t, s, "nope/"); len(keys) != 0 {
			t.Errorf("List(nope/) = %v, want none", keys)
		}
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx := testCtx(t)
		const n = 6
		gens := make([]*gen, n)
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			gens[i] = newGen(int64(i+1)*mib+int64(i)*1000, uint64(100+i))
			wg.Go(func() {
				_, errs[i] = s.Put(ctx, fmt.Sprintf("exports/con/%d.csv", i), gens[i], Meta{})
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("Put %d: %v", i, errs[i])
			}
			if size, sum, _ := readAll(t, s, fmt.Sprintf("exports/con/%d.csv", i)); size != gens[i].size || sum != gens[i].sum() {
				t.Fatalf("object %d: %d bytes (%s), want %d (%s)", i, size, sum, gens[i].size, gens[i].sum())
			}
		}
		if keys := list(t, s, "exports/con/"); len(keys) != n {
			t.Fatalf("List = %v, want %d keys", keys, n)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		t.Parallel()
		s := fx.newStore(t)
		ctx := testCtx(t)
		for _, k := range []string{"", "tmp/x.csv", "a//b", "../x", "a/./b", "/abs", "new\nline"} {
			if _, err := s.Put(ctx, k, newGen(1, 1), Meta{}); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Put(%q): err = %v, want ErrInvalidKey", k, err)
			}
		}
	})
}

// testCtx is a context that ends with the test or after two minutes.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// readAll opens key and returns the size and sha256 of its content and the
// Info Open returned.
func readAll(t *testing.T, s Store, key string) (int64, string, Info) {
	t.Helper()
	rc, info, err := s.Open(testCtx(t), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("close %s: %v", key, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), info
}

// assertNotFound checks that Open(key) fails with ErrNotFound.
func assertNotFound(t *testing.T, s Store, key string) {
	t.Helper()
	rc, info, err := s.Open(testCtx(t), key)
	if err == nil {
		rc.Close()
		t.Fatalf("Open(%s) = %+v, want ErrNotFound", key, info)
	}
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open(%s): err = %v, want ErrNotFound", key, err)
	}
}

// list returns the keys List(prefix) returns.
func list(t *testing.T, s Store, prefix string) []string {
	t.Helper()
	infos, err := s.List(testCtx(t), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	keys := make([]string, len(infos))
	for i, in := range infos {
		keys[i] = in.Key
	}
	return keys
}

// peakHeapGrowth runs f and returns how far HeapAlloc rose above its level
// before f, sampled every millisecond and after f. The GC runs at GOGC=10
// meanwhile, so HeapAlloc follows the live heap instead of the garbage
// that the default GOGC=100 would let pile up to twice the live heap.
func peakHeapGrowth(t *testing.T, f func()) uint64 {
	t.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc

	var mu sync.Mutex
	peak := base
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		peak = max(peak, ms.HeapAlloc)
		mu.Unlock()
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	f()
	close(stop)
	<-done
	sample()
	return peak - base
}

// gen is a reader of size pseudo-random bytes (ChaCha8 from seed) that
// hashes what it hands out. With failAt > 0 it fails with errBoom after
// failAt bytes; onRead is called with the position before every read.
type gen struct {
	size, pos int64
	failAt    int64
	onRead    func(pos int64)
	rng       *rand.ChaCha8
	h         hash.Hash
}

func newGen(size int64, seed uint64) *gen {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return &gen{size: size, rng: rand.NewChaCha8(s), h: sha256.New()}
}

// maxGenRead keeps reads small, as a CSV writer's would be.
const maxGenRead = 32 << 10

func (g *gen) Read(p []byte) (int, error) {
	if g.onRead != nil {
		g.onRead(g.pos)
	}
	if g.failAt > 0 && g.pos >= g.failAt {
		return 0, errBoom
	}
	if g.pos >= g.size {
		return 0, io.EOF
	}
	n := int64(min(len(p), maxGenRead))
	n = min(n, g.size-g.pos)
	if g.failAt > 0 {
		n = min(n, g.failAt-g.pos)
	}
	_, _ = g.rng.Read(p[:n])
	g.h.Write(p[:n])
	g.pos += n
	return int(n), nil
}

// sum is the sha256 of what was read so far, in hex.
func (g *gen) sum() string { return hex.EncodeToString(g.h.Sum(nil)) }

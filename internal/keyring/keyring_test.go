package keyring

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/testenv"
)

// connect opens a connection of its own to the NATS server at url, as another process would.
func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// ensure returns a Keyring closed when the test ends.
func ensure(t *testing.T, js jetstream.JetStream) *Keyring {
	t.Helper()
	k, err := Ensure(testCtx(t), js)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	t.Cleanup(k.Close)
	return k
}

// testCtx bounds a test's NATS calls.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestEnsureConcurrentlyFromSeveralProcesses(t *testing.T) {
	_, url := testenv.JetStream(t)
	var wg sync.WaitGroup
	for range 4 {
		js := connect(t, url)
		wg.Go(func() {
			k, err := Ensure(testCtx(t), js)
			if err != nil {
				t.Errorf("Ensure: %v", err)
				return
			}
			k.Close()
		})
	}
	wg.Wait()
	k, err := Ensure(testCtx(t), connect(t, url), Replicas(1)) // and once more, on the existing bucket
	if err != nil {
		t.Fatalf("Ensure with Replicas(1): %v", err)
	}
	t.Cleanup(k.Close)

	cfg := k.stream.CachedInfo().Config
	if cfg.DenyDelete || !cfg.DenyPurge || cfg.AllowRollup {
		t.Errorf("deny delete/deny purge/allow rollup = %v/%v/%v, want false/true/false", cfg.DenyDelete, cfg.DenyPurge, cfg.AllowRollup)
	}
	if cfg.MaxMsgsPerSubject != 2 || cfg.Storage != jetstream.FileStorage || cfg.Compression != jetstream.NoCompression {
		t.Errorf("history %d, storage %v, compression %v; want 2, file, none", cfg.MaxMsgsPerSubject, cfg.Storage, cfg.Compression)
	}
	if cfg.Description == "" {
		t.Error("the bucket has no description")
	}
}

// TestStockKeyValueBucketRefusesSecureDelete shows why Ensure makes the bucket's stream itself:
// a bucket made by the key-value API denies message deletes, so no key in it could ever be
// securely erased.
func TestStockKeyValueBucketRefusesSecureDelete(t *testing.T) {
	js, _ := testenv.JetStream(t)
	ctx := testCtx(t)
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "stock", History: 2, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := kv.Put(ctx, "k", []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "KV_stock")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SecureDeleteMsg(ctx, rev); err == nil {
		t.Fatal("SecureDeleteMsg succeeded on a stock key-value bucket; bucketConfig's reasons need a second look")
	}
}

func TestEnsureRefusesABucketMadeByTheKeyValueAPI(t *testing.T) {
	js, _ := testenv.JetStream(t)
	ctx := testCtx(t)
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: Bucket, History: 2, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	_, err := Ensure(ctx, js)
	if err == nil || !strings.Contains(err.Error(), "recreated") {
		t.Fatalf("Ensure on a stock key-value bucket = %v, want an error saying it must be recreated", err)
	}
}

func TestKeyValueAPICannotWeakenTheBucket(t *testing.T) {
	js, _ := testenv.JetStream(t)
	ctx := testCtx(t)
	k := ensure(t, js)
	_, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: Bucket, History: 2, Storage: jetstream.FileStorage})
	if err == nil {
		t.Fatal("CreateOrUpdateKeyValue on the keys bucket succeeded")
	}
	info, err := k.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.DenyDelete {
		t.Fatal("the failed update still turned DenyDelete on")
	}
	if err := k.kv.Purge(ctx, uuid.NewString()); err == nil {
		t.Error("kv.Purge succeeded; it would drop key revisions without overwriting them")
	}
}

func TestKeyOrCreateFromTwoProcessesAgrees(t *testing.T) {
	_, url := testenv.JetStream(t)
	k1, k2 := ensure(t, connect(t, url)), ensure(t, connect(t, url))
	ctx := testCtx(t)
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	got := make([][4][]byte, len(ids)) // per customer: two goroutines on each Keyring
	var wg sync.WaitGroup
	for i, id := range ids {
		for j, k := range []*Keyring{k1, k2, k1, k2} {
			wg.Go(func() {
				key, err := k.KeyOrCreate(ctx, id)
				if err != nil {
					t.Errorf("KeyOrCreate(%s): %v", id, err)
				}
				got[i][j] = key
			})
		}
	}
	wg.Wait()
	k3 := ensure(t, connect(t, url)) // a third process, with nothing cached
	for i, id := range ids {
		first := got[i][0]
		if len(first) != KeySize {
			t.Fatalf("key of %s has %d bytes, want %d", id, len(first), KeySize)
		}
		for j := 1; j < 4; j++ {
			if !bytes.Equal(got[i][j], first) {
				t.Fatalf("customer %s got different keys", id)
			}
		}
		if i > 0 && bytes.Equal(first, got[i-1][0]) {
			t.Fatal("two customers got the same key")
		}
		if key, err := k3.Key(ctx, id); err != nil || !bytes.Equal(key, first) {
			t.Fatalf("Key(%s) from a fresh Keyring: equal=%v, err=%v", id, bytes.Equal(key, first), err)
		}
	}
}

func TestKeyOfACustomerWithoutOne(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	if _, err := k.Key(testCtx(t), uuid.NewString()); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Key = %v, want ErrNoKey", err)
	}
}

func TestKeyReturnsACopy(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	ctx, id := testCtx(t), uuid.NewString()
	key, err := k.KeyOrCreate(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(key)
	clear(key)
	if again, err := k.Key(ctx, id); err != nil || !bytes.Equal(again, want) {
		t.Fatalf("changing a returned key changed the cached one (err %v)", err)
	}
}

func TestCustomerIDs(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	ctx := testCtx(t)
	for _, bad := range []string{"", "customer-1", "../" + uuid.NewString(), uuid.NewString() + ".x", "*"} {
		if _, err := k.KeyOrCreate(ctx, bad); !errors.Is(err, ErrInvalidCustomerID) {
			t.Errorf("KeyOrCreate(%q) = %v, want ErrInvalidCustomerID", bad, err)
		}
		if _, err := k.Key(ctx, bad); !errors.Is(err, ErrInvalidCustomerID) {
			t.Errorf("Key(%q) = %v, want ErrInvalidCustomerID", bad, err)
		}
		if err := k.Destroy(ctx, bad); !errors.Is(err, ErrInvalidCustomerID) {
			t.Errorf("Destroy(%q) = %v, want ErrInvalidCustomerID", bad, err)
		}
		if _, err := k.Seal(ctx, bad, "aad", "x"); !errors.Is(err, ErrInvalidCustomerID) {
			t.Errorf("Seal(%q) = %v, want ErrInvalidCustomerID", bad, err)
		}
	}

	// Two spellings of one UUID are one customer with one key.
	id := uuid.NewString()
	lower, err := k.KeyOrCreate(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	upper, err := k.KeyOrCreate(ctx, strings.ToUpper(id))
	if err != nil || !bytes.Equal(lower, upper) {
		t.Fatalf("upper-case id: same key %v, err %v", bytes.Equal(lower, upper), err)
	}
}

func TestCloseStopsTheWatcherButKeepsWorking(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	ctx, id := testCtx(t), uuid.NewString()
	key, err := k.KeyOrCreate(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	k.Close()
	k.Close() // twice is fine
	if _, ok := k.cache.get(id); ok {
		t.Fatal("a closed Keyring still caches keys")
	}
	if again, err := k.Key(ctx, id); err != nil || !bytes.Equal(again, key) {
		t.Fatalf("Key after Close: equal=%v, err=%v", bytes.Equal(again, key), err)
	}
}

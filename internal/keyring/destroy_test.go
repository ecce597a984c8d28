package keyring

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/testenv"
)

// revisionsOf lists what the stream still holds for the customer.
func revisionsOf(t *testing.T, k *Keyring, id string) []revision {
	t.Helper()
	revs, err := k.revisions(testCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return revs
}

// assertOnlyTombstone checks that the stream holds the customer's tombstone and nothing else.
func assertOnlyTombstone(t *testing.T, k *Keyring, id string) {
	t.Helper()
	revs := revisionsOf(t, k, id)
	if len(revs) != 1 {
		t.Fatalf("the stream holds %d revisions of %s, want only the tombstone", len(revs), id)
	}
	e, err := k.kv.Get(testCtx(t), id)
	if err != nil || string(e.Value()) != string(tombstone) || e.Revision() != revs[0].seq {
		t.Fatalf("the remaining revision is not the tombstone (err %v)", err)
	}
}

func TestDestroyErasesInEveryProcess(t *testing.T) {
	_, url := testenv.JetStream(t)
	k1, k2 := ensure(t, connect(t, url)), ensure(t, connect(t, url))
	ctx, id := testCtx(t), uuid.NewString()
	sealed, err := k1.Seal(ctx, id, "customer.name", "Ada Lovelace")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.Open(ctx, sealed, "customer.name"); err != nil || got != "Ada Lovelace" {
		t.Fatalf("Open in the other process = %q, %v", got, err)
	}
	if e, ok := k2.cache.get(id); !ok || e.erased {
		t.Fatal("the other process has not cached the key; the test would not show its watcher at work")
	}

	if err := k1.Destroy(ctx, id); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	// At once in the process that destroyed it…
	if _, err := k1.Open(ctx, sealed, "customer.name"); !errors.Is(err, ErrErased) {
		t.Fatalf("Open after Destroy = %v, want ErrErased", err)
	}
	// …and within milliseconds in the other one, whose cached key lives for a minute otherwise.
	start := time.Now()
	testenv.WaitFor(t, 5*time.Second, func() bool {
		_, err := k2.Open(ctx, sealed, "customer.name")
		return errors.Is(err, ErrErased)
	}, "the other process still opens the destroyed customer's values")
	t.Logf("the other process saw the erasure after %s", time.Since(start))

	for name, k := range map[string]*Keyring{"destroying": k1, "other": k2, "fresh": ensure(t, connect(t, url))} {
		if _, err := k.Key(ctx, id); !errors.Is(err, ErrErased) {
			t.Errorf("%s process: Key = %v, want ErrErased", name, err)
		}
		if _, err := k.KeyOrCreate(ctx, id); !errors.Is(err, ErrErased) {
			t.Errorf("%s process: KeyOrCreate = %v, want ErrErased", name, err)
		}
		if _, err := k.Seal(ctx, id, "customer.name", "again"); !errors.Is(err, ErrErased) {
			t.Errorf("%s process: Seal = %v, want ErrErased", name, err)
		}
		if _, err := k.Open(ctx, sealed, "customer.name"); !errors.Is(err, ErrErased) {
			t.Errorf("%s process: Open = %v, want ErrErased", name, err)
		}
	}
	assertOnlyTombstone(t, k1, id)

	// Twice, from either process, is fine and changes nothing.
	if err := k1.Destroy(ctx, id); err != nil {
		t.Fatalf("second Destroy: %v", err)
	}
	if err := k2.Destroy(ctx, id); err != nil {
		t.Fatalf("Destroy from the other process: %v", err)
	}
	assertOnlyTombstone(t, k1, id)
}

func TestDestroyOfACustomerWithoutKey(t *testing.T) {
	_, url := testenv.JetStream(t)
	k := ensure(t, connect(t, url))
	ctx, id := testCtx(t), uuid.NewString()
	if err := k.Destroy(ctx, id); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if _, err := ensure(t, connect(t, url)).KeyOrCreate(ctx, id); !errors.Is(err, ErrErased) {
		t.Fatalf("KeyOrCreate after Destroy = %v, want ErrErased", err)
	}
	if _, err := k.Seal(ctx, id, "customer.name", "x"); !errors.Is(err, ErrErased) {
		t.Fatalf("Seal after Destroy = %v, want ErrErased", err)
	}
	assertOnlyTombstone(t, k, id)
}

// TestDestroyFinishesAnInterruptedDestroy writes the tombstone the way Destroy does and stops
// there, as a crash would; the key revision is still in the stream until Destroy runs again.
func TestDestroyFinishesAnInterruptedDestroy(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	ctx, id := testCtx(t), uuid.NewString()
	if _, err := k.KeyOrCreate(ctx, id); err != nil {
		t.Fatal(err)
	}
	keyRev := revisionsOf(t, k, id)[0].seq
	if _, err := k.writeTombstone(ctx, id); err != nil {
		t.Fatal(err)
	}
	// writeTombstone leaves the cache to the watcher (Destroy updates it itself).
	testenv.WaitFor(t, 5*time.Second, func() bool {
		_, err := k.Key(ctx, id)
		return errors.Is(err, ErrErased)
	}, "the tombstone alone does not make Key answer ErrErased")
	if n := len(revisionsOf(t, k, id)); n != 2 {
		t.Fatalf("%d revisions after the interrupted Destroy, want the key and the tombstone", n)
	}

	if err := k.Destroy(ctx, id); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	assertOnlyTombstone(t, k, id)
	if _, err := k.stream.GetMsg(ctx, keyRev); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Fatalf("the key revision is still readable: %v", err)
	}
}

// TestDestroyAfterAKeyValueDelete covers a key someone deleted with kv.Delete (not how a key is
// destroyed): the delete marker hides the key without removing it, and Destroy must still erase it.
func TestDestroyAfterAKeyValueDelete(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	ctx, id := testCtx(t), uuid.NewString()
	if _, err := k.KeyOrCreate(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := k.kv.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 5*time.Second, func() bool {
		_, err := k.Key(ctx, id)
		return errors.Is(err, ErrNoKey)
	}, "the watcher did not drop the deleted key")

	if err := k.Destroy(ctx, id); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	assertOnlyTombstone(t, k, id)
	if _, err := k.KeyOrCreate(ctx, id); !errors.Is(err, ErrErased) {
		t.Fatalf("KeyOrCreate after Destroy = %v, want ErrErased", err)
	}
}

func TestDestroyRacingKeyOrCreate(t *testing.T) {
	_, url := testenv.JetStream(t)
	k1, k2 := ensure(t, connect(t, url)), ensure(t, connect(t, url))
	ctx := testCtx(t)
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	// timed fails an operation that hangs: one that waits out ctx could also return too early
	// (kv.History did, with nil error, before Destroy stopped using it).
	timed := func(what string, op func() error) {
		start := time.Now()
		if err := op(); err != nil && !errors.Is(err, ErrErased) {
			t.Errorf("%s: %v", what, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %s", what, d)
		}
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			timed("KeyOrCreate", func() error { _, err := k1.KeyOrCreate(ctx, id); return err })
		})
		wg.Go(func() { timed("Destroy", func() error { return k2.Destroy(ctx, id) }) })
		wg.Go(func() { timed("Destroy", func() error { return k1.Destroy(ctx, id) }) })
	}
	wg.Wait()
	for _, id := range ids {
		assertOnlyTombstone(t, k1, id)
		for _, k := range []*Keyring{k1, k2} {
			if _, err := k.KeyOrCreate(ctx, id); !errors.Is(err, ErrErased) {
				t.Fatalf("KeyOrCreate after the race = %v, want ErrErased", err)
			}
		}
	}
}

func TestDestroyWithAnEndedContextFails(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	id := uuid.NewString()
	if _, err := k.KeyOrCreate(testCtx(t), id); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := k.Destroy(ctx, id); err == nil {
		t.Fatal("Destroy with an ended context reported success")
	}
}

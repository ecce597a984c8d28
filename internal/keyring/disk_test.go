package keyring

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/testenv"
)

// filesHolding returns the files under dir whose bytes contain b.
func filesHolding(t *testing.T, dir string, b []byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a temporary file the server just renamed away
		}
		if err != nil {
			return err
		}
		if bytes.Contains(data, b) {
			rel, _ := filepath.Rel(dir, path)
			found = append(found, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	return found
}

// TestDestroyOverwritesTheKeyOnDisk looks for a key's bytes in every file of a real server's store,
// before and after Destroy. The check before is what makes the one after mean something. It holds
// at once: nats-server 2.15 writes each message to its block file (the OS page cache, which
// os.ReadFile sees) before acknowledging it, and with sync on, as here and in production, it also
// fsyncs it. After Destroy the server is shut down too, which writes out anything it still held
// in memory, and the files are scanned again.
func TestDestroyOverwritesTheKeyOnDisk(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after int // keys of other customers written before and after the destroyed one
		destroyOthers bool
	}{
		{name: "alone in the stream"},
		{name: "first message of the block", after: 3},
		{name: "in the middle of the block", before: 3, after: 3},
		{name: "last key before the tombstone", before: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := testenv.NATSServer(t, dir, true)
			k := ensure(t, connect(t, s.ClientURL()))
			ctx := testCtx(t)

			others := map[string][]byte{}
			newKey := func() (string, []byte) {
				id := uuid.NewString()
				key, err := k.KeyOrCreate(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return id, key
			}
			for range tc.before {
				id, key := newKey()
				others[id] = key
			}
			id, key := newKey()
			for range tc.after {
				id, key := newKey()
				others[id] = key
			}
			if _, err := k.Seal(ctx, id, "customer.email", "ada@example.com"); err != nil {
				t.Fatal(err)
			}

			if found := filesHolding(t, dir, key); len(found) == 0 {
				t.Fatal("the key is in no file before Destroy: the scan would prove nothing")
			} else {
				t.Logf("before Destroy the key is in %v", found)
			}
			if err := k.Destroy(ctx, id); err != nil {
				t.Fatalf("Destroy: %v", err)
			}
			if found := filesHolding(t, dir, key); len(found) > 0 {
				t.Fatalf("after Destroy the key's bytes are still in %v", found)
			}
			for oid, okey := range others {
				if len(filesHolding(t, dir, okey)) == 0 {
					t.Fatalf("the key of %s, not destroyed, is in no file either", oid)
				}
			}

			s.Shutdown()
			if found := filesHolding(t, dir, key); len(found) > 0 {
				t.Fatalf("after Destroy and shutdown the key's bytes are in %v", found)
			}

			// The erasure survives a restart, and so do the other keys.
			s = testenv.NATSServer(t, dir, true)
			k = ensure(t, connect(t, s.ClientURL()))
			if _, err := k.KeyOrCreate(ctx, id); !errors.Is(err, ErrErased) {
				t.Fatalf("KeyOrCreate after a restart = %v, want ErrErased", err)
			}
			for oid, okey := range others {
				if got, err := k.Key(ctx, oid); err != nil || !bytes.Equal(got, okey) {
					t.Fatalf("Key(%s) after a restart: equal=%v, err=%v", oid, bytes.Equal(got, okey), err)
				}
			}
		})
	}
}

// TestTheHistoryLimitDoesNotErase shows why the bucket keeps two revisions and Destroy never
// writes a second tombstone: a revision the per-subject limit drops stays in the store file.
func TestTheHistoryLimitDoesNotErase(t *testing.T) {
	dir := t.TempDir()
	s := testenv.NATSServer(t, dir, true)
	k := ensure(t, connect(t, s.ClientURL()))
	ctx, id := testCtx(t), uuid.NewString()
	key, err := k.KeyOrCreate(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"one", "two"} { // the key falls out of the two kept revisions
		if _, err := k.kv.Put(ctx, id, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(revisionsOf(t, k, id)); n != 2 {
		t.Fatalf("%d revisions kept, want 2", n)
	}
	s.Shutdown()
	if len(filesHolding(t, dir, key)) == 0 {
		t.Fatal("the dropped key revision is gone from the files; the history limit may erase now")
	}
}

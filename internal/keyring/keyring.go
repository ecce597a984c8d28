package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors returned by a Keyring. Check them with errors.Is.
var (
	// ErrErased is returned for a customer whose key was destroyed: the customer's sealed values
	// can never be opened again. Only a tombstone in the bucket causes it, never an outage.
	ErrErased = errors.New("keyring: the customer's key was destroyed (personal data erased)")
	// ErrNoKey is returned by Key and Open for a customer that never had a key.
	ErrNoKey = errors.New("keyring: no key for the customer")
	// ErrNotSealed is returned by Open for a value that Seal did not make.
	ErrNotSealed = errors.New("keyring: not a sealed value")
	// ErrInvalidCustomerID is returned for a customer id that is not a UUID.
	ErrInvalidCustomerID = errors.New("keyring: customer id is not a UUID")
)

// Keyring hands out customer keys from the bucket, through a cache that a watcher of the bucket
// keeps right. It is safe for concurrent use.
type Keyring struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	stream jetstream.Stream
	cache  *cache
	stop   context.CancelFunc
	done   chan struct{}
}

// Ensure creates or updates the bucket (idempotent, safe from several processes at once) and
// returns a Keyring watching it. The watcher runs until Close; ctx bounds only the setup.
func Ensure(ctx context.Context, js jetstream.JetStream, opts ...Option) (*Keyring, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	kv, st, err := ensureBucket(ctx, js, o.replicas)
	if err != nil {
		return nil, err
	}
	k := &Keyring{js: js, kv: kv, stream: st, cache: newCache(), done: make(chan struct{})}
	// The watcher outlives the setup: it keeps ctx's values but not its deadline.
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	if err := k.watch(wctx); err != nil {
		stop()
		return nil, fmt.Errorf("keyring: watch bucket %s: %w", Bucket, err)
	}
	k.stop = stop
	return k, nil
}

// Close stops the watcher and forgets every cached key. The Keyring still works afterwards, but
// reads the bucket on every call.
func (k *Keyring) Close() {
	k.stop()
	<-k.done
	k.cache.disable()
}

// Key returns the customer's 32-byte key, a copy the caller may overwrite. It returns ErrErased
// after Destroy, ErrNoKey if the customer never had a key, ErrInvalidCustomerID for an id that is
// not a UUID, and another error when the bucket cannot be read (NATS down).
func (k *Keyring) Key(ctx context.Context, customerID string) ([]byte, error) {
	e, err := k.lookup(ctx, customerID, false)
	if err != nil {
		return nil, err
	}
	return e.key, nil
}

// KeyOrCreate returns the customer's key, creating it when the customer has none; of several
// processes creating it at once, one wins and all return its key. It returns ErrErased after
// Destroy (a destroyed key is never re-created) and the other errors of Key, except ErrNoKey.
func (k *Keyring) KeyOrCreate(ctx context.Context, customerID string) ([]byte, error) {
	e, err := k.lookup(ctx, customerID, true)
	if err != nil {
		return nil, err
	}
	return e.key, nil
}

// lookup returns the customer's key entry from the cache or the bucket, creating it if asked to.
func (k *Keyring) lookup(ctx context.Context, customerID string, create bool) (entry, error) {
	id, err := canonicalID(customerID)
	if err != nil {
		return entry{}, err
	}
	if e, ok := k.cache.get(id); ok {
		if e.erased {
			return entry{}, ErrErased // final, so true even while NATS is down
		}
		// A cached key is used only while connected: during an outage the watcher cannot tell
		// this process about a Destroy elsewhere.
		if k.live() == nil {
			return e, nil
		}
	}
	for attempt := 0; attempt < 5; attempt++ {
		if err := k.live(); err != nil {
			return entry{}, err
		}
		var rev uint64
		var value []byte
		got, err := k.kv.Get(ctx, id)
		switch {
		case err == nil:
			rev, value = got.Revision(), got.Value()
		case errors.Is(err, jetstream.ErrKeyNotFound) && !create:
			return entry{}, ErrNoKey
		case errors.Is(err, jetstream.ErrKeyNotFound):
			if _, value, err = newKeyValue(); err != nil {
				return entry{}, err
			}
			rev, err = k.kv.Create(ctx, id, value)
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // another process (or a Destroy) won: read what it wrote
			}
			if err != nil {
				return entry{}, fmt.Errorf("keyring: create key of %s: %w", id, err)
			}
		default:
			return entry{}, fmt.Errorf("keyring: read key of %s: %w", id, err)
		}
		e, current, err := k.remember(id, rev, value)
		if err != nil {
			return entry{}, err
		}
		if e.erased {
			return entry{}, ErrErased
		}
		if current {
			return e, nil
		}
		// The watcher saw a later revision while we read: read again.
	}
	return entry{}, fmt.Errorf("keyring: key of %s kept changing while being read", id)
}

// remember decodes revision rev of the customer's entry and caches it. It returns what the cache
// holds afterwards and whether that is what was read (not a later revision the watcher saw).
func (k *Keyring) remember(id string, rev uint64, value []byte) (entry, bool, error) {
	key, erased, err := decodeValue(value)
	if err != nil {
		return entry{}, false, fmt.Errorf("keyring: key of %s, revision %d: %w", id, rev, err)
	}
	got, stored := k.cache.put(id, entry{rev: rev, erased: erased, key: key})
	return got, stored || got.erased, nil
}

// live fails fast while the NATS connection is down, rather than letting a call wait for a
// reconnect.
func (k *Keyring) live() error {
	if nc := k.js.Conn(); nc != nil && !nc.IsConnected() {
		return fmt.Errorf("keyring: %w", nats.ErrDisconnected)
	}
	return nil
}

// canonicalID validates a customer id and returns its canonical form, so that two spellings of
// one UUID never get two keys.
func canonicalID(customerID string) (string, error) {
	u, err := uuid.Parse(customerID)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrInvalidCustomerID, customerID)
	}
	return u.String(), nil
}

// newAEAD returns AES-256-GCM with the key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: cipher: %w", err) // the error names the key's length only
	}
	return cipher.NewGCM(block)
}

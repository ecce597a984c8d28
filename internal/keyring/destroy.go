package keyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Destroy destroys the customer's key, so that the customer's sealed values can never be opened
// again. It is idempotent, and safe to race with KeyOrCreate and with Destroy in other processes:
//
//  1. it writes a tombstone as the customer's latest revision, unless there already is one;
//     from then on every Keyring answers ErrErased for the customer (this one at once, others as
//     soon as their watcher sees the tombstone, within milliseconds);
//  2. it securely deletes every earlier revision from the bucket's stream: the server overwrites
//     the message with random bytes in its store file rather than only unlinking it.
//
// If Destroy fails or the process dies between the two steps, calling it again finishes the job.
// It returns ErrInvalidCustomerID for an id that is not a UUID and an error when NATS fails.
func (k *Keyring) Destroy(ctx context.Context, customerID string) error {
	id, err := canonicalID(customerID)
	if err != nil {
		return err
	}
	k.cache.drop(id)
	if err := k.live(); err != nil {
		return err
	}
	rev, err := k.writeTombstone(ctx, id)
	if err != nil {
		return err
	}
	k.cache.put(id, entry{rev: rev, erased: true})
	return k.eraseBefore(ctx, id, rev)
}

// writeTombstone makes a tombstone the customer's latest revision and returns that revision.
func (k *Keyring) writeTombstone(ctx context.Context, id string) (uint64, error) {
	for attempt := 0; attempt < 10; attempt++ {
		var rev uint64
		e, err := k.kv.Get(ctx, id)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			// No key, or one hidden behind a delete marker someone wrote with kv.Delete. Erase
			// what the marker hides first: with the tombstone on top, the history limit would
			// otherwise drop it without overwriting it.
			if err := k.eraseHidden(ctx, id); err != nil {
				return 0, err
			}
			rev, err = k.kv.Create(ctx, id, tombstone)
		case err != nil:
			return 0, fmt.Errorf("keyring: destroy key of %s: %w", id, err)
		case bytes.Equal(e.Value(), tombstone):
			// Destroyed before, perhaps by a Destroy that stopped before erasing. Never write a
			// second tombstone: it would push the key revision out of the stream by the history
			// limit, which unlinks it without overwriting it.
			return e.Revision(), nil
		default:
			rev, err = k.kv.Update(ctx, id, tombstone, e.Revision())
		}
		if err == nil {
			return rev, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, fmt.Errorf("keyring: destroy key of %s: write tombstone: %w", id, err)
		}
		// Someone wrote in between (a KeyOrCreate, another Destroy): look again.
	}
	return 0, fmt.Errorf("keyring: destroy key of %s: the entry kept changing", id)
}

// eraseBefore securely deletes every revision of the customer's entry older than rev.
func (k *Keyring) eraseBefore(ctx context.Context, id string, rev uint64) error {
	revs, err := k.revisions(ctx, id)
	if err != nil {
		return err
	}
	for _, r := range revs {
		if r.seq < rev {
			if err := k.secureDelete(ctx, id, r.seq); err != nil {
				return err
			}
		}
	}
	return nil
}

// eraseHidden securely deletes the revisions older than the customer's latest delete or purge
// marker. It leaves the marker and anything written after it, such as a tombstone or key a
// concurrent Destroy or KeyOrCreate just wrote.
func (k *Keyring) eraseHidden(ctx context.Context, id string) error {
	revs, err := k.revisions(ctx, id)
	if err != nil {
		return err
	}
	var marker uint64
	for _, r := range revs {
		if r.marker {
			marker = r.seq
		}
	}
	for _, r := range revs {
		if r.seq < marker {
			if err := k.secureDelete(ctx, id, r.seq); err != nil {
				return err
			}
		}
	}
	return nil
}

// revision is one revision of a customer's entry in the stream. Its number is the message's
// stream sequence.
type revision struct {
	seq    uint64
	marker bool // a delete or purge marker, not a value
}

// kvOperationHeader marks a key-value delete or purge; nats.go does not export its name.
const kvOperationHeader = "KV-Operation"

// revisions lists the revisions of the customer's entry still in the stream, oldest first, by
// asking the stream for the customer's next message until there is none. (kv.History would be
// simpler, but it waits for a count of pending messages that a concurrent Destroy's delete can
// leave unreached: it then hangs until ctx ends and returns what it got without an error.)
func (k *Keyring) revisions(ctx context.Context, id string) ([]revision, error) {
	subject := "$KV." + Bucket + "." + id
	var revs []revision
	for seq := uint64(1); ; {
		m, err := k.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return revs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("keyring: destroy key of %s: list revisions: %w", id, err)
		}
		clear(m.Data) // best effort: do not keep key bytes around
		revs = append(revs, revision{
			seq:    m.Sequence,
			marker: m.Header.Get(kvOperationHeader) != "" || m.Header.Get(jetstream.MarkerReasonHeader) != "",
		})
		seq = m.Sequence + 1
	}
}

// secureDelete has the server overwrite revision seq (a revision is its message's stream
// sequence) in its store and delete it. A revision already gone is fine.
func (k *Keyring) secureDelete(ctx context.Context, id string, seq uint64) error {
	err := k.stream.SecureDeleteMsg(ctx, seq)
	if err == nil {
		return nil
	}
	// A concurrent Destroy may have deleted it first.
	if _, gerr := k.stream.GetMsg(ctx, seq); errors.Is(gerr, jetstream.ErrMsgNotFound) {
		return nil
	}
	return fmt.Errorf("keyring: destroy key of %s: secure delete of revision %d: %w", id, seq, err)
}

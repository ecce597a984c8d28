package keyring

import (
	"bytes"
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// watch starts the goroutine that keeps the cache right: it marks a customer erased as soon as a
// tombstone is written by any process, and makes the cache read the bucket again after any other
// change. It runs until ctx ends; if the watch itself ends (the connection was closed), the cache
// is disabled, since it could no longer learn about a Destroy.
func (k *Keyring) watch(ctx context.Context) error {
	w, err := k.kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		close(k.done)
		return err
	}
	go func() {
		defer close(k.done)
		defer func() {
			// Cancelling ctx unsubscribes the watcher (nats.go does it in a goroutine of its own,
			// where deleting the server-side consumer may wait out the request timeout while NATS
			// is down; w.Stop would make Close wait with it). The subscription's callback blocks
			// on a full Updates channel; draining it lets the subscription finish and close it.
			for range w.Updates() {
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					k.cache.disable()
					return
				}
				if e != nil {
					k.observe(e)
				}
			}
		}
	}()
	return nil
}

// observe applies one change of the bucket to the cache.
func (k *Keyring) observe(e jetstream.KeyValueEntry) {
	id, rev := e.Key(), e.Revision()
	switch {
	case e.Operation() == jetstream.KeyValuePut && bytes.Equal(e.Value(), tombstone):
		k.cache.put(id, entry{rev: rev, erased: true})
	case e.Operation() == jetstream.KeyValuePut:
		// A new key: nothing to do unless the cache knows the customer at an older revision.
		k.cache.advance(id, rev)
	default:
		// Deleted or purged (not by this package): forget the key, and keep an older read in
		// flight from caching it again.
		k.cache.put(id, entry{rev: rev})
	}
}

package credentials

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// WatchUsers calls changed with the id of every user whose credential changes (new password,
// revoked sessions, deleted) from now on, until ctx ends. It lets a process drop what it cached
// about those users' sessions within milliseconds of a change made by any process.
func (p *Passwords) WatchUsers(ctx context.Context, changed func(userID string)) error {
	return watch(ctx, p.kv, func(e jetstream.KeyValueEntry) {
		if id, ok := strings.CutPrefix(e.Key(), "user."); ok {
			changed(id)
		}
	})
}

// WatchEnded calls ended with the token hash of every session deleted from now on (logout,
// expiry), until ctx ends.
func (s *Sessions) WatchEnded(ctx context.Context, ended func(tokenHash string)) error {
	return watch(ctx, s.kv, func(e jetstream.KeyValueEntry) {
		if e.Operation() == jetstream.KeyValuePut {
			return
		}
		if h, ok := strings.CutPrefix(e.Key(), "s."); ok {
			ended(h)
		}
	})
}

// watch delivers the bucket's updates to fn in one goroutine until ctx ends.
func watch(ctx context.Context, kv jetstream.KeyValue, fn func(jetstream.KeyValueEntry)) error {
	w, err := kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		return err
	}
	go func() {
		defer w.Stop() //nolint:errcheck // nothing to do about a failed stop at shutdown
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil {
					fn(e)
				}
			}
		}
	}()
	return nil
}

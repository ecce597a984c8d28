package command

import (
	"context"
	"runtime"
)

// hashSlots bounds how many password hashes run at once: argon2id takes ~19 MiB and tens of
// milliseconds of one core each, so a burst of creates (or an attacker's) hashing all at once
// would share the cores until every request ran out of time, and hold a burst's worth of memory.
// With one slot per core, requests hash in turn, each finishes in its hash's time, and one that
// waits longer than its deadline gives up without hashing.
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

// hash hashes a password in a slot of hashSlots. before, when not nil, runs in the slot first,
// so a request that waited can still be refused cheaply (a name taken meanwhile) instead of
// hashing for nothing.
func (h *Users) hash(ctx context.Context, password string, before func() error) (string, error) {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-hashSlots }()
	if before != nil {
		if err := before(); err != nil {
			return "", err
		}
	}
	return h.pw.Hash(password)
}

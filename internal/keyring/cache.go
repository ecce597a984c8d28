package keyring

import (
	"bytes"
	"sync"
	"time"
)

// Cache bounds.
const (
	// cacheSize is the most customers a Keyring remembers; when full, it forgets one at random.
	cacheSize = 100_000
	// keyTTL is how long a cached key is used without asking the bucket again. The watcher
	// normally drops a destroyed key within milliseconds; keyTTL bounds the damage should it ever
	// miss an update. Tombstones never expire: erasure is final.
	keyTTL = time.Minute
)

// entry is what the cache knows about one customer as of revision rev of the customer's bucket
// entry: a key, a tombstone (erased), or neither — a floor that only stops an older read from
// being cached. Keys are cached rather than ciphers: an AES-GCM cipher takes about 1.3 KB against
// the key's 32 bytes, and making one per call costs under a microsecond.
type entry struct {
	rev    uint64
	erased bool
	key    []byte
	at     time.Time
}

// usable reports whether the entry answers a lookup by itself at time now.
func (e *entry) usable(now time.Time) bool {
	return e.erased || (e.key != nil && now.Sub(e.at) < keyTTL)
}

// snapshot returns a copy of e whose key the cache will never overwrite.
func (e *entry) snapshot() entry {
	s := *e
	s.key = bytes.Clone(e.key)
	return s
}

// cache maps customer ids to entries. Revisions (stream sequences, which only grow) decide
// between a lookup and the watcher racing to store what they saw: the later revision wins.
type cache struct {
	mu  sync.Mutex
	m   map[string]*entry
	off bool
	now func() time.Time
}

func newCache() *cache {
	return &cache{m: make(map[string]*entry), now: time.Now}
}

// get returns the customer's entry if it answers a lookup by itself.
func (c *cache) get(id string) (entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || !e.usable(c.now()) {
		return entry{}, false
	}
	return e.snapshot(), true
}

// put stores a copy of e unless the cache already holds a later revision, and returns the entry
// the cache holds afterwards (e itself, or a copy of the later one) and whether e was stored. A
// disabled cache stores nothing and returns e.
func (c *cache) put(id string, e entry) (entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return e, true
	}
	if old, ok := c.m[id]; ok {
		if old.rev > e.rev || (old.rev == e.rev && old.erased) {
			return old.snapshot(), false
		}
		forget(old)
	} else if len(c.m) >= cacheSize {
		for k, old := range c.m {
			forget(old)
			delete(c.m, k)
			break
		}
	}
	e.at = c.now()
	stored := e.snapshot()
	c.m[id] = &stored
	return e, true
}

// advance records that revision rev of the customer's entry is neither a tombstone nor a key this
// process needs, if the cache knows the customer at an earlier revision; a later lookup then reads
// the bucket again.
func (c *cache) advance(id string, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[id]; ok && old.rev < rev {
		forget(old)
		c.m[id] = &entry{rev: rev}
	}
}

// drop forgets the customer.
func (c *cache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[id]; ok {
		forget(old)
		delete(c.m, id)
	}
}

// disable forgets everything and stops caching, for a Keyring whose watcher has stopped: without
// it the cache could keep a destroyed key.
func (c *cache) disable() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.m {
		forget(e)
	}
	c.m = map[string]*entry{}
	c.off = true
}

// forget overwrites the cached key bytes. It is best effort: copies handed out by lookup, and the
// ciphers made from them, stay in memory until the garbage collector reuses it.
func forget(e *entry) {
	clear(e.key)
}

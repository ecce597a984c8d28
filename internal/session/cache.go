package session

import (
	"context"
	"sync"
	"time"
)

// CacheTTL bounds how long an authenticated session is trusted without looking at the stores
// again. Revocations do not wait for it: every credential change (disable, delete, password,
// role or permission change, customer deleted) and every logout reaches the cache through the
// stores' watches, and this process's own changes synchronously.
const CacheTTL = 30 * time.Second

type cached struct {
	p     Principal
	until time.Time
}

// principalCache keeps recently authenticated sessions by token hash.
type principalCache struct {
	mu     sync.Mutex
	byHash map[string]cached
	byUser map[string]map[string]struct{}
	// gen counts the changes seen per user: a session checked before a change must not be
	// cached after it.
	gen map[string]uint64
	now func() time.Time
}

func newPrincipalCache() *principalCache {
	return &principalCache{byHash: map[string]cached{}, byUser: map[string]map[string]struct{}{}, gen: map[string]uint64{}, now: time.Now}
}

func (c *principalCache) get(hash string) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[hash]
	if !ok {
		return Principal{}, false
	}
	now := c.now()
	if now.After(e.until) || now.After(e.p.ExpiresAt) {
		c.dropLocked(hash)
		return Principal{}, false
	}
	return e.p, true
}

// generation returns the change count of a user, to pass to put.
func (c *principalCache) generation(userID string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen[userID]
}

// put caches p unless its user changed since generation gen was read.
func (c *principalCache) put(p Principal, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen[p.User.ID] != gen {
		return
	}
	until := c.now().Add(CacheTTL)
	if p.ExpiresAt.Before(until) {
		until = p.ExpiresAt
	}
	c.byHash[p.TokenHash] = cached{p: p, until: until}
	set := c.byUser[p.User.ID]
	if set == nil {
		set = map[string]struct{}{}
		c.byUser[p.User.ID] = set
	}
	set[p.TokenHash] = struct{}{}
}

// dropUser forgets every cached session of a user.
func (c *principalCache) dropUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen[userID]++
	for h := range c.byUser[userID] {
		delete(c.byHash, h)
	}
	delete(c.byUser, userID)
}

func (c *principalCache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(hash)
}

func (c *principalCache) dropLocked(hash string) {
	e, ok := c.byHash[hash]
	if !ok {
		return
	}
	delete(c.byHash, hash)
	if set := c.byUser[e.p.User.ID]; set != nil {
		delete(set, hash)
		if len(set) == 0 {
			delete(c.byUser, e.p.User.ID)
		}
	}
}

// StartCache turns on the session cache: it watches the credential and session stores, so a
// change by any process reaches this one, and returns when the watches are in place. Without it,
// every request reads the stores.
func (s *Service) StartCache(ctx context.Context) error {
	c := newPrincipalCache()
	if err := s.passwords.WatchUsers(ctx, c.dropUser); err != nil {
		return err
	}
	if err := s.sessions.WatchEnded(ctx, c.drop); err != nil {
		return err
	}
	s.mu.Lock()
	s.cache = c
	s.mu.Unlock()
	return nil
}

// UserChanged forgets what the cache holds about a user; give it to the credential adapter so
// this process's own revocations take effect before the command answers.
func (s *Service) UserChanged(userID string) {
	if c := s.cacheOrNil(); c != nil {
		c.dropUser(userID)
	}
}

func (s *Service) cacheOrNil() *principalCache {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cache
}

package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Session limits. A session ends after IdleTimeout without use or AbsoluteTimeout after login,
// whichever comes first.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	// touchEvery bounds how often a session's last use is written back.
	touchEvery = time.Minute
)

// ErrExpired is returned for a session past its idle or absolute limit.
var ErrExpired = errors.New("credentials: session expired")

// Session is one logged-in session, stored under the hash of its token.
type Session struct {
	UserID    string    `json:"user_id"`
	Epoch     uint64    `json:"epoch"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Sessions stores sessions by token hash.
type Sessions struct {
	js       jetstream.JetStream
	kv       jetstream.KeyValue
	idle     time.Duration
	absolute time.Duration
	now      func() time.Time
}

// EnsureSessions creates or updates the sessions bucket; entries expire with the absolute limit.
func EnsureSessions(ctx context.Context, js jetstream.JetStream, replicas int, idle, absolute time.Duration) (*Sessions, error) {
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	if absolute <= 0 {
		absolute = DefaultAbsoluteTimeout
	}
	kv, err := ensureBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket: SessionsBucket, Description: "Login sessions by token hash", History: 1,
		TTL: absolute, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, err
	}
	return &Sessions{js: js, kv: kv, idle: idle, absolute: absolute, now: time.Now}, nil
}

// Create stores a new session for the user under tokenHash.
func (s *Sessions) Create(ctx context.Context, tokenHash, userID string, epoch uint64) (Session, error) {
	now := s.now().UTC()
	sess := Session{UserID: userID, Epoch: epoch, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.absolute)}
	b, _ := json.Marshal(sess)
	if _, err := s.kv.Create(ctx, sessionKey(tokenHash), b); err != nil {
		return Session{}, fmt.Errorf("credentials: create session: %w", err)
	}
	return sess, nil
}

// Get returns the live session under tokenHash, ErrNotFound, or ErrExpired (and deletes it). It
// records the use, at most once a minute, to extend the idle limit.
func (s *Sessions) Get(ctx context.Context, tokenHash string) (Session, error) {
	if err := live(s.js); err != nil {
		return Session{}, err
	}
	e, err := s.kv.Get(ctx, sessionKey(tokenHash))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("credentials: get session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal(e.Value(), &sess); err != nil {
		return Session{}, fmt.Errorf("credentials: decode session: %w", err)
	}
	now := s.now().UTC()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeen) > s.idle {
		_ = s.Delete(ctx, tokenHash)
		return Session{}, ErrExpired
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		sess.LastSeen = now
		b, _ := json.Marshal(sess)
		// A concurrent touch may win; either way the session was used now.
		_, _ = s.kv.Update(ctx, sessionKey(tokenHash), b, e.Revision())
	}
	return sess, nil
}

// Delete ends the session under tokenHash (logout).
func (s *Sessions) Delete(ctx context.Context, tokenHash string) error {
	if err := s.kv.Purge(ctx, sessionKey(tokenHash)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("credentials: delete session: %w", err)
	}
	return nil
}

func sessionKey(tokenHash string) string { return "s." + tokenHash }

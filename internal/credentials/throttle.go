package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Throttle policy of failed logins, per account:
//   - the first FreeAttempts failures cost nothing;
//   - after that each failure makes the account wait before the next attempt is even checked:
//     1 s, 2 s, 4 s, … doubling, at most MaxDelay;
//   - attempts refused while waiting do not count, so an attacker cannot extend a wait; a wait
//     ends at most MaxDelay after the last counted failure, and the count is forgotten Window
//     after it, or at once on a successful login.
const (
	FreeAttempts = 5
	FirstDelay   = time.Second
	MaxDelay     = 15 * time.Minute
	Window       = 15 * time.Minute
)

// Throttle counts failed logins per account.
type Throttle struct {
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	now func() time.Time
}

type failures struct {
	Count int       `json:"count"`
	Last  time.Time `json:"last"`
}

// EnsureThrottle creates or updates the throttle bucket; entries expire after the Window.
func EnsureThrottle(ctx context.Context, js jetstream.JetStream, replicas int) (*Throttle, error) {
	kv, err := ensureBucket(ctx, js, jetstream.KeyValueConfig{
		Bucket: ThrottleBucket, Description: "Failed logins per account (hashed email)", History: 1,
		TTL: Window + MaxDelay, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, err
	}
	return &Throttle{js: js, kv: kv, now: time.Now}, nil
}

// delay is the wait after count failures.
func delay(count int) time.Duration {
	if count < FreeAttempts {
		return 0
	}
	d := FirstDelay
	for i := FreeAttempts; i < count && d < MaxDelay; i++ {
		d *= 2
	}
	return min(d, MaxDelay)
}

// Wait returns how long the account must wait before its next login attempt (0: go ahead).
func (t *Throttle) Wait(ctx context.Context, email string) (time.Duration, error) {
	f, _, err := t.get(ctx, email)
	if err != nil {
		return 0, err
	}
	return t.waitFor(f), nil
}

func (t *Throttle) waitFor(f failures) time.Duration {
	now := t.now()
	if f.Count == 0 || now.Sub(f.Last) > Window {
		return 0
	}
	if w := f.Last.Add(delay(f.Count)).Sub(now); w > 0 {
		return w
	}
	return 0
}

// Fail records a failed login and returns the wait it imposes on the next attempt.
func (t *Throttle) Fail(ctx context.Context, email string) (time.Duration, error) {
	for attempt := 0; ; attempt++ {
		f, rev, err := t.get(ctx, email)
		if err != nil {
			return 0, err
		}
		now := t.now()
		if now.Sub(f.Last) > Window {
			f.Count = 0
		}
		f.Count++
		f.Last = now
		b, _ := json.Marshal(f)
		if rev == 0 {
			_, err = t.kv.Create(ctx, throttleKey(email), b)
		} else {
			_, err = t.kv.Update(ctx, throttleKey(email), b, rev)
		}
		if err == nil {
			return delay(f.Count), nil
		}
		if attempt >= 10 || !(errors.Is(err, jetstream.ErrKeyExists) || isWrongRevision(err)) {
			return 0, fmt.Errorf("credentials: throttle: %w", err)
		}
	}
}

// Reset forgets the account's failures (after a successful login).
func (t *Throttle) Reset(ctx context.Context, email string) error {
	if err := t.kv.Purge(ctx, throttleKey(email)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("credentials: throttle reset: %w", err)
	}
	return nil
}

func (t *Throttle) get(ctx context.Context, email string) (failures, uint64, error) {
	if err := live(t.js); err != nil {
		return failures{}, 0, err
	}
	e, err := t.kv.Get(ctx, throttleKey(email))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return failures{}, 0, nil
	}
	if err != nil {
		return failures{}, 0, fmt.Errorf("credentials: throttle: %w", err)
	}
	var f failures
	if err := json.Unmarshal(e.Value(), &f); err != nil {
		return failures{}, 0, fmt.Errorf("credentials: throttle decode: %w", err)
	}
	return f, e.Revision(), nil
}

// throttleKey hashes the normalized email: the bucket holds no addresses.
func throttleKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "t." + hex.EncodeToString(sum[:])
}

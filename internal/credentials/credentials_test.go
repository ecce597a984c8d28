package credentials

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/testenv"
)

func newJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestPasswordsAndEpochs(t *testing.T) {
	ctx := context.Background()
	js := newJS(t)
	p, err := EnsurePasswords(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EnsurePasswords(ctx, js, 1); err != nil {
		t.Fatalf("second ensure: %v", err)
	}
	if _, err := p.Get(ctx, "u1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	c, err := p.SetPassword(ctx, "u1", "$argon2id$first")
	if err != nil || c.Epoch != 1 {
		t.Fatalf("set: %+v %v", c, err)
	}
	c, err = p.SetPassword(ctx, "u1", "$argon2id$second")
	if err != nil || c.Epoch != 2 {
		t.Fatalf("a password change must revoke sessions: %+v %v", c, err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := p.RevokeSessions(ctx, "u1"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := p.Get(ctx, "u1")
	if err != nil || got.Epoch != 12 || got.Hash != "$argon2id$second" {
		t.Fatalf("after 10 concurrent revocations: %+v %v", got, err)
	}
	if err := p.Delete(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Get(ctx, "u1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if c, err := p.SetPassword(ctx, "u1", "$argon2id$again"); err != nil || c.Epoch != 1 {
		t.Fatalf("set after delete: %+v %v", c, err)
	}
}

func TestSessionLimits(t *testing.T) {
	ctx := context.Background()
	s, err := EnsureSessions(ctx, newJS(t), 1, 30*time.Minute, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	s.now = func() time.Time { return clock }
	created := clock
	if _, err := s.Create(ctx, "h1", "u1", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "h1", "u2", 1); err == nil {
		t.Fatal("a second session under the same token hash was accepted")
	}
	// Used every 20 minutes, it lives past the idle limit…
	for range 5 {
		clock = clock.Add(20 * time.Minute)
		sess, err := s.Get(ctx, "h1")
		if err != nil || sess.UserID != "u1" || sess.Epoch != 3 {
			t.Fatalf("in use: %+v %v", sess, err)
		}
	}
	// …but not past the absolute limit.
	for range 32 { // 32 × 20 min more: past 12 h in all
		clock = clock.Add(20 * time.Minute)
		if _, err = s.Get(ctx, "h1"); err != nil {
			break
		}
	}
	if age := clock.Sub(created); !errors.Is(err, ErrExpired) || age <= 12*time.Hour || age > 12*time.Hour+20*time.Minute {
		t.Fatalf("a session in use must end at 12 h: %v at %s", err, age)
	}
	if _, err := s.Get(ctx, "h1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an expired session is deleted: %v", err)
	}
	// Idle.
	if _, err := s.Create(ctx, "h2", "u1", 1); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(31 * time.Minute)
	if _, err := s.Get(ctx, "h2"); !errors.Is(err, ErrExpired) {
		t.Fatalf("idle 31 min: %v", err)
	}
	// Logout.
	if _, err := s.Create(ctx, "h3", "u1", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "h3"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "h3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestThrottle(t *testing.T) {
	ctx := context.Background()
	th, err := EnsureThrottle(ctx, newJS(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	th.now = func() time.Time { return clock }
	const email = "Ada@Example.com"
	for i := range FreeAttempts - 1 {
		if d, err := th.Fail(ctx, email); err != nil || d != 0 {
			t.Fatalf("failure %d: wait %s %v", i+1, d, err)
		}
	}
	if d, _ := th.Fail(ctx, " ada@example.COM "); d != FirstDelay {
		t.Fatalf("failure %d (other spelling of the same account): wait %s", FreeAttempts, d)
	}
	if w, _ := th.Wait(ctx, email); w != FirstDelay {
		t.Fatalf("wait = %s", w)
	}
	// Growing delay, capped.
	var last time.Duration
	for range 20 {
		clock = clock.Add(MaxDelay)
		d, err := th.Fail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if d < last || d > MaxDelay {
			t.Fatalf("delay %s after %s", d, last)
		}
		last = d
	}
	if last != MaxDelay {
		t.Fatalf("delay never reached the cap: %s", last)
	}
	// The longest wait ends MaxDelay after the last counted failure.
	clock = clock.Add(MaxDelay - time.Second)
	if w, _ := th.Wait(ctx, email); w != time.Second {
		t.Fatalf("wait near the end = %s", w)
	}
	clock = clock.Add(time.Second)
	if w, _ := th.Wait(ctx, email); w != 0 {
		t.Fatalf("wait after the cap = %s", w)
	}
	// Quiet for the window: forgotten.
	clock = clock.Add(Window + time.Second)
	if d, _ := th.Fail(ctx, email); d != 0 {
		t.Fatalf("after the window: %s", d)
	}
	if err := th.Reset(ctx, email); err != nil {
		t.Fatal(err)
	}
	if w, _ := th.Wait(ctx, email); w != 0 {
		t.Fatalf("after reset: %s", w)
	}
}

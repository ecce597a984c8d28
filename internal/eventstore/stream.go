// Package eventstore is the JetStream adapter of the event log: it creates the one event stream,
// appends events with optimistic concurrency and de-duplication (atomically when a command writes
// several aggregates), and loads an aggregate's events read-after-write consistently.
package eventstore

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/events"
)

// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id. The HTTP Idempotency-Key contract
// (24 h) is kept by its own record; this window only covers transport retries.
const DuplicateWindow = 2 * time.Minute

// StreamConfig is the definition of the event stream. deploy/stream-CM.json mirrors it for operators.
func StreamConfig(replicas int) jetstream.StreamConfig {
	if replicas < 1 {
		replicas = 1
	}
	return jetstream.StreamConfig{
		Name:               events.StreamName,
		Description:        "Customer Management domain events (immutable audit log)",
		Subjects:           []string{events.SubjectPrefix + ">"},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		Discard:            jetstream.DiscardOld,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxAge:             0,
		Replicas:           replicas,
		Duplicates:         DuplicateWindow,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowDirect:        true,
		AllowAtomicPublish: true,
	}
}

// EnsureStream creates the event stream, or reconciles it with StreamConfig; calling it from several
// processes at once, or again on every start, is fine. It fails if the stream on the server does not
// keep the guarantees the store relies on (DenyDelete, DenyPurge, AllowAtomicPublish, AllowDirect).
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	cfg := StreamConfig(replicas)
	var (
		s   jetstream.Stream
		err error
	)
	// Concurrent first starts can race between create and update; a few tries settle it.
	for attempt := 0; attempt < 5; attempt++ {
		s, err = js.CreateOrUpdateStream(ctx, cfg)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("eventstore: create or update stream %s: %w", cfg.Name, err)
	}
	got := s.CachedInfo().Config
	if !got.DenyDelete || !got.DenyPurge || !got.AllowAtomicPublish || !got.AllowDirect || got.Storage != jetstream.FileStorage {
		return nil, fmt.Errorf("eventstore: stream %s lacks a required setting (deny delete/purge, atomic publish, direct get, file storage): %+v", cfg.Name, got)
	}
	return s, nil
}

// Package idempotency keeps the HTTP Idempotency-Key records (IETF draft
// "The Idempotency-Key HTTP Header Field") in a JetStream key-value bucket whose entries live 24
// hours. The event stream's own duplicate window is only two minutes; this record is what lets a
// client retry a write a day later and get the first answer back.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the name of the key-value bucket.
const Bucket = "cm_idempotency"

// Retention is how long a key is remembered.
const Retention = 24 * time.Hour

// DefaultLease is how long a request may hold its key in flight before another attempt with the
// same key may take over (the first process is presumed dead).
const DefaultLease = time.Minute

// Record is what is kept for one key.
type Record struct {
	// Done is false while the first request is in flight.
	Done bool `json:"done"`
	// Fingerprint is a hash of the method, path and body of the first request.
	Fingerprint string `json:"fingerprint"`
	// CommandID and StartedAt seed the command's ids and time, so a taken-over retry decides the
	// same events as the first attempt.
	CommandID string    `json:"command_id"`
	StartedAt time.Time `json:"started_at"`
	// AttemptAt is when the current attempt began; another attempt may take over after the lease.
	AttemptAt time.Time `json:"attempt_at"`
	// Released marks an attempt that failed in a way the client may retry (a 5xx): the next
	// attempt takes over at once, with the same command id, so whatever the failed attempt may
	// have stored is recognized instead of being written twice.
	Released bool `json:"released,omitempty"`
	// Status, Header and Body are the first response, once Done.
	Status int               `json:"status,omitempty"`
	Header map[string]string `json:"header,omitempty"`
	Body   []byte            `json:"body,omitempty"`
}

// Outcome says what to do with a request carrying a key.
type Outcome int

// Outcomes of Begin.
const (
	// Proceed: this request owns the key; run it, then Complete or Abandon.
	Proceed Outcome = iota
	// Replay: the key's first request completed with the same fingerprint; send Record's response.
	Replay
	// InFlight: the first request with this key is still running (HTTP 409).
	InFlight
	// Mismatch: the key was used for a different request (HTTP 422).
	Mismatch
)

// Store reads and writes idempotency records.
type Store struct {
	kv    jetstream.KeyValue
	lease time.Duration
	now   func() time.Time
}

// Ensure creates or updates the bucket (idempotent, safe from several processes) and returns a Store.
func Ensure(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	if replicas < 1 {
		replicas = 1
	}
	cfg := jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "HTTP Idempotency-Key records (24 h)",
		TTL:         Retention,
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	}
	var kv jetstream.KeyValue
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if kv, err = js.CreateOrUpdateKeyValue(ctx, cfg); err == nil {
			return &Store{kv: kv, lease: DefaultLease, now: time.Now}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("idempotency: bucket %s: %w", Bucket, err)
}

// Key hashes the client's key with its scope (the actor), so keys of different clients never meet
// and the key itself is not stored.
func Key(scope, clientKey string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + clientKey))
	return hex.EncodeToString(sum[:])
}

// Fingerprint hashes what makes two requests "the same".
func Fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method + " " + path + "\n"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Begin claims key for a request with fingerprint fp. With Proceed it returns the record to run
// the command with and the revision to pass to Complete or Abandon.
func (s *Store) Begin(ctx context.Context, key, fp string) (Outcome, Record, uint64, error) {
	now := s.now().UTC()
	rec := Record{Fingerprint: fp, CommandID: uuid.Must(uuid.NewV7()).String(), StartedAt: now, AttemptAt: now}
	b, _ := json.Marshal(rec)
	rev, err := s.kv.Create(ctx, key, b)
	if err == nil {
		return Proceed, rec, rev, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return 0, Record{}, 0, fmt.Errorf("idempotency: create: %w", err)
	}
	e, err := s.kv.Get(ctx, key)
	if err != nil {
		return 0, Record{}, 0, fmt.Errorf("idempotency: get: %w", err)
	}
	var cur Record
	if err := json.Unmarshal(e.Value(), &cur); err != nil {
		return 0, Record{}, 0, fmt.Errorf("idempotency: record: %w", err)
	}
	switch {
	case cur.Fingerprint != fp:
		return Mismatch, cur, 0, nil
	case cur.Done:
		return Replay, cur, 0, nil
	case !cur.Released && now.Sub(cur.AttemptAt) < s.lease:
		return InFlight, cur, 0, nil
	}
	// The earlier attempt failed or is presumed dead: take over with its command id and time.
	cur.StartedAt = cur.StartedAt.UTC()
	cur.AttemptAt = now
	cur.Released = false
	b, _ = json.Marshal(cur)
	rev, err = s.kv.Update(ctx, key, b, e.Revision())
	if err != nil {
		return InFlight, cur, 0, nil
	}
	return Proceed, cur, rev, nil
}

// Complete stores the response of the request that owns key.
func (s *Store) Complete(ctx context.Context, key string, rev uint64, rec Record, status int, header http.Header, body []byte) error {
	rec.Done = true
	rec.Status = status
	rec.Body = body
	rec.Header = map[string]string{}
	for _, h := range replayedHeaders {
		if v := header.Get(h); v != "" {
			rec.Header[h] = v
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := s.kv.Update(ctx, key, b, rev); err != nil {
		return fmt.Errorf("idempotency: complete: %w", err)
	}
	return nil
}

// Release ends an attempt that failed in a way the client may retry (a 5xx): the retry runs the
// command again, with the same command id and time.
func (s *Store) Release(ctx context.Context, key string, rev uint64, rec Record) error {
	rec.Released = true
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := s.kv.Update(ctx, key, b, rev); err != nil {
		return fmt.Errorf("idempotency: release: %w", err)
	}
	return nil
}

// replayedHeaders are the response headers kept with a record.
var replayedHeaders = []string{"Content-Type", "Location", "ETag", "X-Consistency-Token"}

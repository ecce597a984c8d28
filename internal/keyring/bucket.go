package keyring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the key-value bucket holding the keys. Never rename it: the keys live there, and a
// lost key is erased personal data.
const Bucket = "cm_keys"

// streamName is the stream behind Bucket, by the key-value naming convention.
const streamName = "KV_" + Bucket

// history is the number of revisions the stream keeps per customer. It must be at least 2: when
// Destroy writes the tombstone, the key revision must still be in the stream so that Destroy can
// delete it securely. Had the per-subject limit removed it, the server would have unlinked it
// without overwriting its bytes.
const history = 2

// bucketConfig is the stream behind Bucket. It is a key-value stream (js.KeyValue binds to it)
// with two differences from what js.CreateKeyValue makes, both for secure erasure:
//
//   - DenyDelete is false. Key-value streams deny message deletes, which makes
//     Stream.SecureDeleteMsg fail with "message delete not permitted", and the server never lets
//     an update turn DenyDelete off again.
//   - DenyPurge is true and AllowRollup false. A purge (kv.Purge, Stream.Purge) would remove key
//     revisions without overwriting them; and since the server refuses to turn DenyPurge off,
//     js.CreateOrUpdateKeyValue on this bucket fails instead of quietly setting DenyDelete back.
//
// Compression stays off, as in a default bucket, so the key bytes are where the secure delete
// overwrites them.
//
// Never create or update this bucket with js.CreateKeyValue, js.CreateOrUpdateKeyValue or
// "nats kv add": a bucket made that way can no longer erase keys securely, and only recreating it
// (copying every entry) undoes that.
func bucketConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              streamName,
		Description:       "Per-customer AES-256 keys for personal data in the event log; a tombstone marks an erased customer. Never delete or purge entries, use keyring.Destroy",
		Subjects:          []string{"$KV." + Bucket + ".>"},
		Retention:         jetstream.LimitsPolicy,
		MaxMsgsPerSubject: history,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgSize:        -1,
		MaxConsumers:      -1,
		Discard:           jetstream.DiscardNew,
		Storage:           jetstream.FileStorage,
		Replicas:          max(replicas, 1),
		Duplicates:        2 * time.Minute,
		AllowDirect:       true,
		AllowRollup:       false,
		DenyDelete:        false,
		DenyPurge:         true,
		Compression:       jetstream.NoCompression,
	}
}

// ensureBucket creates or updates the bucket's stream and binds to it as a key-value bucket; it
// is idempotent and safe from several processes at once.
func ensureBucket(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.KeyValue, jetstream.Stream, error) {
	var (
		st  jetstream.Stream
		err error
	)
	for attempt := 0; attempt < 5; attempt++ {
		if st, err = js.CreateOrUpdateStream(ctx, bucketConfig(replicas)); err == nil {
			break
		}
		if isInvalidConfig(err) {
			// Retrying cannot help, typically a bucket made by the key-value API (see bucketConfig).
			return nil, nil, fmt.Errorf("keyring: bucket %s exists with settings that prevent secure erasure; it must be recreated: %w", Bucket, err)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: bucket %s: %w", Bucket, err)
	}
	if cfg := st.CachedInfo().Config; cfg.DenyDelete || cfg.MaxMsgsPerSubject < history {
		return nil, nil, fmt.Errorf("keyring: bucket %s: stream %s denies deletes or keeps fewer than %d revisions", Bucket, streamName, history)
	}
	kv, err := js.KeyValue(ctx, Bucket)
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: bucket %s: %w", Bucket, err)
	}
	return kv, st, nil
}

// isInvalidConfig reports the server's refusal of a stream configuration (JetStream error 10052),
// which an existing stream with DenyDelete or DenyPurge set differently causes.
func isInvalidConfig(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeStreamInvalidConfig
}

// errCodeStreamInvalidConfig is the server's JSStreamInvalidConfigF; nats.go has no name for it.
const errCodeStreamInvalidConfig jetstream.ErrorCode = 10052

// Option configures Ensure.
type Option func(*options)

type options struct {
	replicas int
}

// Replicas sets the number of replicas of the bucket (default 1), like the other buckets'
// NATS_REPLICAS. Losing the bucket loses every customer's personal data, so a cluster should
// replicate it. Mind that every write to a replicated stream also passes through its Raft log, on
// disk, which keeps a destroyed key's bytes until the server compacts that log: each replica
// overwrites its copy of the message, but not the log entry (not tested here: the tests run a
// single server).
func Replicas(n int) Option {
	return func(o *options) { o.replicas = n }
}

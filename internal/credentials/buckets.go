package credentials

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bucket names. Never rename them: the data lives there.
const (
	CredentialsBucket = "cm_credentials"
	SessionsBucket    = "cm_sessions"
	ThrottleBucket    = "cm_login_throttle"
)

// ensureBucket creates or updates a bucket; it is idempotent and safe from several processes.
func ensureBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	var (
		kv  jetstream.KeyValue
		err error
	)
	for attempt := 0; attempt < 5; attempt++ {
		if kv, err = js.CreateOrUpdateKeyValue(ctx, cfg); err == nil {
			return kv, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("credentials: bucket %s: %w", cfg.Bucket, err)
}

// live fails fast while the NATS connection is down, rather than letting a request wait for a
// reconnect; the HTTP layer answers 503 at once.
func live(js jetstream.JetStream) error {
	if nc := js.Conn(); nc != nil && !nc.IsConnected() {
		return fmt.Errorf("credentials: %w", nats.ErrDisconnected)
	}
	return nil
}

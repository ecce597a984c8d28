package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Store kinds for Config.Kind.
const (
	KindNATS = "nats"
	KindS3   = "s3"
)

// Defaults of the settings.
const (
	DefaultNATSBucket = "cm_exports"
	// DefaultNATSMaxAge is the Object Store's safety-net TTL: objects older
	// than this disappear even if no expiry sweep removed them. Keep it longer
	// than the exports' expiry.
	DefaultNATSMaxAge = 30 * 24 * time.Hour
	DefaultS3Region   = "us-east-1"
	DefaultS3Bucket   = "cm-exports"
	// DefaultS3PartSize is the multipart part size, and so the one buffer a
	// Put holds in memory. 8 MiB × 10 000 parts allows 78 GiB per object.
	DefaultS3PartSize = 8 << 20
	// minS3PartSize is S3's minimum size of every part but the last.
	minS3PartSize = 5 << 20
)

// Config chooses and configures a Store.
type Config struct {
	// Kind is KindNATS (the default when empty) or KindS3.
	Kind string
	NATS NATSConfig
	S3   S3Config
}

// NATSConfig configures NATSObjectStore.
type NATSConfig struct {
	// Bucket is the Object Store bucket, DefaultNATSBucket when empty.
	Bucket string
	// MaxAge is the bucket's TTL (its stream's MaxAge), a safety net behind
	// the expiry sweeps; 0 keeps objects until they are deleted.
	MaxAge time.Duration
	// Replicas of the bucket's stream; 0 means 1.
	Replicas int
}

// S3Config configures S3Store.
type S3Config struct {
	// Endpoint is host:port of the S3 API (a http:// or https:// URL is also
	// accepted and sets UseTLS).
	Endpoint string
	// Region must match the server's; DefaultS3Region when empty.
	Region string
	// Bucket is created on first use when missing; DefaultS3Bucket when empty.
	Bucket    string
	AccessKey string
	SecretKey string
	UseTLS    bool
	// PartSize of multipart uploads, DefaultS3PartSize when 0, at least 5 MiB.
	PartSize uint64
	// MaxRetries of each S3 request on network and 5xx errors; 0 means 3.
	MaxRetries int
}

// ConfigFromEnv reads a Config through getenv (os.Getenv in production):
//
//	EXPORT_STORE         nats (default) or s3
//	EXPORT_NATS_BUCKET   Object Store bucket (cm_exports)
//	EXPORT_NATS_MAX_AGE  bucket TTL as a Go duration (720h); 0 = none
//	S3_ENDPOINT          host:port or http(s)://host:port (required for s3)
//	S3_REGION            us-east-1
//	S3_BUCKET            cm-exports
//	S3_ACCESS_KEY        required for s3
//	S3_SECRET_KEY        required for s3
//	S3_USE_TLS           true/false; default from the endpoint's scheme, else false
//
// The S3 variables are only checked when EXPORT_STORE=s3. Errors name the
// variable.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	cfg := Config{Kind: strings.ToLower(get("EXPORT_STORE", KindNATS))}
	cfg.NATS.Bucket = get("EXPORT_NATS_BUCKET", DefaultNATSBucket)
	maxAge, err := time.ParseDuration(get("EXPORT_NATS_MAX_AGE", DefaultNATSMaxAge.String()))
	if err != nil || maxAge < 0 {
		return Config{}, fmt.Errorf("storage: EXPORT_NATS_MAX_AGE=%q: not a duration like 720h", getenv("EXPORT_NATS_MAX_AGE"))
	}
	cfg.NATS.MaxAge = maxAge

	switch cfg.Kind {
	case KindNATS:
		return cfg, nil
	case KindS3:
	default:
		return Config{}, fmt.Errorf("storage: EXPORT_STORE=%q: want %q or %q", getenv("EXPORT_STORE"), KindNATS, KindS3)
	}

	s3 := S3Config{
		Endpoint:  get("S3_ENDPOINT", ""),
		Region:    get("S3_REGION", DefaultS3Region),
		Bucket:    get("S3_BUCKET", DefaultS3Bucket),
		AccessKey: get("S3_ACCESS_KEY", ""),
		SecretKey: get("S3_SECRET_KEY", ""),
	}
	var missing []string
	for _, v := range []struct{ name, val string }{
		{"S3_ENDPOINT", s3.Endpoint}, {"S3_ACCESS_KEY", s3.AccessKey}, {"S3_SECRET_KEY", s3.SecretKey},
	} {
		if v.val == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("storage: EXPORT_STORE=s3 needs %s", strings.Join(missing, ", "))
	}
	host, tls, err := splitEndpoint(s3.Endpoint)
	if err != nil {
		return Config{}, fmt.Errorf("storage: S3_ENDPOINT=%q: %w", s3.Endpoint, err)
	}
	s3.Endpoint, s3.UseTLS = host, tls
	if v := get("S3_USE_TLS", ""); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("storage: S3_USE_TLS=%q: want true or false", v)
		}
		if strings.Contains(getenv("S3_ENDPOINT"), "://") && b != tls {
			return Config{}, fmt.Errorf("storage: S3_USE_TLS=%v contradicts the scheme of S3_ENDPOINT=%q", b, getenv("S3_ENDPOINT"))
		}
		s3.UseTLS = b
	}
	cfg.S3 = s3
	return cfg, nil
}

// splitEndpoint accepts host:port or a http(s) URL without a path and
// returns host:port and whether the scheme asks for TLS.
func splitEndpoint(endpoint string) (host string, tls bool, err error) {
	if !strings.Contains(endpoint, "://") {
		if strings.ContainsAny(endpoint, "/?#") {
			return "", false, errors.New("want host:port or http(s)://host:port")
		}
		return endpoint, false, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", false, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false, errors.New("want host:port or http(s)://host:port")
	}
	return u.Host, u.Scheme == "https", nil
}

// NewFromConfig returns the Store cfg.Kind names. The NATS store needs js
// and creates its bucket now; the S3 store does not contact the server
// until it is used (it creates its bucket on the first Put), so a process
// can start while S3 is unreachable.
func NewFromConfig(ctx context.Context, cfg Config, js jetstream.JetStream) (Store, error) {
	switch strings.ToLower(cfg.Kind) {
	case "", KindNATS:
		if js == nil {
			return nil, errors.New("storage: the nats store needs a JetStream connection")
		}
		return NewNATSObjectStore(ctx, js, cfg.NATS)
	case KindS3:
		return NewS3Store(cfg.S3)
	default:
		return nil, fmt.Errorf("storage: unknown store kind %q (want %q or %q)", cfg.Kind, KindNATS, KindS3)
	}
}

package storage

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsChunkSize is the Object Store chunk size (the library's default).
const natsChunkSize = 128 << 10

// NATSObjectStore keeps export files in a JetStream Object Store bucket.
//
// No half file: the Object Store writes an object's chunks under a fresh
// subject first and publishes the object's metadata (its name, size and
// digest) only after the last chunk; an object without metadata does not
// exist for Open or List. When the reader fails or ctx is cancelled, Put
// purges the chunks it already wrote. A process killed mid-Put leaves
// orphaned chunks that nothing can read; the bucket's MaxAge removes them.
//
// URL always returns ErrNoPresign: downloads are streamed through Open.
type NATSObjectStore struct {
	obs    jetstream.ObjectStore
	bucket string
}

var _ Store = (*NATSObjectStore)(nil)

// NewNATSObjectStore creates or updates the bucket (file storage) and
// returns a store on it.
func NewNATSObjectStore(ctx context.Context, js jetstream.JetStream, cfg NATSConfig) (*NATSObjectStore, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultNATSBucket
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      cfg.Bucket,
		Description: "export files (internal/export/storage)",
		TTL:         cfg.MaxAge,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: create or update object store %q: %w", cfg.Bucket, err)
	}
	return &NATSObjectStore{obs: obs, bucket: cfg.Bucket}, nil
}

// Put streams r into the bucket in 128 KiB chunks.
//
// The Object Store's Put stops at ctx.Done without purging what it wrote
// (it purges with the same, cancelled, ctx), so it runs on a context that is
// not cancelled while the reader handed to it fails once ctx is done; then
// the library purges the partial chunks itself. Each publish is still bounded
// by the JetStream timeout.
func (s *NATSObjectStore) Put(ctx context.Context, key string, r io.Reader, meta Meta) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	om := jetstream.ObjectMeta{
		Name:    key,
		Headers: nats.Header{"Content-Type": []string{meta.contentType()}},
		Opts:    &jetstream.ObjectMetaOptions{ChunkSize: natsChunkSize},
	}
	if meta.Filename != "" {
		om.Metadata = map[string]string{"filename": meta.Filename}
	}
	// The library turns every Read into one chunk; fill whole chunks.
	oi, err := s.obs.Put(context.WithoutCancel(ctx), om, fullReader{r: ctxReader{ctx: ctx, r: r}})
	if err != nil {
		return Info{}, fmt.Errorf("storage: nats put %q into bucket %q: %w", key, s.bucket, err)
	}
	return natsInfo(oi)
}

// Open returns a reader of the object. The Object Store checks the digest at
// the end of the stream; a mismatch is returned by Read.
func (s *NATSObjectStore) Open(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	res, err := s.obs.Get(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, Info{}, fmt.Errorf("%w: %q in bucket %q", ErrNotFound, key, s.bucket)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("storage: nats open %q in bucket %q: %w", key, s.bucket, err)
	}
	oi, err := res.Info()
	if err != nil {
		res.Close()
		return nil, Info{}, fmt.Errorf("storage: nats open %q in bucket %q: %w", key, s.bucket, err)
	}
	info, err := natsInfo(oi)
	if err != nil {
		res.Close()
		return nil, Info{}, err
	}
	return res, info, nil
}

// URL returns ErrNoPresign.
func (s *NATSObjectStore) URL(context.Context, string, time.Duration, string) (string, error) {
	return "", ErrNoPresign
}

// Delete removes the object and its chunks.
func (s *NATSObjectStore) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := s.obs.Delete(ctx, key)
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("storage: nats delete %q in bucket %q: %w", key, s.bucket, err)
	}
	return nil
}

// List returns the complete objects whose key starts with prefix.
func (s *NATSObjectStore) List(ctx context.Context, prefix string) ([]Info, error) {
	ois, err := s.obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: nats list bucket %q: %w", s.bucket, err)
	}
	var out []Info
	for _, oi := range ois {
		if oi.Deleted || !strings.HasPrefix(oi.Name, prefix) {
			continue
		}
		info, err := natsInfo(oi)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// natsInfo converts the Object Store's info; its digest is
// "SHA-256=<base64url>".
func natsInfo(oi *jetstream.ObjectInfo) (Info, error) {
	b64, ok := strings.CutPrefix(oi.Digest, "SHA-256=")
	sum, err := base64.URLEncoding.DecodeString(b64)
	if !ok || err != nil || len(sum) != 32 {
		return Info{}, fmt.Errorf("storage: nats object %q has an unexpected digest %q", oi.Name, oi.Digest)
	}
	return Info{Key: oi.Name, Size: int64(oi.Size), SHA256: hex.EncodeToString(sum), Created: oi.ModTime}, nil
}

// fullReader fills every buffer completely unless the stream ends or fails,
// so the Object Store gets full chunks whatever sizes the source reads in.
type fullReader struct{ r io.Reader }

func (f fullReader) Read(p []byte) (int, error) {
	n, err := io.ReadFull(f.r, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

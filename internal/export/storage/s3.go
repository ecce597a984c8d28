package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// User metadata keys of S3 objects (sent as x-amz-meta-<key>).
const (
	s3MetaSHA256   = "Sha256"
	s3MetaFilename = "Filename"
)

// maxSingleCopy is the largest object S3 copies in one CopyObject request;
// larger ones are copied part by part.
const maxSingleCopy = 5 << 30

// cleanupTimeout bounds the removal of a failed Put's temporary object.
const cleanupTimeout = 30 * time.Second

// S3Store keeps export files in an S3-compatible bucket (path-style
// requests, so it works with any host name).
//
// No half file: Put uploads to a temporary key tmp/<key>.<random> as a
// multipart upload (minio-go PutObject with unknown size, PartSize parts), then
// server-side copies it to key with the final metadata (the sha256 is only
// known after the last byte) and deletes the temporary object. key is written
// by one request, CopyObject, which S3 applies atomically, and only after the
// whole upload completed; an upload that fails or is cancelled is aborted
// (an incomplete multipart upload is never visible) and its temporary object,
// if any, is removed. A process killed mid-Put can leave a temporary object or
// an incomplete upload under tmp/, never anything under key; CleanupTemp
// removes those. Keys under tmp/ are reserved and never listed.
type S3Store struct {
	client   *minio.Client
	bucket   string
	endpoint string // scheme://host:port, for messages
	partSize uint64

	mu         sync.Mutex
	bucketDone bool
}

var _ Store = (*S3Store)(nil)

// NewS3Store returns a store on cfg's bucket. It does not contact the
// server: the bucket is created if missing on the first Put.
func NewS3Store(cfg S3Config) (*S3Store, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("storage: s3 endpoint is empty")
	}
	host, tls, err := splitEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("storage: s3 endpoint %q: %w", cfg.Endpoint, err)
	}
	if strings.Contains(cfg.Endpoint, "://") {
		cfg.UseTLS = tls
	}
	if cfg.Region == "" {
		cfg.Region = DefaultS3Region
	}
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultS3Bucket
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultS3PartSize
	}
	if cfg.PartSize < minS3PartSize {
		return nil, fmt.Errorf("storage: s3 part size %d is below the S3 minimum of 5 MiB", cfg.PartSize)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.UseTLS,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: s3 client for %s: %w", host, err)
	}
	scheme := "http"
	if cfg.UseTLS {
		scheme = "https"
	}
	return &S3Store{client: client, bucket: cfg.Bucket, endpoint: scheme + "://" + host, partSize: cfg.PartSize}, nil
}

// Put uploads r to a temporary key and copies it to key when complete.
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader, meta Meta) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	if err := s.ensureBucket(ctx); err != nil {
		return Info{}, s.wrap("put", key, err)
	}
	tmp, err := tempKey(key)
	if err != nil {
		return Info{}, s.wrap("put", key, err)
	}
	ct := meta.contentType()
	hr := &hashReader{r: ctxReader{ctx: ctx, r: r}, h: sha256.New()}
	_, err = s.client.PutObject(ctx, s.bucket, tmp, hr, -1, minio.PutObjectOptions{
		ContentType: ct,
		PartSize:    s.partSize,
	})
	if err != nil {
		// minio-go aborts a failed multipart upload itself; a single-part
		// upload may still have landed if only its response was lost.
		s.removeQuietly(ctx, tmp)
		return Info{}, s.wrap("put", key, err)
	}
	defer s.removeQuietly(ctx, tmp)

	sum := hex.EncodeToString(hr.h.Sum(nil))
	um := map[string]string{s3MetaSHA256: sum}
	dst := minio.CopyDestOptions{
		Bucket:          s.bucket,
		Object:          key,
		ReplaceMetadata: true,
		UserMetadata:    um,
		ContentType:     ct,
	}
	if meta.Filename != "" {
		um[s3MetaFilename] = url.PathEscape(meta.Filename)
		dst.ContentDisposition = ContentDisposition(meta.Filename)
	}
	src := minio.CopySrcOptions{Bucket: s.bucket, Object: tmp}
	var ui minio.UploadInfo
	if hr.n <= maxSingleCopy {
		ui, err = s.client.CopyObject(ctx, dst, src)
	} else {
		ui, err = s.client.ComposeObject(ctx, dst, src)
	}
	if err != nil {
		return Info{}, s.wrap("put", key, fmt.Errorf("copy the complete upload to its key: %w", err))
	}
	created := ui.LastModified
	if created.IsZero() {
		created = time.Now()
	}
	return Info{Key: key, Size: hr.n, SHA256: sum, Created: created}, nil
}

// Open returns the object's body; the GET request is made before it returns.
func (s *S3Store) Open(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, s.wrap("open", key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Info{}, s.wrap("open", key, err)
	}
	return obj, s3Info(st), nil
}

// URL presigns a GET of key for ttl (capped at MaxURLTTL) whose response
// carries Content-Disposition: attachment; filename="<filename>" and the
// object's content type. An empty filename uses the one given to Put, else
// the key's last segment. The URL is bound to the configured endpoint's host.
func (s *S3Store) URL(ctx context.Context, key string, ttl time.Duration, filename string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if ttl < time.Second {
		return "", fmt.Errorf("storage: s3 url for %q: ttl %s is shorter than 1s", key, ttl)
	}
	ttl = min(ttl, MaxURLTTL)
	st, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return "", s.wrap("url", key, err)
	}
	if filename == "" {
		filename, _ = url.PathUnescape(metaValue(st.UserMetadata, s3MetaFilename))
	}
	if filename == "" {
		filename = path.Base(key)
	}
	ct := st.ContentType
	if ct == "" {
		ct = DefaultContentType
	}
	params := url.Values{
		"response-content-disposition": {ContentDisposition(filename)},
		"response-content-type":        {ct},
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, ttl, params)
	if err != nil {
		return "", s.wrap("url", key, err)
	}
	return u.String(), nil
}

// Delete removes the object; a missing object or bucket is not an error.
func (s *S3Store) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return s.wrap("delete", key, err)
	}
	return nil
}

// List returns the objects whose key starts with prefix, without the
// temporary objects under tmp/. SHA256 is not set (S3 listings do not
// carry user metadata).
func (s *S3Store) List(ctx context.Context, prefix string) ([]Info, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine on an early return
	var out []Info
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			if isNotFound(obj.Err) {
				return nil, nil
			}
			return nil, s.wrap("list", prefix, obj.Err)
		}
		if strings.HasPrefix(obj.Key, tmpPrefix) {
			continue
		}
		out = append(out, Info{Key: obj.Key, Size: obj.Size, Created: obj.LastModified})
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// CleanupTemp removes what Puts of killed processes left under tmp/:
// temporary objects and incomplete multipart uploads older than olderThan
// (pick it well above the longest Put). It returns how many it removed.
func (s *S3Store) CleanupTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: tmpPrefix, Recursive: true}) {
		if obj.Err != nil {
			if isNotFound(obj.Err) {
				return removed, nil
			}
			return removed, s.wrap("cleanup", tmpPrefix, obj.Err)
		}
		if obj.LastModified.After(cutoff) {
			continue
		}
		if err := s.client.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
			return removed, s.wrap("cleanup", obj.Key, err)
		}
		removed++
	}
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, tmpPrefix, true) {
		if up.Err != nil {
			if isNotFound(up.Err) {
				return removed, nil
			}
			return removed, s.wrap("cleanup", tmpPrefix, up.Err)
		}
		if up.Initiated.After(cutoff) {
			continue
		}
		if err := s.client.RemoveIncompleteUpload(ctx, s.bucket, up.Key); err != nil && !isNotFound(err) {
			return removed, s.wrap("cleanup", up.Key, err)
		}
		removed++
	}
	return removed, nil
}

// ensureBucket creates the bucket once per store if it does not exist.
func (s *S3Store) ensureBucket(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bucketDone {
		return nil
	}
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("check bucket: %w", err)
	}
	if !ok {
		err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return fmt.Errorf("create bucket: %w", err)
		}
	}
	s.bucketDone = true
	return nil
}

// removeQuietly deletes a temporary object, also when ctx was cancelled;
// a failure only leaves garbage under tmp/ for CleanupTemp.
func (s *S3Store) removeQuietly(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// wrap turns a client error into ErrNotFound or an error naming the
// operation, the key, the bucket and the endpoint, and saying so when the
// server could not be reached.
func (s *S3Store) wrap(op, key string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%w: %q in s3 bucket %q at %s", ErrNotFound, key, s.bucket, s.endpoint)
	}
	if unreachable(err) {
		return fmt.Errorf("%w: s3 %s %q: S3 storage at %s is unreachable (bucket %q): %w", ErrUnavailable, op, key, s.endpoint, s.bucket, err)
	}
	return fmt.Errorf("storage: s3 %s %q in bucket %q at %s: %w", op, key, s.bucket, s.endpoint, err)
}

// isNotFound reports a missing object or bucket.
func isNotFound(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NoSuchBucket", "NotFound":
		return true
	}
	return false
}

// unreachable reports errors of the network (or a server that did not
// answer in time), not of the S3 API or a cancelled context.
func unreachable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded)
}

// s3Info converts minio-go's object info.
func s3Info(st minio.ObjectInfo) Info {
	return Info{Key: st.Key, Size: st.Size, SHA256: metaValue(st.UserMetadata, s3MetaSHA256), Created: st.LastModified}
}

// metaValue looks a user metadata key up case-insensitively, with or
// without the x-amz-meta- prefix.
func metaValue(m map[string]string, key string) string {
	for k, v := range m {
		k = strings.TrimPrefix(strings.ToLower(k), "x-amz-meta-")
		if k == strings.ToLower(key) {
			return v
		}
	}
	return ""
}

// tempKey returns tmp/<key>.<16 random hex digits>.
func tempKey(key string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return tmpPrefix + key + "." + hex.EncodeToString(b), nil
}

// hashReader hashes and counts what is read through it.
type hashReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/toffstech/customer-management/internal/testenv"
)

// newS3Store returns a store on a fresh bucket of gw (created by its first Put).
func newS3Store(t *testing.T, gw *testenv.VersityGW) *S3Store {
	t.Helper()
	s, err := NewS3Store(s3Config(gw, "t-"+randHex(t, 6)))
	if err != nil {
		t.Fatalf("NewS3Store: %v", err)
	}
	return s
}

// s3Residue counts temporary objects and incomplete multipart uploads.
func s3Residue(t *testing.T, s *S3Store) int {
	t.Helper()
	ctx := testCtx(t)
	n := 0
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: tmpPrefix, Recursive: true}) {
		if obj.Err != nil && !isNotFound(obj.Err) {
			t.Fatalf("list temporary objects: %v", obj.Err)
		}
		if obj.Err == nil {
			n++
		}
	}
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, "", true) {
		if up.Err != nil && !isNotFound(up.Err) {
			t.Fatalf("list incomplete uploads: %v", up.Err)
		}
		if up.Err == nil {
			n++
		}
	}
	return n
}

func TestS3Store(t *testing.T) {
	gw := testenv.StartVersityGW(t)
	runStoreSuite(t, storeFixture{
		newStore: func(t *testing.T) Store { return newS3Store(t, gw) },
		residue:  func(t *testing.T, s Store) int { return s3Residue(t, s.(*S3Store)) },
	})
}

func TestS3StoreBucketAndMetadata(t *testing.T) {
	gw := testenv.StartVersityGW(t)
	ctx := testCtx(t)
	s := newS3Store(t, gw)
	if ok, err := s.client.BucketExists(ctx, s.bucket); err != nil || ok {
		t.Fatalf("bucket exists before the first Put: %v, %v", ok, err)
	}
	info, err := s.Put(ctx, "exports/m.csv", strings.NewReader("h\r\n"), Meta{Filename: "Café \"x\".csv"})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if ok, err := s.client.BucketExists(ctx, s.bucket); err != nil || !ok {
		t.Fatalf("bucket not created by Put: %v, %v", ok, err)
	}
	st, err := s.client.StatObject(ctx, s.bucket, "exports/m.csv", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.ContentType != DefaultContentType || metaValue(st.UserMetadata, s3MetaSHA256) != info.SHA256 {
		t.Fatalf("object content type %q metadata %v, want %q and sha256 %s", st.ContentType, st.UserMetadata, DefaultContentType, info.SHA256)
	}
	if got := st.Metadata.Get("Content-Disposition"); got != ContentDisposition("Café \"x\".csv") {
		t.Fatalf("object Content-Disposition %q, want %q", got, ContentDisposition("Café \"x\".csv"))
	}
	if n := s3Residue(t, s); n != 0 {
		t.Fatalf("a successful Put left %d temporary pieces", n)
	}
	// A second store on the same (existing) bucket works.
	s2, err := NewS3Store(s3Config(gw, s.bucket))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Put(ctx, "exports/n.csv", strings.NewReader("x"), Meta{}); err != nil {
		t.Fatalf("Put with an existing bucket: %v", err)
	}
}

func TestS3StorePresignedURL(t *testing.T) {
	gw := testenv.StartVersityGW(t)
	ctx := testCtx(t)
	s := newS3Store(t, gw)
	gen := newGen(9*mib, 42)
	if _, err := s.Put(ctx, "exports/c1/e1.csv", gen, Meta{Filename: "stored.csv"}); err != nil {
		t.Fatalf("Put: %v", err)
	}

	t.Run("download", func(t *testing.T) {
		u, err := s.URL(ctx, "exports/c1/e1.csv", 2*time.Minute, "acme-domains-20261127.csv")
		if err != nil {
			t.Fatalf("URL: %v", err)
		}
		if !strings.HasPrefix(u, "http://"+gw.Endpoint+"/"+s.bucket+"/exports/c1/e1.csv?") {
			t.Fatalf("URL %s is not a path-style URL on %s", u, gw.Endpoint)
		}
		resp, body := httpGet(t, u)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET presigned URL: %s: %s", resp.Status, body)
		}
		if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != gen.sum() || len(body) != 9*mib {
			t.Fatalf("downloaded %d bytes with another sha256 than the %d put", len(body), 9*mib)
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="acme-domains-20261127.csv"` {
			t.Errorf("Content-Disposition = %q", cd)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if q := query(t, u); q.Get("X-Amz-Expires") != "120" {
			t.Errorf("X-Amz-Expires = %q, want 120", q.Get("X-Amz-Expires"))
		}
	})

	t.Run("default filename", func(t *testing.T) {
		u, err := s.URL(ctx, "exports/c1/e1.csv", time.Minute, "")
		if err != nil {
			t.Fatalf("URL: %v", err)
		}
		resp, _ := httpGet(t, u)
		if cd := resp.Header.Get("Content-Disposition"); resp.StatusCode != 200 || cd != `attachment; filename="stored.csv"` {
			t.Fatalf("GET: %s, Content-Disposition %q; want 200 and the filename given to Put", resp.Status, cd)
		}
	})

	t.Run("ttl capped at 5 minutes", func(t *testing.T) {
		u, err := s.URL(ctx, "exports/c1/e1.csv", time.Hour, "x.csv")
		if err != nil {
			t.Fatalf("URL: %v", err)
		}
		if q := query(t, u); q.Get("X-Amz-Expires") != "300" {
			t.Fatalf("X-Amz-Expires = %q for a 1h ttl, want 300", q.Get("X-Amz-Expires"))
		}
		if _, err := s.URL(ctx, "exports/c1/e1.csv", 0, "x.csv"); err == nil {
			t.Fatal("URL with ttl 0 succeeded")
		}
	})

	t.Run("tampered", func(t *testing.T) {
		u, err := s.URL(ctx, "exports/c1/e1.csv", time.Minute, "x.csv")
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := url.Parse(u)
		q := pu.Query()
		sig := []byte(q.Get("X-Amz-Signature"))
		if sig[0] == '0' {
			sig[0] = '1'
		} else {
			sig[0] = '0'
		}
		q.Set("X-Amz-Signature", string(sig))
		pu.RawQuery = q.Encode()
		if resp, body := httpGet(t, pu.String()); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("GET with a tampered signature: %s: %.200s, want 403", resp.Status, body)
		}
		// Another filename than the one signed.
		q = query(t, u)
		q.Set("response-content-disposition", `attachment; filename="evil.exe"`)
		pu.RawQuery = q.Encode()
		if resp, _ := httpGet(t, pu.String()); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("GET with a changed filename: %s, want 403", resp.Status)
		}
	})

	t.Run("expired", func(t *testing.T) {
		u, err := s.URL(ctx, "exports/c1/e1.csv", time.Second, "x.csv")
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := httpGet(t, u)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("fresh 1s URL: %s, want 200", resp.Status)
		}
		var last int
		testenv.WaitFor(t, 10*time.Second, func() bool {
			resp, _ := httpGet(t, u)
			last = resp.StatusCode
			return last != http.StatusOK
		}, "the 1s presigned URL to expire")
		if last != http.StatusForbidden {
			t.Fatalf("expired URL: status %d, want 403", last)
		}
	})

	t.Run("missing object", func(t *testing.T) {
		if _, err := s.URL(ctx, "exports/none.csv", time.Minute, "x.csv"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("URL of a missing object: %v, want ErrNotFound", err)
		}
	})
}

// What a killed process leaves under tmp/ is invisible and CleanupTemp removes it.
func TestS3StoreCleanupTemp(t *testing.T) {
	gw := testenv.StartVersityGW(t)
	ctx := testCtx(t)
	s := newS3Store(t, gw)
	if _, err := s.Put(ctx, "exports/ok.csv", strings.NewReader("ok"), Meta{}); err != nil {
		t.Fatal(err)
	}
	// As if a process died after uploading, before the copy…
	if _, err := s.client.PutObject(ctx, s.bucket, "tmp/exports/dead.csv.0123456789abcdef", strings.NewReader("half"), 4, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	// …and one that died mid multipart upload.
	core := minio.Core{Client: s.client}
	if _, err := core.NewMultipartUpload(ctx, s.bucket, "tmp/exports/dead2.csv.fedcba9876543210", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if keys := list(t, s, ""); len(keys) != 1 || keys[0] != "exports/ok.csv" {
		t.Fatalf("List shows %v, want only exports/ok.csv", keys)
	}
	assertNotFound(t, s, "exports/dead.csv")
	if n := s3Residue(t, s); n != 2 {
		t.Fatalf("residue = %d, want 2", n)
	}
	if n, err := s.CleanupTemp(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("CleanupTemp(1h) removed %d, %v; want 0 (all are newer)", n, err)
	}
	if n, err := s.CleanupTemp(ctx, 0); err != nil || n != 2 {
		t.Fatalf("CleanupTemp(0) removed %d, %v; want 2", n, err)
	}
	if n := s3Residue(t, s); n != 0 {
		t.Fatalf("residue after CleanupTemp = %d", n)
	}
	if keys := list(t, s, ""); len(keys) != 1 {
		t.Fatalf("CleanupTemp removed a real object: %v", keys)
	}
}

// A store whose server does not listen fails promptly with a clear message.
func TestS3StoreUnreachable(t *testing.T) {
	addr := testenv.FreeAddr(t) // nothing listens there
	s, err := NewS3Store(S3Config{Endpoint: addr, AccessKey: "a", SecretKey: "b"})
	if err != nil {
		t.Fatalf("NewS3Store must not contact the server: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err = s.Put(ctx, "exports/x.csv", newGen(mib, 1), Meta{})
	took := time.Since(start)
	if err == nil {
		t.Fatal("Put to a closed port succeeded")
	}
	t.Logf("Put failed after %s: %v", took.Round(time.Millisecond), err)
	if took > 5*time.Second+500*time.Millisecond {
		t.Errorf("Put took %s to fail, want it bounded by the 5s context", took)
	}
	for _, want := range []string{"unreachable", "http://" + addr, "cm-exports", "exports/x.csv"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("unreachable storage reported as ErrNotFound")
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if _, _, err := s.Open(ctx2, "exports/x.csv"); err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("Open on unreachable storage: %v, want an unreachable error", err)
	}
}

func httpGet(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s: %v", u, err)
	}
	return resp, body
}

func query(t *testing.T, u string) url.Values {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return pu.Query()
}

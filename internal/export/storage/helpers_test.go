package storage

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/toffstech/customer-management/internal/testenv"
)

// s3Config returns an S3Config for bucket on the versitygw server g.
func s3Config(g *testenv.VersityGW, bucket string) S3Config {
	return S3Config{Endpoint: g.Endpoint, Bucket: bucket, AccessKey: g.AccessKey, SecretKey: g.SecretKey}
}

// randHex returns 2n random hex digits.
func randHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

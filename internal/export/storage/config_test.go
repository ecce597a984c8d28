package storage

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	s3 := []string{"EXPORT_STORE", "s3", "S3_ENDPOINT", "127.0.0.1:9000", "S3_ACCESS_KEY", "ak", "S3_SECRET_KEY", "sk"}

	cfg, err := ConfigFromEnv(env())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kind != KindNATS || cfg.NATS.Bucket != "cm_exports" || cfg.NATS.MaxAge != 720*time.Hour {
		t.Fatalf("defaults = %+v", cfg)
	}

	cfg, err = ConfigFromEnv(env("EXPORT_NATS_BUCKET", "b", "EXPORT_NATS_MAX_AGE", "0"))
	if err != nil || cfg.NATS.Bucket != "b" || cfg.NATS.MaxAge != 0 {
		t.Fatalf("nats settings = %+v, %v", cfg, err)
	}

	cfg, err = ConfigFromEnv(env(s3...))
	if err != nil {
		t.Fatal(err)
	}
	want := S3Config{Endpoint: "127.0.0.1:9000", Region: "us-east-1", Bucket: "cm-exports", AccessKey: "ak", SecretKey: "sk"}
	if cfg.Kind != KindS3 || cfg.S3 != want {
		t.Fatalf("s3 = %+v, want %+v", cfg.S3, want)
	}

	cfg, err = ConfigFromEnv(env(append(s3, "S3_ENDPOINT", "https://s3.example.com", "S3_REGION", "eu-west-1", "S3_BUCKET", "x")...))
	if err != nil || cfg.S3.Endpoint != "s3.example.com" || !cfg.S3.UseTLS || cfg.S3.Region != "eu-west-1" || cfg.S3.Bucket != "x" {
		t.Fatalf("https endpoint: %+v, %v", cfg.S3, err)
	}
	cfg, err = ConfigFromEnv(env(append(s3, "S3_USE_TLS", "true")...))
	if err != nil || !cfg.S3.UseTLS {
		t.Fatalf("S3_USE_TLS=true: %+v, %v", cfg.S3, err)
	}

	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"EXPORT_STORE", "ftp"}, "EXPORT_STORE"},
		{[]string{"EXPORT_NATS_MAX_AGE", "soon"}, "EXPORT_NATS_MAX_AGE"},
		{[]string{"EXPORT_STORE", "s3"}, "S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY"},
		{append(s3, "S3_USE_TLS", "maybe"), "S3_USE_TLS"},
		{append(s3, "S3_ENDPOINT", "ftp://x"), "S3_ENDPOINT"},
		{append(s3, "S3_ENDPOINT", "http://x:1/path"), "S3_ENDPOINT"},
		{append(s3, "S3_ENDPOINT", "http://x:1", "S3_USE_TLS", "true"), "S3_USE_TLS"},
	} {
		if _, err := ConfigFromEnv(env(tc.env...)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ConfigFromEnv(%v): err = %v, want it to name %s", tc.env, err, tc.want)
		}
	}
}

func TestNewFromConfig(t *testing.T) {
	if _, err := NewFromConfig(t.Context(), Config{}, nil); err == nil {
		t.Error("nats store without JetStream: no error")
	}
	if _, err := NewFromConfig(t.Context(), Config{Kind: "disk"}, nil); err == nil {
		t.Error("unknown kind: no error")
	}
	st, err := NewFromConfig(t.Context(), Config{Kind: KindS3, S3: S3Config{Endpoint: "127.0.0.1:1", AccessKey: "a", SecretKey: "b"}}, nil)
	if err != nil {
		t.Fatalf("s3 store: %v", err)
	}
	if s, ok := st.(*S3Store); !ok || s.bucket != DefaultS3Bucket || s.partSize != DefaultS3PartSize {
		t.Fatalf("s3 store = %#v", st)
	}
	if _, err := NewS3Store(S3Config{Endpoint: "127.0.0.1:1", PartSize: 1 << 20}); err == nil {
		t.Error("part size below 5 MiB accepted")
	}
}

func TestValidateKey(t *testing.T) {
	for _, k := range []string{"a", "exports/c1/e1.csv", "exports/café.csv", "x/tmp/y", "tmpfile"} {
		if err := ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
	for _, k := range []string{"", "tmp/a", "/a", "a/", "a//b", "./a", "a/../b", "a\x00b", "a\tb", "\xff", strings.Repeat("a", MaxKeyLen+1)} {
		if err := ValidateKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "attachment",
		"acme-domains-20261127.csv": `attachment; filename="acme-domains-20261127.csv"`,
		`a "b".csv`:                 `attachment; filename="a _b_.csv"; filename*=UTF-8''a%20%22b%22.csv`,
		"café.csv":                  `attachment; filename="caf_.csv"; filename*=UTF-8''caf%C3%A9.csv`,
		"x\r\ny.csv":                `attachment; filename="x__y.csv"; filename*=UTF-8''x%0D%0Ay.csv`,
	} {
		if got := ContentDisposition(in); got != want {
			t.Errorf("ContentDisposition(%q) = %s, want %s", in, got, want)
		}
	}
}

package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/toffstech/customer-management/internal/auth"
)

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		token, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(token) != auth.TokenLength || auth.TokenLength != base64.RawURLEncoding.EncodedLen(auth.TokenBytes) {
			t.Fatalf("token length %d, TokenLength %d, want %d", len(token), auth.TokenLength, base64.RawURLEncoding.EncodedLen(auth.TokenBytes))
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) != auth.TokenBytes {
			t.Fatalf("token is not unpadded base64url of %d bytes: %v", auth.TokenBytes, err)
		}
		if !auth.ValidTokenFormat(token) {
			t.Fatalf("ValidTokenFormat(NewToken()) = false")
		}
		if hash != auth.HashToken(token) {
			t.Fatalf("NewToken hash differs from HashToken(token)")
		}
		if seen[token] || seen[hash] {
			t.Fatal("NewToken repeated a token")
		}
		seen[token], seen[hash] = true, true
	}
}

func TestHashToken(t *testing.T) {
	const token = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
	sum := sha256.Sum256([]byte(token))
	if got, want := auth.HashToken(token), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("HashToken() = %s, want %s", got, want)
	}
	if got := auth.HashToken(token); len(got) != 64 || strings.ToLower(got) != got {
		t.Errorf("HashToken() = %q, want 64 lower-case hex digits", got)
	}
	if auth.HashToken(token) == auth.HashToken(token[:42]+"R") {
		t.Error("two tokens hash alike")
	}
}

func TestValidTokenFormat(t *testing.T) {
	good, _, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		want  bool
	}{
		{"a new token", good, true},
		{"all dashes and underscores, canonical end", strings.Repeat("-_", 21) + "A", true},
		{"empty", "", false},
		{"one character short", good[:42], false},
		{"one character long", good + "A", false},
		{"padded", good + "=", false},
		{"standard base64 plus", "+" + good[1:], false},
		{"standard base64 slash", "/" + good[1:], false},
		{"space", " " + good[1:], false},
		{"line break", good[:20] + "\n" + good[21:], false},
		{"non-ASCII", "é" + good[2:], false},
		{"NUL", "\x00" + good[1:], false},
		{"non-canonical last character", good[:42] + "B", false},
		{"a session hash is not a token", auth.HashToken(good), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.ValidTokenFormat(tt.token); got != tt.want {
				t.Errorf("ValidTokenFormat(%q) = %v, want %v", tt.token, got, tt.want)
			}
		})
	}
}

package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// TokenBytes is the number of random bytes in a session token: 256 bits, twice the 128 bits the
// security model asks for.
const TokenBytes = 32

// TokenLength is the length of a session token as text: TokenBytes in unpadded base64url.
const TokenLength = (TokenBytes*8 + 5) / 6

// tokenEncoding is unpadded base64url, strict so that only the canonical text of each token decodes.
var tokenEncoding = base64.RawURLEncoding.Strict()

// NewToken makes a session token and its hash. The token goes to the client (cookie or bearer
// token) and is never stored or logged; the hash, HashToken(token), is the only thing stored and
// the key sessions are looked up by.
func NewToken() (token string, hash string, err error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("auth: token: %w", err)
	}
	token = tokenEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken returns the lower-case hex SHA-256 of a token's text. A fast hash is enough: the
// token has 256 random bits, so there is nothing to guess, unlike a password.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ValidTokenFormat reports whether token could have been made by NewToken: TokenLength characters
// of the base64url alphabet, canonically encoded. Refuse anything else before any lookup, so that
// garbage never reaches the session store.
func ValidTokenFormat(token string) bool {
	if len(token) != TokenLength {
		return false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	_, err := tokenEncoding.DecodeString(token)
	return err == nil
}

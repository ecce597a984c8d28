package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters new hashes are made with: the OWASP Password Storage Cheat Sheet's first
// recommendation (19 MiB of memory, 2 passes, 1 lane), a 16-byte random salt and a 32-byte key.
// Raising them later is safe: Verify reads the parameters from each stored hash and reports
// needsRehash for hashes made with weaker ones, so they are upgraded at the next login.
const (
	HashMemoryKiB = 19 * 1024
	HashTime      = 2
	HashThreads   = 1
	SaltLength    = 16
	KeyLength     = 32
)

// Bounds a stored hash must respect to be verified at all. They keep a corrupted or forged
// credential record from making one login allocate gigabytes or run for minutes.
const (
	maxHashMemoryKiB = 1 << 20 // 1 GiB
	maxHashTime      = 64
	minSaltLength    = 8
	maxSaltLength    = 64
	minKeyLength     = 16
	maxKeyLength     = 64
)

// phcAlgorithm and phcVersion are the only algorithm and version this package produces or accepts:
// argon2id, version 0x13 (19), the one golang.org/x/crypto/argon2 implements.
const (
	phcAlgorithm = "argon2id"
	phcVersion   = "v=19"
)

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding.Strict()

// argon2Hash is a parsed argon2id PHC string.
type argon2Hash struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// Hash hashes a password with argon2id and the current parameters and returns it as a PHC string:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with salt and key in unpadded standard base64. Two hashes of the same password differ, because
// each has its own random salt. Hash does not apply the password policy (call CheckNew first) but
// refuses a password longer than MaxPasswordBytes with a *PolicyError wrapping ErrWeakPassword,
// since Verify would never accept it.
func Hash(password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", checkPassword(password)
	}
	salt := make([]byte, SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	h := argon2Hash{memory: HashMemoryKiB, time: HashTime, threads: HashThreads, salt: salt}
	h.key = argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, KeyLength)
	return h.String(), nil
}

// Verify checks a password against an argon2id PHC string made by Hash, now or with other
// parameters in the past.
//
// ok is true when the password matches; the comparison runs in constant time. needsRehash is true
// when ok is true and the stored hash is weaker than what Hash makes today (less memory, fewer
// passes, a shorter salt or key): the caller should then store Hash(password) in its place. err
// wraps ErrMalformedHash when phc cannot be parsed or is outside sane bounds; that is a storage
// problem, not a wrong password, and the caller should answer it like a wrong password while
// logging it. A password longer than MaxPasswordBytes never matches and is not hashed.
func Verify(phc, password string) (ok bool, needsRehash bool, err error) {
	h, err := parseArgon2Hash(phc)
	if err != nil {
		return false, false, err
	}
	if len(password) > MaxPasswordBytes {
		return false, false, nil
	}
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	if subtle.ConstantTimeCompare(key, h.key) != 1 {
		return false, false, nil
	}
	return true, h.weakerThanCurrent(), nil
}

// DummyVerify costs what Verify costs against a hash made by Hash, and reports nothing. Call it
// when a login names an unknown (or unusable) account, so that answering "unknown email" takes as
// long as answering "wrong password" and timing does not tell which emails exist.
func DummyVerify(password string) {
	_, _, _ = Verify(dummyHash(), password)
}

// dummyHash is a PHC string with the current parameters, a random salt and a random key: the hash
// of a value nobody knows. It is made once, without running argon2, so neither start-up nor the
// first unknown-email login pays for an extra hash.
var dummyHash = sync.OnceValue(func() string {
	h := argon2Hash{
		memory: HashMemoryKiB, time: HashTime, threads: HashThreads,
		salt: make([]byte, SaltLength), key: make([]byte, KeyLength),
	}
	_, _ = rand.Read(h.salt) // crypto/rand.Read never fails since Go 1.24.
	_, _ = rand.Read(h.key)
	return h.String()
})

// String formats h as a PHC string.
func (h argon2Hash) String() string {
	return fmt.Sprintf("$%s$%s$m=%d,t=%d,p=%d$%s$%s",
		phcAlgorithm, phcVersion, h.memory, h.time, h.threads, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// weakerThanCurrent reports whether h was made with weaker parameters than Hash uses today. The
// lane count is not compared: fewer lanes with the same memory is not weaker.
func (h argon2Hash) weakerThanCurrent() bool {
	return h.memory < HashMemoryKiB || h.time < HashTime || len(h.salt) < SaltLength || len(h.key) < KeyLength
}

// parseArgon2Hash parses a PHC string strictly: algorithm argon2id, version 19, the parameters
// m, t and p in that order as canonical decimals, then canonical unpadded base64 salt and key.
// Errors wrap ErrMalformedHash and never quote the input.
func parseArgon2Hash(phc string) (argon2Hash, error) {
	malformed := func(why string) (argon2Hash, error) {
		return argon2Hash{}, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" {
		return malformed("not a PHC string with five fields")
	}
	if parts[1] != phcAlgorithm {
		return malformed("algorithm is not argon2id")
	}
	if parts[2] != phcVersion {
		return malformed("version is not 19")
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return malformed("parameters are not m, t and p")
	}
	var h argon2Hash
	m, ok1 := parsePHCParam(params[0], "m=", 32)
	t, ok2 := parsePHCParam(params[1], "t=", 32)
	p, ok3 := parsePHCParam(params[2], "p=", 8)
	if !ok1 || !ok2 || !ok3 {
		return malformed("parameters are not m, t and p as decimals")
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(p)
	switch {
	case h.threads < 1:
		return malformed("p is below 1")
	case h.time < 1 || h.time > maxHashTime:
		return malformed("t is out of range")
	case h.memory < 8*uint32(h.threads) || h.memory > maxHashMemoryKiB:
		return malformed("m is out of range")
	}
	var err error
	if h.salt, err = decodePHCBase64(parts[4]); err != nil || len(h.salt) < minSaltLength || len(h.salt) > maxSaltLength {
		return malformed("salt is not base64 of 8 to 64 bytes")
	}
	if h.key, err = decodePHCBase64(parts[5]); err != nil || len(h.key) < minKeyLength || len(h.key) > maxKeyLength {
		return malformed("key is not base64 of 16 to 64 bytes")
	}
	return h, nil
}

// parsePHCParam parses "name=decimal" with no sign and no leading zero.
func parsePHCParam(s, name string, bitSize int) (uint64, bool) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, bitSize)
	return n, err == nil
}

// decodePHCBase64 decodes unpadded standard base64 and accepts only the canonical encoding:
// Go's decoder skips line breaks, which a stored hash never contains.
func decodePHCBase64(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if b64.EncodeToString(b) != s {
		return nil, ErrMalformedHash
	}
	return b, nil
}

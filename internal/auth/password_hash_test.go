package auth_test

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/toffstech/customer-management/internal/auth"
)

const testPassword = "correct horse battery staple"

// phcPattern is the shape Hash must produce with today's parameters.
var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

// phcWith builds a PHC string with explicit parameters, independently of the package under test.
func phcWith(password string, m, t uint32, p uint8, salt []byte, keyLen uint32) string {
	key := argon2.IDKey([]byte(password), salt, t, m, p, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p, enc.EncodeToString(salt), enc.EncodeToString(key))
}

func mustHash(t *testing.T, password string) string {
	t.Helper()
	phc, err := auth.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	return phc
}

func TestHashFormat(t *testing.T) {
	phc := mustHash(t, testPassword)
	m := phcPattern.FindStringSubmatch(phc)
	if m == nil {
		t.Fatalf("Hash() = %q, want $argon2id$v=19$m=19456,t=2,p=1$<22 chars>$<43 chars>", phc)
	}
	// Recompute the key from the salt with argon2 directly: the string says what was done.
	salt, err := base64.RawStdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	key, err := base64.RawStdEncoding.DecodeString(m[2])
	if err != nil {
		t.Fatal(err)
	}
	want := argon2.IDKey([]byte(testPassword), salt, 2, 19456, 1, 32)
	if subtle.ConstantTimeCompare(key, want) != 1 {
		t.Error("the key in the PHC string is not argon2id(password, salt, t=2, m=19456, p=1)")
	}
	if strings.Contains(phc, testPassword) {
		t.Error("the hash contains the password")
	}
}

func TestHashSaltsEveryHash(t *testing.T) {
	a, b := mustHash(t, testPassword), mustHash(t, testPassword)
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if strings.Split(a, "$")[4] == strings.Split(b, "$")[4] {
		t.Fatal("two hashes share a salt")
	}
}

func TestHashRefusesOverlongPassword(t *testing.T) {
	_, err := auth.Hash(strings.Repeat("a", auth.MaxPasswordBytes+1))
	if !errors.Is(err, auth.ErrWeakPassword) {
		t.Fatalf("Hash(1025 bytes) error = %v, want ErrWeakPassword", err)
	}
}

func TestVerify(t *testing.T) {
	current := mustHash(t, testPassword)
	unicode := mustHash(t, "ünïcødé pässwörd 🔑")
	salt := []byte("0123456789abcdef")
	tests := []struct {
		name            string
		phc             string
		password        string
		wantOK          bool
		wantNeedsRehash bool
	}{
		{"round trip", current, testPassword, true, false},
		{"round trip with non-ASCII", unicode, "ünïcødé pässwörd 🔑", true, false},
		{"wrong password", current, testPassword + "!", false, false},
		{"wrong case", current, strings.ToUpper(testPassword), false, false},
		{"empty password", current, "", false, false},
		{"password with a trailing space", current, testPassword + " ", false, false},
		{"overlong password never matches", current, strings.Repeat("a", auth.MaxPasswordBytes+1), false, false},

		// Vectors from the reference C implementation (Debian package argon2 0~20171227):
		//   echo -n PASSWORD | argon2 SALT -id -t T -k M -p P -l 32 -e
		{"reference vector", "$argon2id$v=19$m=19456,t=2,p=1$czBtMy1zYWx0LTE2Ynl0ZQ$Oj9DK8usFRCrxx64tMoZyiXw4JhT+0DPdMXuMScSW9g", testPassword, true, false},
		{"reference vector, non-ASCII", "$argon2id$v=19$m=19456,t=2,p=1$YW5vdGhlci1zYWx0LTE2Yg$xSM6XZ4JU1ExLH2UxX9Ow9vKkYr767Bbo1uG0T17/GY", "ünïcødé pässwörd 🔑", true, false},
		{"reference vector with old parameters", "$argon2id$v=19$m=8192,t=1,p=2$czBtMy1zYWx0LTE2Ynl0ZQ$MpO/lyoKjOoGcT5uX+AZt8dacBAZkT1KU6WXukr7hCQ", testPassword, true, true},
		{"reference vector, wrong password", "$argon2id$v=19$m=19456,t=2,p=1$czBtMy1zYWx0LTE2Ynl0ZQ$Oj9DK8usFRCrxx64tMoZyiXw4JhT+0DPdMXuMScSW9g", "correct horse battery stapler", false, false},

		{"less memory needs a rehash", phcWith(testPassword, 8192, 2, 1, salt, 32), testPassword, true, true},
		{"fewer passes needs a rehash", phcWith(testPassword, 19456, 1, 1, salt, 32), testPassword, true, true},
		{"shorter key needs a rehash", phcWith(testPassword, 19456, 2, 1, salt, 16), testPassword, true, true},
		{"shorter salt needs a rehash", phcWith(testPassword, 19456, 2, 1, salt[:8], 32), testPassword, true, true},
		{"more lanes alone needs no rehash", phcWith(testPassword, 19456, 2, 4, salt, 32), testPassword, true, false},
		{"stronger parameters need no rehash", phcWith(testPassword, 32768, 3, 1, salt, 32), testPassword, true, false},
		{"old parameters, wrong password: no rehash", phcWith(testPassword, 8192, 1, 1, salt, 32), "wrong password!", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, needsRehash, err := auth.Verify(tt.phc, tt.password)
			if err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
			if ok != tt.wantOK || needsRehash != tt.wantNeedsRehash {
				t.Errorf("Verify() = (%v, %v), want (%v, %v)", ok, needsRehash, tt.wantOK, tt.wantNeedsRehash)
			}
		})
	}
}

// TestVerifyTampered changes one character of each field of a good hash: the password no longer
// matches, or the string no longer parses, but it is never accepted.
func TestVerifyTampered(t *testing.T) {
	phc := mustHash(t, testPassword)
	fields := strings.Split(phc, "$")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	with := func(i int, v string) string {
		f := append([]string(nil), fields...)
		f[i] = v
		return strings.Join(f, "$")
	}
	tests := []struct {
		name string
		phc  string
	}{
		{"salt, first character", with(4, flip(fields[4], 0))},
		{"salt, middle character", with(4, flip(fields[4], 10))},
		{"key, first character", with(5, flip(fields[5], 0))},
		{"key, middle character", with(5, flip(fields[5], 20))},
		{"memory", with(3, "m=19455,t=2,p=1")},
		{"passes", with(3, "m=19456,t=3,p=1")},
		{"lanes", with(3, "m=19456,t=2,p=2")},
		{"key truncated by 4 characters", with(5, fields[5][:39])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := auth.Verify(tt.phc, testPassword)
			if ok {
				t.Fatalf("Verify(tampered) = true, err %v", err)
			}
			if err != nil && !errors.Is(err, auth.ErrMalformedHash) {
				t.Fatalf("Verify(tampered) error = %v, want nil or ErrMalformedHash", err)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	good := mustHash(t, testPassword)
	f := strings.Split(good, "$")
	salt, key := f[4], f[5]
	tests := []struct {
		name string
		phc  string
	}{
		{"empty", ""},
		{"plain text", testPassword},
		{"no leading dollar", strings.TrimPrefix(good, "$")},
		{"trailing dollar", good + "$"},
		{"missing key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"upper-case algorithm", "$ARGON2ID$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"},
		{"no version", "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"parameters out of order", "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key},
		{"missing parameter", "$argon2id$v=19$m=19456,t=2$" + salt + "$" + key},
		{"extra parameter", "$argon2id$v=19$m=19456,t=2,p=1,keyid=x$" + salt + "$" + key},
		{"empty parameter", "$argon2id$v=19$m=,t=2,p=1$" + salt + "$" + key},
		{"negative parameter", "$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key},
		{"signed parameter", "$argon2id$v=19$m=+19456,t=2,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=019456,t=2,p=1$" + salt + "$" + key},
		{"space in parameters", "$argon2id$v=19$m=19456, t=2,p=1$" + salt + "$" + key},
		{"zero passes", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key},
		{"zero lanes", "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key},
		{"256 lanes", "$argon2id$v=19$m=19456,t=2,p=256$" + salt + "$" + key},
		{"memory below 8 KiB per lane", "$argon2id$v=19$m=15,t=2,p=2$" + salt + "$" + key},
		{"memory above 1 GiB", "$argon2id$v=19$m=1048577,t=2,p=1$" + salt + "$" + key},
		{"memory above 32 bits", "$argon2id$v=19$m=4294967296,t=2,p=1$" + salt + "$" + key},
		{"too many passes", "$argon2id$v=19$m=19456,t=65,p=1$" + salt + "$" + key},
		{"padded salt", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key},
		{"url-safe base64 key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.NewReplacer("+", "-", "/", "_").Replace(key) + "-_"},
		{"line break in key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key[:20] + "\n" + key[20:]},
		{"non-canonical last character", "$argon2id$v=19$m=19456,t=2,p=1$" + salt[:21] + "B$" + key},
		{"empty salt", "$argon2id$v=19$m=19456,t=2,p=1$$" + key},
		{"salt of 7 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + base64.RawStdEncoding.EncodeToString([]byte("1234567")) + "$" + key},
		{"salt of 65 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + base64.RawStdEncoding.EncodeToString(make([]byte, 65)) + "$" + key},
		{"key of 15 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 15))},
		{"key of 65 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 65))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, needsRehash, err := auth.Verify(tt.phc, testPassword)
			if !errors.Is(err, auth.ErrMalformedHash) {
				t.Fatalf("Verify() error = %v, want ErrMalformedHash", err)
			}
			if ok || needsRehash {
				t.Errorf("Verify() = (%v, %v), want (false, false)", ok, needsRehash)
			}
			if tt.phc != "" && strings.Contains(err.Error(), tt.phc) {
				t.Errorf("the error quotes the stored hash: %v", err)
			}
		})
	}
}

func TestDummyVerifyReturns(t *testing.T) {
	// DummyVerify has no result; this checks that it runs, for any input, without panicking.
	auth.DummyVerify(testPassword)
	auth.DummyVerify("")
	auth.DummyVerify(strings.Repeat("a", auth.MaxPasswordBytes+1))
}

// BenchmarkHash measures one password hash with today's parameters: the cost of a login, a
// password change and a user create.
func BenchmarkHash(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auth.Hash(testPassword); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify and BenchmarkDummyVerify should report about the same time: that is what makes
// "unknown email" and "wrong password" indistinguishable by timing.
func BenchmarkVerify(b *testing.B) {
	phc, err := auth.Hash(testPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := auth.Verify(phc, "wrong password!"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDummyVerify measures the unknown-email path of a login.
func BenchmarkDummyVerify(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		auth.DummyVerify("wrong password!")
	}
}

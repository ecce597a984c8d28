package keyring

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/testenv"
)

func TestSealOpenRoundTrip(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	ctx, id := testCtx(t), uuid.NewString()
	for _, plain := range []string{"", "ada@example.com", "Zoë Ŧest, 12 rue de l'Église", strings.Repeat("x", 10_000)} {
		sealed, err := k.Seal(ctx, id, "customer.email", plain)
		if err != nil {
			t.Fatalf("Seal(%.20q): %v", plain, err)
		}
		if !IsSealed(sealed) || !strings.HasPrefix(sealed, "enc:v1:"+id+":") {
			t.Fatalf("sealed value %.60q lacks the prefix naming the customer", sealed)
		}
		if plain != "" && strings.Contains(sealed, plain) {
			t.Fatal("the sealed value contains the plaintext")
		}
		if got, ok := CustomerOf(sealed); !ok || got != id {
			t.Fatalf("CustomerOf = %q, %v; want %q", got, ok, id)
		}
		got, err := k.Open(ctx, sealed, "customer.email")
		if err != nil || got != plain {
			t.Fatalf("Open(Seal(%.20q)) = %.20q, %v", plain, got, err)
		}
		again, err := k.Seal(ctx, id, "customer.email", plain)
		if err != nil || again == sealed {
			t.Fatalf("sealing the same value twice gave the same result (nonce reuse?), err %v", err)
		}
	}
}

func TestOpenRefusesAlteredOrMisusedValues(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	ctx := testCtx(t)
	alice, bob := uuid.NewString(), uuid.NewString()
	sealed, err := k.Seal(ctx, alice, "customer.email", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Seal(ctx, bob, "customer.email", "bob@example.com"); err != nil { // bob has a key too
		t.Fatal(err)
	}
	payload := sealed[strings.LastIndex(sealed, ":")+1:]

	// flip changes one base64 character of the payload at i.
	flip := func(i int) string {
		b := []byte(payload)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return "enc:v1:" + alice + ":" + string(b)
	}
	for name, tc := range map[string]struct {
		sealed, aad string
	}{
		"wrong aad":                  {sealed, "customer.phone"},
		"empty aad":                  {sealed, ""},
		"altered nonce":              {flip(0), "customer.email"},
		"altered ciphertext":         {flip(20), "customer.email"},
		"altered tag":                {flip(len(payload) - 2), "customer.email"},
		"truncated":                  {sealed[:len(sealed)-4], "customer.email"},
		"too short":                  {"enc:v1:" + alice + ":AAAA", "customer.email"},
		"not base64url":              {"enc:v1:" + alice + ":" + payload + "!", "customer.email"},
		"another customer's value":   {"enc:v1:" + bob + ":" + payload, "customer.email"},
		"another spelling of the id": {"enc:v1:" + strings.ToUpper(alice) + ":" + payload, "customer.email"},
		"no customer":                {"enc:v1:" + payload, "customer.email"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := k.Open(ctx, tc.sealed, tc.aad)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %q, %v; want ErrCorrupt", got, err)
			}
		})
	}

	// Still fine after all that.
	if got, err := k.Open(ctx, sealed, "customer.email"); err != nil || got != "alice@example.com" {
		t.Fatalf("Open of the untouched value = %q, %v", got, err)
	}
}

func TestOpenOfAPlainValue(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	for _, plain := range []string{"", "alice@example.com", "enc:v2:whatever", "ENC:V1:" + uuid.NewString() + ":AAAA"} {
		if _, err := k.Open(testCtx(t), plain, "customer.email"); !errors.Is(err, ErrNotSealed) {
			t.Errorf("Open(%q) = %v, want ErrNotSealed", plain, err)
		}
	}
}

func TestOpenForACustomerWithoutKey(t *testing.T) {
	js, _ := testenv.JetStream(t)
	k := ensure(t, js)
	// A well-formed value naming a customer that never had a key (say, restored from elsewhere).
	sealed := "enc:v1:" + uuid.NewString() + ":" + strings.Repeat("A", 40)
	if _, err := k.Open(testCtx(t), sealed, "customer.email"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Open = %v, want ErrNoKey", err)
	}
}

func TestIsSealedAndCustomerOf(t *testing.T) {
	id := uuid.NewString()
	valid := "enc:v1:" + id + ":" + strings.Repeat("A", 40)
	for _, tc := range []struct {
		in     string
		sealed bool
		id     string
	}{
		{valid, true, id},
		{"enc:v1:", true, ""},
		{"enc:v1:" + id, true, ""},
		{"enc:v1:not-a-uuid:" + strings.Repeat("A", 40), true, ""},
		{"alice@example.com", false, ""},
		{"", false, ""},
		{" " + valid, false, ""},
	} {
		if got := IsSealed(tc.in); got != tc.sealed {
			t.Errorf("IsSealed(%q) = %v, want %v", tc.in, got, tc.sealed)
		}
		got, ok := CustomerOf(tc.in)
		if ok != (tc.id != "") || got != tc.id {
			t.Errorf("CustomerOf(%q) = %q, %v; want %q", tc.in, got, ok, tc.id)
		}
	}
}

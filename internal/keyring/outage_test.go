package keyring

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/toffstech/customer-management/internal/testenv"
)

// TestOutageIsAnErrorNeverErased shuts the NATS server down under a Keyring: every call that needs
// the bucket must fail, and none may claim that personal data was erased, except for a customer
// this Keyring saw destroyed (erasure is final).
func TestOutageIsAnErrorNeverErased(t *testing.T) {
	s := testenv.NATSServer(t, t.TempDir(), false)
	js := connect(t, s.ClientURL())
	k, other := ensure(t, js), ensure(t, connect(t, s.ClientURL()))
	ctx := testCtx(t)

	cached, uncached, erased := uuid.NewString(), uuid.NewString(), uuid.NewString()
	sealedCached, err := k.Seal(ctx, cached, "customer.email", "cached@example.com")
	if err != nil {
		t.Fatal(err)
	}
	sealedUncached, err := other.Seal(ctx, uncached, "customer.email", "uncached@example.com")
	if err != nil {
		t.Fatal(err)
	}
	sealedErased, err := k.Seal(ctx, erased, "customer.email", "erased@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Destroy(ctx, erased); err != nil {
		t.Fatal(err)
	}

	s.Shutdown()
	testenv.WaitFor(t, 5*time.Second, func() bool { return !js.Conn().IsConnected() }, "the client did not notice the outage")

	notErased := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s succeeded during the outage", what)
		} else if errors.Is(err, ErrErased) || errors.Is(err, ErrNoKey) {
			t.Errorf("%s during the outage = %v, want an outage error", what, err)
		}
	}
	_, err = k.Key(ctx, uncached)
	notErased("Key of an uncached customer", err)
	_, err = k.Open(ctx, sealedUncached, "customer.email")
	notErased("Open for an uncached customer", err)
	_, err = k.KeyOrCreate(ctx, uuid.NewString())
	notErased("KeyOrCreate", err)
	_, err = k.Seal(ctx, uuid.NewString(), "customer.email", "new@example.com")
	notErased("Seal for a new customer", err)
	notErased("Destroy", k.Destroy(ctx, uuid.NewString()))
	// A cached key is not used either: while disconnected, the watcher could miss a Destroy.
	_, err = k.Open(ctx, sealedCached, "customer.email")
	notErased("Open for a cached customer", err)

	if _, err := k.Open(ctx, sealedErased, "customer.email"); !errors.Is(err, ErrErased) {
		t.Errorf("Open for a customer destroyed before the outage = %v, want ErrErased", err)
	}

	start := time.Now()
	k.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %s during the outage", d)
	}
}

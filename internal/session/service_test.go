package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/credentials"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/keyring"
	"github.com/toffstech/customer-management/internal/session"
	"github.com/toffstech/customer-management/internal/testenv"
)

type fixture struct {
	js    jetstream.JetStream
	svc   *session.Service
	users *command.Users
	cust  *command.Customers
}

func setup(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	if _, err := eventstore.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	pw, err := credentials.EnsurePasswords(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := credentials.EnsureSessions(ctx, js, 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	th, err := credentials.EnsureThrottle(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	cust := command.NewCustomers(eventstore.New(js, nil), command.RoleAuthorizer{})
	keys, err := keyring.Ensure(context.Background(), js)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keys.Close)
	users := command.NewUsers(cust, credentials.ForCommands{P: pw}, command.AuthPasswords{}, keys)
	return fixture{js: js, svc: session.New(users, pw, ss, th, 0), users: users, cust: cust}
}

const goodPassword = "Plenty-long passphrase 42"

func (f fixture) owner(t *testing.T, name, email string) command.CustomerWithOwnerResult {
	t.Helper()
	r, err := f.users.CreateCustomerWithOwner(context.Background(), command.SystemMeta("t"), domain.CreateCustomer{Name: name},
		command.Owner{Name: "Owner", Email: email, Password: command.NewPassword{Password: goodPassword, Confirm: goodPassword}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoginAuthenticateLogout(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	o := f.owner(t, "Acme", "ada@example.com")
	token, p, err := f.svc.Login(ctx, " ADA@example.com ", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if p.User.ID != o.Owner.ID || !p.Permissions.Has("Customer Delete") || p.ExpiresAt.Before(time.Now()) {
		t.Fatalf("principal: %+v", p)
	}
	got, err := f.svc.Authenticate(ctx, token)
	if err != nil || got.User.ID != o.Owner.ID {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	if _, err := f.svc.Authenticate(ctx, token+"x"); !errors.Is(err, session.ErrUnauthenticated) {
		t.Fatalf("garbage token: %v", err)
	}
	if err := f.svc.Logout(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, token); !errors.Is(err, session.ErrUnauthenticated) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestWrongPasswordAndUnknownEmailLookAlike(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.owner(t, "Acme", "ada@example.com")
	time0 := time.Now()
	_, _, errWrong := f.svc.Login(ctx, "ada@example.com", "not the password at all")
	wrong := time.Since(time0)
	time0 = time.Now()
	_, _, errUnknown := f.svc.Login(ctx, "nobody@example.com", "not the password at all")
	unknown := time.Since(time0)
	if !errors.Is(errWrong, session.ErrInvalidCredentials) || !errors.Is(errUnknown, session.ErrInvalidCredentials) || errWrong.Error() != errUnknown.Error() {
		t.Fatalf("answers differ: %v / %v", errWrong, errUnknown)
	}
	// Both pay one argon2id verification (tens of ms); neither may be an order of magnitude cheaper.
	if unknown < wrong/4 || wrong < unknown/4 {
		t.Errorf("timings differ too much: wrong password %s, unknown email %s", wrong, unknown)
	}
}

func TestRevocations(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	sys := command.SystemMeta("t")
	o := f.owner(t, "Acme", "ada@example.com")
	login := func() string {
		tok, _, err := f.svc.Login(ctx, "ada@example.com", goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	alive := func(tok string) bool { _, err := f.svc.Authenticate(ctx, tok); return err == nil }

	tok := login()
	if _, err := f.users.DisableUser(ctx, sys, o.Owner.ID); err != nil {
		t.Fatal(err)
	}
	if alive(tok) {
		t.Error("a disabled user's session still works")
	}
	if _, _, err := f.svc.Login(ctx, "ada@example.com", goodPassword); !errors.Is(err, session.ErrInvalidCredentials) {
		t.Errorf("a disabled user logs in: %v", err)
	}
	if _, err := f.users.EnableUser(ctx, sys, o.Owner.ID); err != nil {
		t.Fatal(err)
	}
	tok = login()
	if _, err := f.users.ChangePassword(ctx, sys, o.Owner.ID, command.NewPassword{Password: "Another fine passphrase 7", Confirm: "Another fine passphrase 7"}, false); err != nil {
		t.Fatal(err)
	}
	if alive(tok) {
		t.Error("a session survived a password change")
	}
	if _, _, err := f.svc.Login(ctx, "ada@example.com", goodPassword); !errors.Is(err, session.ErrInvalidCredentials) {
		t.Errorf("old password still works: %v", err)
	}
	tok, _, err := f.svc.Login(ctx, "ada@example.com", "Another fine passphrase 7")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cust.DeleteCustomer(ctx, sys, o.Customer.ID); err != nil {
		t.Fatal(err)
	}
	if alive(tok) {
		t.Error("a session survived the deletion of its user's customer")
	}
}

func TestThrottledLogin(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.owner(t, "Acme", "ada@example.com")
	var err error
	for i := 0; i < credentials.FreeAttempts; i++ {
		_, _, err = f.svc.Login(ctx, "ada@example.com", "wrong password number x")
	}
	var th *session.ThrottledError
	if !errors.As(err, &th) || th.RetryAfter <= 0 {
		t.Fatalf("failure %d: %v, want a throttle", credentials.FreeAttempts, err)
	}
	// While throttled, even the right password is not checked.
	if _, _, err := f.svc.Login(ctx, "ada@example.com", goodPassword); !errors.As(err, &th) {
		t.Fatalf("right password while throttled: %v", err)
	}
	testenv.WaitFor(t, 5*time.Second, func() bool {
		_, _, err := f.svc.Login(ctx, "ada@example.com", goodPassword)
		return err == nil
	}, "the throttle never lifted")
}

// TestCachedSessionsStillRevoke: with the cache on, a revocation by this process ends the session
// before the command returns, and one by another process within moments (through the watch).
func TestCachedSessionsStillRevoke(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := f.svc.StartCache(ctx); err != nil {
		t.Fatal(err)
	}
	o := f.owner(t, "Acme", "ada@example.com")
	tok, _, err := f.svc.Login(ctx, "ada@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the second and third come from the cache
		if _, err := f.svc.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	// Another process revokes: only the watch can tell this one.
	other, err := credentials.EnsurePasswords(ctx, f.js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.RevokeSessions(ctx, o.Owner.ID); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 2*time.Second, func() bool {
		_, err := f.svc.Authenticate(ctx, tok)
		return errors.Is(err, session.ErrUnauthenticated)
	}, "a session revoked by another process still authenticates")

	// This process revokes through the adapter: no delay at all.
	tok, _, err = f.svc.Login(ctx, "ada@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	adapter := credentials.ForCommands{P: other, Changed: f.svc.UserChanged}
	if err := adapter.RevokeSessions(ctx, o.Owner.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, tok); !errors.Is(err, session.ErrUnauthenticated) {
		t.Fatalf("right after this process revoked: %v", err)
	}
}

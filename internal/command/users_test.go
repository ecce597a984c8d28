package command_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/credentials"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/keyring"
)

// testPasswords is a stand-in for the password policy and hasher: length and confirmation only,
// and a visibly fake "hash" that the secret scan below must not find in the stream either.
type testPasswords struct{}

func (testPasswords) Check(pw, confirm string) error {
	var f []domain.FieldError
	if len(pw) < 12 {
		f = append(f, domain.FieldError{Field: "password", Detail: "too short"})
	}
	if pw != confirm {
		f = append(f, domain.FieldError{Field: "password_confirm", Detail: "does not match"})
	}
	return domain.InvalidFields(f...)
}
func (testPasswords) Hash(pw string) (string, error) { return "$test$hash-of-" + pw, nil }

type userFixture struct {
	fixture
	u     *command.Users
	creds *credentials.Passwords
	js    jetstream.JetStream
	keys  *keyring.Keyring
}

// testKeys opens the key store of personal data on js, closed when the test ends.
func testKeys(t *testing.T, js jetstream.JetStream) *keyring.Keyring {
	t.Helper()
	k, err := keyring.Ensure(context.Background(), js)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k
}

func setupUsers(t *testing.T) userFixture {
	t.Helper()
	f := setup(t)
	js := f.store.JetStream()
	p, err := credentials.EnsurePasswords(context.Background(), js, 1)
	if err != nil {
		t.Fatal(err)
	}
	keys := testKeys(t, js)
	return userFixture{fixture: f, u: command.NewUsers(f.h, credentials.ForCommands{P: p}, testPasswords{}, keys), creds: p, js: js, keys: keys}
}

func pw(s string) command.NewPassword { return command.NewPassword{Password: s, Confirm: s} }

func (f userFixture) withOwner(t *testing.T, name, parent, email string) command.CustomerWithOwnerResult {
	t.Helper()
	res, err := f.u.CreateCustomerWithOwner(context.Background(), meta, domain.CreateCustomer{Name: name, ParentID: parent},
		command.Owner{Name: "Owner of " + name, Email: email, Password: pw("correct horse battery")})
	if err != nil {
		t.Fatalf("create %s with owner: %v", name, err)
	}
	return res
}

// rawStream returns every stored message of the stream, for secret scans.
func rawStream(t *testing.T, js jetstream.JetStream) []byte {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := s.Info(ctx)
	var all bytes.Buffer
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		all.WriteString(m.Subject)
		for k, v := range m.Header {
			all.WriteString(k + strings.Join(v, ","))
		}
		all.Write(m.Data)
	}
	return all.Bytes()
}

func TestCreateCustomerWithOwner(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	res := f.withOwner(t, "Acme", "", "Ada@Example.com")
	if res.Owner.CustomerID != res.Customer.ID || res.Owner.Role != command.OwnerRole || res.Owner.Email != "ada@example.com" {
		t.Fatalf("owner: %+v", res.Owner)
	}
	if _, err := f.u.GetUser(ctx, meta, res.Owner.ID); err != nil {
		t.Fatal(err)
	}
	cred, err := f.creds.Get(ctx, res.Owner.ID)
	if err != nil || cred.Hash != "$test$hash-of-correct horse battery" {
		t.Fatalf("credential: %+v %v", cred, err)
	}
	raw := rawStream(t, f.js)
	for _, secret := range []string{"correct horse battery", "$test$hash-of"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the event stream contains %q", secret)
		}
	}

	// Atomicity: a taken email fails the whole batch — no customer either; a taken name fails it
	// too — no user either.
	_, err = f.u.CreateCustomerWithOwner(ctx, meta, domain.CreateCustomer{Name: "Beta"}, command.Owner{Name: "B", Email: "ada@example.com", Password: pw("correct horse battery")})
	if domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("taken email: %v", err)
	}
	if _, err := f.h.CreateCustomer(ctx, meta, domain.CreateCustomer{Name: "Beta"}); err != nil {
		t.Fatalf("the name Beta must still be free: %v", err)
	}
	_, err = f.u.CreateCustomerWithOwner(ctx, meta, domain.CreateCustomer{Name: "Acme"}, command.Owner{Name: "C", Email: "carl@example.com", Password: pw("correct horse battery")})
	if domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("taken name: %v", err)
	}
	if _, err := f.u.CreateUser(ctx, meta, domain.CreateUser{CustomerID: res.Customer.ID, Role: "Business User", Name: "Carl", Email: "carl@example.com"}, pw("correct horse battery")); err != nil {
		t.Fatalf("the email carl@ must still be free: %v", err)
	}

	// Validation names the owner's fields apart from the customer's.
	_, err = f.u.CreateCustomerWithOwner(ctx, meta, domain.CreateCustomer{Name: ""}, command.Owner{Name: "", Email: "nope", Password: command.NewPassword{Password: "short", Confirm: "other"}})
	var de *domain.Error
	if !asDomain(err, &de) || de.Code != domain.Invalid {
		t.Fatalf("invalid: %v", err)
	}
	got := map[string]bool{}
	for _, fe := range de.Fields {
		got[fe.Field] = true
	}
	for _, want := range []string{"name", "owner.name", "owner.email", "owner.password", "owner.password_confirm"} {
		if !got[want] {
			t.Errorf("field %s not named: %v", want, de.Fields)
		}
	}
}

func asDomain(err error, de **domain.Error) bool {
	e, ok := err.(*domain.Error)
	*de = e
	return ok
}

func TestConcurrentEmailUniqueness(t *testing.T) {
	f := setupUsers(t)
	c := f.withOwner(t, "Acme", "", "owner@example.com").Customer
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Go(func() {
			email := "same@example.com"
			if i%2 == 1 {
				email = " SAME@example.COM "
			}
			_, errs[i] = f.u.CreateUser(context.Background(), meta, domain.CreateUser{CustomerID: c.ID, Role: "Business User", Name: fmt.Sprintf("U%d", i), Email: email}, pw("correct horse battery"))
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if domain.ErrorCode(err) != domain.Conflict {
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 50 creates with one email succeeded, want exactly 1", ok)
	}
}

func TestDeleteCustomerDeletesItsUsers(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	res := f.withOwner(t, "Acme", "", "owner@example.com")
	extra, err := f.u.CreateUser(ctx, meta, domain.CreateUser{CustomerID: res.Customer.ID, Role: "Technical View", Name: "Tech", Email: "tech@example.com"}, pw("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.DeleteCustomer(ctx, meta, res.Customer.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{res.Owner.ID, extra.User.ID} {
		if _, err := f.u.GetUser(ctx, meta, id); domain.ErrorCode(err) != domain.NotFound {
			t.Errorf("user %s survived its customer: %v", id, err)
		}
		if _, err := f.creds.Get(ctx, id); err == nil {
			t.Errorf("credential of %s survived", id)
		}
	}
	// The emails are free again; the customer's members list is closed.
	again := f.withOwner(t, "Acme", "", "owner@example.com")
	if again.Customer.ID == res.Customer.ID {
		t.Fatal("same id")
	}
	if _, err := f.u.CreateUser(ctx, meta, domain.CreateUser{CustomerID: res.Customer.ID, Role: "Business User", Name: "Late", Email: "late@example.com"}, pw("correct horse battery")); domain.ErrorCode(err) != domain.Invalid {
		t.Fatalf("a user added to a deleted customer: %v", err)
	}
}

// TestUserCreateRacesCustomerDelete: whatever the interleaving, no user survives under a deleted
// customer.
func TestUserCreateRacesCustomerDelete(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	for round := range 10 {
		c := f.withOwner(t, fmt.Sprintf("C%d", round), "", fmt.Sprintf("o%d@example.com", round)).Customer
		var wg sync.WaitGroup
		var uerr, derr error
		var ur command.UserResult
		wg.Go(func() {
			ur, uerr = f.u.CreateUser(ctx, meta, domain.CreateUser{CustomerID: c.ID, Role: "Business User", Name: "U", Email: fmt.Sprintf("u%d@example.com", round)}, pw("correct horse battery"))
		})
		wg.Go(func() { _, derr = f.h.DeleteCustomer(ctx, meta, c.ID) })
		wg.Wait()
		if derr != nil {
			t.Fatalf("round %d: delete: %v", round, derr)
		}
		if uerr == nil {
			if _, err := f.u.GetUser(ctx, meta, ur.User.ID); domain.ErrorCode(err) != domain.NotFound {
				t.Fatalf("round %d: the user created beside the delete survived: %v", round, err)
			}
		} else if domain.ErrorCode(uerr) != domain.Invalid {
			t.Fatalf("round %d: create: %v", round, uerr)
		}
	}
}

func TestUserUpdatesAndSessions(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	a := f.withOwner(t, "A", "", "a@example.com")
	b := f.withOwner(t, "B", "", "b@example.com")
	epoch := func() uint64 { c, _ := f.creds.Get(ctx, a.Owner.ID); return c.Epoch }
	e0 := epoch()
	// New email: the old one is free again.
	if _, err := f.u.UpdateUser(ctx, meta, a.Owner.ID, domain.UpdateUser{Email: events.Some("ada@example.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.u.CreateUser(ctx, meta, domain.CreateUser{CustomerID: b.Customer.ID, Role: "Business User", Name: "X", Email: "a@example.com"}, pw("correct horse battery")); err != nil {
		t.Fatalf("old email not released: %v", err)
	}
	if _, err := f.u.UpdateUser(ctx, meta, a.Owner.ID, domain.UpdateUser{Email: events.Some("b@example.com")}); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("taking b's email: %v", err)
	}
	if _, err := f.u.UpdateUser(ctx, meta, a.Owner.ID, domain.UpdateUser{Role: events.Some("Wizard")}); domain.ErrorCode(err) != domain.Invalid {
		t.Fatalf("unknown role: %v", err)
	}
	if epoch() != e0 {
		t.Fatal("sessions revoked without reason")
	}
	if _, err := f.u.DisableUser(ctx, meta, a.Owner.ID); err != nil {
		t.Fatal(err)
	}
	if epoch() != e0+1 {
		t.Fatal("disabling did not revoke the sessions")
	}
	if r, err := f.u.DisableUser(ctx, meta, a.Owner.ID); err != nil || r.Changed {
		t.Fatalf("disable twice: %+v %v", r, err)
	}
	if _, err := f.u.ChangePassword(ctx, meta, a.Owner.ID, pw("another long secret"), false); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.creds.Get(ctx, a.Owner.ID); c.Hash != "$test$hash-of-another long secret" || c.Epoch != e0+2 {
		t.Fatalf("password change: %+v", c)
	}
	// Move the user to B: it leaves A's members, so deleting A leaves it alone.
	if _, err := f.u.UpdateUser(ctx, meta, a.Owner.ID, domain.UpdateUser{CustomerID: events.Some(b.Customer.ID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.DeleteCustomer(ctx, meta, a.Customer.ID); err != nil {
		t.Fatal(err)
	}
	if u, err := f.u.GetUser(ctx, meta, a.Owner.ID); err != nil || u.CustomerID != b.Customer.ID {
		t.Fatalf("moved user after its old customer was deleted: %+v %v", u, err)
	}
	if bytes.Contains(rawStream(t, f.js), []byte("another long secret")) {
		t.Error("a password reached the stream")
	}
}

func TestEnsureFirstOperatorOnce(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	created := make([]bool, 5)
	for i := range created {
		wg.Go(func() {
			var err error
			created[i], err = f.u.EnsureFirstOperator(ctx, command.FirstOperator{Name: "Operator", Email: "ops@toffstech.example", Password: "operator password 1"})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	for _, c := range created {
		if c {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d of 5 concurrent starts created the first operator, want 1", n)
	}
	id, err := f.u.UserIDByEmail(ctx, "OPS@toffstech.example")
	if err != nil || id == "" {
		t.Fatalf("operator by email: %q %v", id, err)
	}
	u, err := f.u.GetUser(ctx, command.SystemMeta("t"), id)
	if err != nil || u.Role != "Toffstech Support" {
		t.Fatalf("operator: %+v %v", u, err)
	}
	if again, err := f.u.EnsureFirstOperator(ctx, command.FirstOperator{Name: "X", Email: "x@toffstech.example", Password: "operator password 2"}); err != nil || again {
		t.Fatalf("a later start: %v %v", again, err)
	}
}

// sabotage is a credential store that, while it is set, changes a user behind the command's back
// each time sessions are revoked — that is, between the moment a delete reads the users and the
// moment it appends its batch.
type sabotage struct {
	credentials.ForCommands
	during func()
}

func (s *sabotage) RevokeSessions(ctx context.Context, id string) error {
	if s.during != nil {
		s.during()
	}
	return s.ForCommands.RevokeSessions(ctx, id)
}

// TestDeleteWithUsersIsAtomicUnderFailure injects a concurrent change into every attempt of a
// customer delete: the batch is refused each time, and afterwards the customer, all its users
// and their emails are exactly as before — nothing half-deleted.
func TestDeleteWithUsersIsAtomicUnderFailure(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	sab := &sabotage{ForCommands: credentials.ForCommands{P: f.creds}}
	u := command.NewUsers(f.h, sab, testPasswords{}, f.keys)
	res := f.withOwner(t, "Acme", "", "owner@example.com")
	extra, err := u.CreateUser(ctx, meta, domain.CreateUser{CustomerID: res.Customer.ID, Role: "Business User", Name: "Extra", Email: "extra@example.com"}, pw("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	other := command.NewUsers(command.NewCustomers(f.store, nil), credentials.ForCommands{P: f.creds}, testPasswords{}, f.keys)
	n := 0
	sab.during = func() {
		n++
		if _, err := other.UpdateUser(ctx, meta, extra.User.ID, domain.UpdateUser{Remark: events.Some(fmt.Sprint("touched ", n))}); err != nil {
			t.Error(err)
		}
	}
	before := rawStream(t, f.js)
	_, err = f.h.DeleteCustomer(ctx, meta, res.Customer.ID)
	if err == nil {
		t.Fatal("the delete succeeded although every attempt was sabotaged")
	}
	if n < 2 {
		t.Fatalf("the sabotage ran %d times", n)
	}
	sab.during = nil
	if _, _, err := f.h.GetCustomer(ctx, meta, res.Customer.ID); err != nil {
		t.Errorf("customer after the failed delete: %v", err)
	}
	for _, id := range []string{res.Owner.ID, extra.User.ID} {
		if _, err := u.GetUser(ctx, meta, id); err != nil {
			t.Errorf("user %s after the failed delete: %v", id, err)
		}
	}
	if id, _ := u.UserIDByEmail(ctx, "extra@example.com"); id != extra.User.ID {
		t.Errorf("the email reservation moved: %q", id)
	}
	if bytes.Contains(rawStream(t, f.js)[len(before):], []byte(events.CustomerDeleted)) {
		t.Error("a customer.deleted reached the log")
	}
	// Without sabotage the same delete goes through, users included.
	if _, err := f.h.DeleteCustomer(ctx, meta, res.Customer.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := u.GetUser(ctx, meta, extra.User.ID); domain.ErrorCode(err) != domain.NotFound {
		t.Errorf("user after the delete: %v", err)
	}
}

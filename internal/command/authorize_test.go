package command_test

import (
	"context"
	"testing"

	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/credentials"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
)

// actorOf returns the command metadata of user u acting.
func actorOf(u domain.User) command.Meta {
	return command.Meta{
		Actor:       events.Actor{Type: events.ActorUser, ID: u.ID, CustomerID: u.CustomerID, Role: u.Role},
		RequestID:   "authz-test",
		Permissions: auth.DefaultPermissions(auth.Role(u.Role)),
	}
}

// TestRoleAuthorizer checks reach and permissions for the people of a small tree:
// A (owner a) ⊃ A1 (owner a1); sibling B (owner b); support user s of the platform customer P.
func TestRoleAuthorizer(t *testing.T) {
	base := setupUsers(t)
	ctx := context.Background()
	h := command.NewCustomers(base.store, command.RoleAuthorizer{})
	u := command.NewUsers(h, credentials.ForCommands{P: base.creds}, testPasswords{}, base.keys)
	sys := command.Meta{Actor: events.Actor{Type: events.ActorSystem}}
	mk := func(name, parent, email string) command.CustomerWithOwnerResult {
		r, err := u.CreateCustomerWithOwner(ctx, sys, domain.CreateCustomer{Name: name, ParentID: parent},
			command.Owner{Name: name + " owner", Email: email, Password: pw("correct horse battery")})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	p := mk("Platform", "", "p@example.com")
	a := mk("A", "", "a@example.com")
	a1 := mk("A1", a.Customer.ID, "a1@example.com")
	b := mk("B", "", "b@example.com")
	support, err := u.CreateUser(ctx, sys, domain.CreateUser{CustomerID: p.Customer.ID, Role: string(auth.RoleToffstechSupport), Name: "S", Email: "s@example.com"}, pw("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	view, err := u.CreateUser(ctx, sys, domain.CreateUser{CustomerID: a.Customer.ID, Role: "Technical View", Name: "V", Email: "v@example.com"}, pw("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	s, oa, oa1, ob, tv := actorOf(support.User), actorOf(a.Owner), actorOf(a1.Owner), actorOf(b.Owner), actorOf(view.User)

	get := func(m command.Meta, id string) domain.Code {
		_, _, err := h.GetCustomer(ctx, m, id)
		return domain.ErrorCode(err)
	}
	cases := []struct {
		who  string
		m    command.Meta
		id   string
		want domain.Code
	}{
		{"support reads B", s, b.Customer.ID, ""},
		{"owner A reads A", oa, a.Customer.ID, ""},
		{"owner A reads A1", oa, a1.Customer.ID, ""},
		{"owner A reads B", oa, b.Customer.ID, domain.NotFound},
		{"owner A1 reads its parent A", oa1, a.Customer.ID, domain.NotFound},
		{"owner B reads A1", ob, a1.Customer.ID, domain.NotFound},
		{"technical view of A reads A1", tv, a1.Customer.ID, ""},
	}
	for _, c := range cases {
		if got := get(c.m, c.id); got != c.want {
			t.Errorf("%s: %q, want %q", c.who, got, c.want)
		}
	}
	// Writes.
	if _, err := h.UpdateCustomer(ctx, tv, a1.Customer.ID, domain.UpdateCustomer{Address: events.Some("x")}); domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("technical view edits A1: %v", err)
	}
	if _, err := h.UpdateCustomer(ctx, oa, a1.Customer.ID, domain.UpdateCustomer{Address: events.Some("x")}); err != nil {
		t.Errorf("owner A edits A1: %v", err)
	}
	if _, err := h.UpdateCustomer(ctx, oa, b.Customer.ID, domain.UpdateCustomer{Address: events.Some("x")}); domain.ErrorCode(err) != domain.NotFound {
		t.Errorf("owner A edits B: %v", err)
	}
	if _, err := h.DeleteCustomer(ctx, oa1, a1.Customer.ID); domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("owner A1 deletes its own customer: %v", err)
	}
	if _, err := h.UpdateCustomer(ctx, oa, a1.Customer.ID, domain.UpdateCustomer{ParentID: events.Some(b.Customer.ID)}); domain.ErrorCode(err) != domain.Invalid {
		t.Errorf("owner A moves A1 under B (out of reach): %v", err)
	}
	if _, err := h.UpdateCustomer(ctx, oa, a1.Customer.ID, domain.UpdateCustomer{ParentID: events.Null[string]()}); domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("owner A makes A1 a root: %v", err)
	}
	if _, err := h.CreateCustomer(ctx, oa, domain.CreateCustomer{Name: "Root?"}); domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("owner A creates a root customer: %v", err)
	}
	if _, err := h.CreateCustomer(ctx, oa, domain.CreateCustomer{Name: "Under B", ParentID: b.Customer.ID}); domain.ErrorCode(err) != domain.Invalid {
		t.Errorf("owner A creates under B: %v", err)
	}
	if _, err := h.CreateCustomer(ctx, oa, domain.CreateCustomer{Name: "A2", ParentID: a.Customer.ID}); err != nil {
		t.Errorf("owner A creates under A: %v", err)
	}
	// Users.
	if _, err := u.CreateUser(ctx, oa, domain.CreateUser{CustomerID: a1.Customer.ID, Role: string(auth.RoleToffstechSupport), Name: "X", Email: "x@example.com"}, pw("correct horse battery")); domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("owner A makes a support user: %v", err)
	}
	if _, err := u.CreateUser(ctx, oa, domain.CreateUser{CustomerID: b.Customer.ID, Role: "Business User", Name: "X", Email: "x@example.com"}, pw("correct horse battery")); domain.ErrorCode(err) != domain.Invalid {
		t.Errorf("owner A adds a user to B: %v", err)
	}
	if _, err := u.DisableUser(ctx, tv, a1.Owner.ID); domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("technical view disables a user: %v", err)
	}
	if _, err := u.DisableUser(ctx, oa, b.Owner.ID); domain.ErrorCode(err) != domain.NotFound {
		t.Errorf("owner A disables B's owner: %v", err)
	}
	if _, err := u.DeleteUser(ctx, oa, a.Owner.ID); domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("owner A deletes itself: %v", err)
	}
	if _, err := u.SetPermissions(ctx, oa, view.User.ID, []string{"Audit Log View"}, nil); domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("owner A grants a single permission: %v", err)
	}
	if _, err := u.SetPermissions(ctx, s, view.User.ID, []string{"Audit Log View"}, []string{"Domain View"}); err != nil {
		t.Errorf("support grants a single permission: %v", err)
	}
	if _, err := u.SetPermissions(ctx, s, view.User.ID, []string{"Fly"}, nil); domain.ErrorCode(err) != domain.Invalid {
		t.Errorf("unknown permission: %v", err)
	}
	if _, err := u.ChangePassword(ctx, oa, view.User.ID, pw("a brand new secret"), true); domain.ErrorCode(err) != domain.Forbidden {
		t.Errorf("owner A changes another user's password as if it were its own: %v", err)
	}
	if _, err := u.ChangePassword(ctx, tv, view.User.ID, pw("a brand new secret"), true); err != nil {
		t.Errorf("a user changes its own password: %v", err)
	}
	if c, _ := base.creds.Get(ctx, view.User.ID); c.Epoch < 2 {
		t.Errorf("sessions not revoked by the password change: %+v", c)
	}
}

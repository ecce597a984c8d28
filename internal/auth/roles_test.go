package auth_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/toffstech/customer-management/internal/auth"
)

func TestAllRoles(t *testing.T) {
	want := []auth.Role{"Toffstech Support", "Owner (All Access)", "Technical Administrator", "Technical View", "Business User"}
	if got := auth.AllRoles(); !slices.Equal(got, want) {
		t.Fatalf("AllRoles() = %q, want %q", got, want)
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range auth.AllRoles() {
		got, err := auth.ParseRole(string(r))
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Owner", "owner (all access)", "Owner (All Access) ", "Toffstech support", "Admin"} {
		if _, err := auth.ParseRole(s); !errors.Is(err, auth.ErrUnknownRole) {
			t.Errorf("ParseRole(%q) error = %v, want ErrUnknownRole", s, err)
		}
	}
}

// TestDefaultMatrix spells out the whole default matrix, permission by permission, so that any
// change to it is a deliberate edit here too.
func TestDefaultMatrix(t *testing.T) {
	const (
		S = auth.RoleToffstechSupport
		O = auth.RoleOwner
		A = auth.RoleTechnicalAdministrator
		V = auth.RoleTechnicalView
		B = auth.RoleBusinessUser
	)
	matrix := []struct {
		perm  auth.Permission
		roles []auth.Role // the roles that have it by default
	}{
		{auth.CustomerView, []auth.Role{S, O, A, V, B}},
		{auth.CustomerAdd, []auth.Role{S, O}},
		{auth.CustomerEdit, []auth.Role{S, O}},
		{auth.CustomerDelete, []auth.Role{S, O}},
		{auth.UserView, []auth.Role{S, O, A, V, B}},
		{auth.UserAdd, []auth.Role{S, O}},
		{auth.UserEdit, []auth.Role{S, O}},
		{auth.UserDelete, []auth.Role{S, O}},
		{auth.DomainView, []auth.Role{S, O, A, V, B}},
		{auth.DomainAdd, []auth.Role{S, O, A}},
		{auth.DomainEdit, []auth.Role{S, O, A}},
		{auth.DomainDelete, []auth.Role{S, O, A}},
		{auth.AuditLogView, []auth.Role{S, O, A}},
		{auth.DownloadReportView, []auth.Role{S, O, A, V, B}},
	}
	if len(matrix) != len(auth.AllPermissions()) {
		t.Fatalf("the test matrix has %d rows, want one per permission (%d)", len(matrix), len(auth.AllPermissions()))
	}
	for _, row := range matrix {
		for _, r := range auth.AllRoles() {
			want := slices.Contains(row.roles, r)
			if got := auth.DefaultPermissions(r).Has(row.perm); got != want {
				t.Errorf("%s has %s = %v, want %v", r, row.perm, got, want)
			}
		}
	}
	if got := auth.DefaultPermissions("Janitor"); got.Len() != 0 {
		t.Errorf("an unknown role has permissions %v", got)
	}
}

func TestMatrix(t *testing.T) {
	m := auth.Matrix()
	if len(m) != len(auth.AllRoles()) {
		t.Fatalf("Matrix() has %d roles, want %d", len(m), len(auth.AllRoles()))
	}
	for _, r := range auth.AllRoles() {
		if got, want := m[r], auth.DefaultPermissions(r).Sorted(); !slices.Equal(got, want) {
			t.Errorf("Matrix()[%s] = %q, want %q", r, got, want)
		}
	}
	if got := m[auth.RoleTechnicalView]; !slices.Equal(got, []auth.Permission{auth.CustomerView, auth.UserView, auth.DomainView, auth.DownloadReportView}) {
		t.Errorf("Matrix()[Technical View] = %q", got)
	}
	m[auth.RoleOwner][0] = "changed"
	if auth.Matrix()[auth.RoleOwner][0] != auth.CustomerView {
		t.Error("Matrix returns shared storage")
	}
}

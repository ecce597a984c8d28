package auth_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/toffstech/customer-management/internal/auth"
)

func TestEffective(t *testing.T) {
	tests := []struct {
		name string
		role auth.Role
		o    auth.Overrides
		want []auth.Permission
	}{
		{"defaults only", auth.RoleTechnicalView, auth.Overrides{},
			[]auth.Permission{auth.CustomerView, auth.UserView, auth.DomainView, auth.DownloadReportView}},
		{"granted adds", auth.RoleTechnicalView, auth.Overrides{Granted: []auth.Permission{auth.DomainEdit}},
			[]auth.Permission{auth.CustomerView, auth.UserView, auth.DomainView, auth.DomainEdit, auth.DownloadReportView}},
		{"revoked removes", auth.RoleTechnicalView, auth.Overrides{Revoked: []auth.Permission{auth.UserView}},
			[]auth.Permission{auth.CustomerView, auth.DomainView, auth.DownloadReportView}},
		{"revoked wins over granted", auth.RoleBusinessUser, auth.Overrides{Granted: []auth.Permission{auth.AuditLogView}, Revoked: []auth.Permission{auth.AuditLogView}},
			[]auth.Permission{auth.CustomerView, auth.UserView, auth.DomainView, auth.DownloadReportView}},
		{"granting a default changes nothing", auth.RoleBusinessUser, auth.Overrides{Granted: []auth.Permission{auth.CustomerView}},
			[]auth.Permission{auth.CustomerView, auth.UserView, auth.DomainView, auth.DownloadReportView}},
		{"revoking a missing permission changes nothing", auth.RoleBusinessUser, auth.Overrides{Revoked: []auth.Permission{auth.CustomerDelete}},
			[]auth.Permission{auth.CustomerView, auth.UserView, auth.DomainView, auth.DownloadReportView}},
		{"owner with a revocation", auth.RoleOwner, auth.Overrides{Revoked: []auth.Permission{auth.CustomerDelete, auth.UserDelete}},
			[]auth.Permission{auth.CustomerView, auth.CustomerAdd, auth.CustomerEdit, auth.UserView, auth.UserAdd, auth.UserEdit,
				auth.DomainView, auth.DomainAdd, auth.DomainEdit, auth.DomainDelete, auth.AuditLogView, auth.DownloadReportView}},
		{"unknown permissions grant nothing", auth.RoleBusinessUser, auth.Overrides{Granted: []auth.Permission{"Everything"}},
			[]auth.Permission{auth.CustomerView, auth.UserView, auth.DomainView, auth.DownloadReportView}},
		{"unknown role gets only its grants", "Janitor", auth.Overrides{Granted: []auth.Permission{auth.CustomerView}},
			[]auth.Permission{auth.CustomerView}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.Effective(tt.role, tt.o).Sorted(); !slices.Equal(got, tt.want) {
				t.Errorf("Effective() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	o := auth.Overrides{Granted: []auth.Permission{auth.AuditLogView}, Revoked: []auth.Permission{auth.UserView}}
	if err := o.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	if err := (auth.Overrides{Revoked: []auth.Permission{"user view"}}).Validate(); !errors.Is(err, auth.ErrUnknownPermission) {
		t.Errorf("Validate() with an unknown name = %v, want ErrUnknownPermission", err)
	}
	b, err := json.Marshal(o)
	if err != nil || string(b) != `{"granted":["Audit Log View"],"revoked":["User View"]}` {
		t.Errorf("Marshal(Overrides) = %s, %v", b, err)
	}
}

func TestCanGrant(t *testing.T) {
	full := auth.FullPermissionSet()
	tests := []struct {
		name  string
		role  auth.Role
		perms auth.PermissionSet
		perm  auth.Permission
		want  error
	}{
		{"support grants what it holds", auth.RoleToffstechSupport, full, auth.AuditLogView, nil},
		{"support without a permission cannot grant it", auth.RoleToffstechSupport, full.Without(auth.AuditLogView), auth.AuditLogView, auth.ErrForbidden},
		{"support with a revocation still grants the rest", auth.RoleToffstechSupport, full.Without(auth.AuditLogView), auth.DomainEdit, nil},
		{"owner holds everything but cannot grant", auth.RoleOwner, full, auth.DomainView, auth.ErrForbidden},
		{"technical administrator cannot grant", auth.RoleTechnicalAdministrator, auth.DefaultPermissions(auth.RoleTechnicalAdministrator), auth.DomainView, auth.ErrForbidden},
		{"business user cannot grant", auth.RoleBusinessUser, full, auth.DomainView, auth.ErrForbidden},
		{"a user given every permission is still not support", auth.RoleTechnicalView, full, auth.CustomerView, auth.ErrForbidden},
		{"unknown permission", auth.RoleToffstechSupport, full, "Root", auth.ErrUnknownPermission},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := auth.CanGrant(tt.role, tt.perms, tt.perm); !errorIs(err, tt.want) {
				t.Errorf("CanGrant() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCanAssignRole(t *testing.T) {
	full := auth.FullPermissionSet()
	owner := auth.DefaultPermissions(auth.RoleOwner)
	techAdmin := auth.DefaultPermissions(auth.RoleTechnicalAdministrator)
	tests := []struct {
		name  string
		actor auth.Role
		perms auth.PermissionSet
		role  auth.Role
		want  error
	}{
		{"support assigns support", auth.RoleToffstechSupport, full, auth.RoleToffstechSupport, nil},
		{"support assigns owner", auth.RoleToffstechSupport, full, auth.RoleOwner, nil},
		{"support assigns business user", auth.RoleToffstechSupport, full, auth.RoleBusinessUser, nil},
		{"support missing a permission cannot assign support", auth.RoleToffstechSupport, full.Without(auth.CustomerDelete), auth.RoleToffstechSupport, auth.ErrForbidden},
		{"owner cannot assign support", auth.RoleOwner, owner, auth.RoleToffstechSupport, auth.ErrForbidden},
		{"owner assigns owner", auth.RoleOwner, owner, auth.RoleOwner, nil},
		{"owner assigns technical administrator", auth.RoleOwner, owner, auth.RoleTechnicalAdministrator, nil},
		{"owner assigns technical view", auth.RoleOwner, owner, auth.RoleTechnicalView, nil},
		{"owner assigns business user", auth.RoleOwner, owner, auth.RoleBusinessUser, nil},
		{"owner with a revocation cannot assign owner", auth.RoleOwner, owner.Without(auth.UserDelete), auth.RoleOwner, auth.ErrForbidden},
		{"owner with a revocation still assigns technical view", auth.RoleOwner, owner.Without(auth.UserDelete), auth.RoleTechnicalView, nil},
		{"technical administrator cannot assign owner", auth.RoleTechnicalAdministrator, techAdmin, auth.RoleOwner, auth.ErrForbidden},
		{"technical administrator may assign technical view", auth.RoleTechnicalAdministrator, techAdmin, auth.RoleTechnicalView, nil},
		{"technical view without audit log cannot assign technical administrator", auth.RoleTechnicalView, auth.DefaultPermissions(auth.RoleTechnicalView), auth.RoleTechnicalAdministrator, auth.ErrForbidden},
		{"unknown role", auth.RoleToffstechSupport, full, "Root", auth.ErrUnknownRole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := auth.CanAssignRole(tt.actor, tt.perms, tt.role); !errorIs(err, tt.want) {
				t.Errorf("CanAssignRole() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCanManageUser(t *testing.T) {
	full := auth.FullPermissionSet()
	owner := auth.DefaultPermissions(auth.RoleOwner)
	view := auth.DefaultPermissions(auth.RoleTechnicalView)
	tests := []struct {
		name        string
		actor       auth.Role
		perms       auth.PermissionSet
		target      auth.Role
		targetPerms auth.PermissionSet
		want        error
	}{
		{"support manages support", auth.RoleToffstechSupport, full, auth.RoleToffstechSupport, full, nil},
		{"support manages an owner", auth.RoleToffstechSupport, full, auth.RoleOwner, owner, nil},
		{"owner cannot manage support", auth.RoleOwner, owner, auth.RoleToffstechSupport, full, auth.ErrForbidden},
		{"owner cannot manage support even with fewer permissions", auth.RoleOwner, owner, auth.RoleToffstechSupport, view, auth.ErrForbidden},
		{"owner manages another owner", auth.RoleOwner, owner, auth.RoleOwner, owner, nil},
		{"owner manages technical view", auth.RoleOwner, owner, auth.RoleTechnicalView, view, nil},
		{"owner with a revocation cannot manage a full owner", auth.RoleOwner, owner.Without(auth.CustomerDelete), auth.RoleOwner, owner, auth.ErrForbidden},
		{"owner cannot manage a user granted more than it holds", auth.RoleOwner, owner.Without(auth.AuditLogView), auth.RoleTechnicalView, view.With(auth.AuditLogView), auth.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := auth.CanManageUser(tt.actor, tt.perms, tt.target, tt.targetPerms); !errorIs(err, tt.want) {
				t.Errorf("CanManageUser() = %v, want %v", err, tt.want)
			}
		})
	}
}

// errorIs is errors.Is that also accepts a nil want for a nil err.
func errorIs(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

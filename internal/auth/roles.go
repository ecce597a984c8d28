package auth

import (
	"fmt"
	"slices"
)

// Role is the name of a user's role, e.g. "Owner (All Access)". The names are the user guide's and
// are stored in events and shown in the API: never rename one.
type Role string

// The roles of the user guide.
const (
	// RoleToffstechSupport is the platform operator's staff: every customer, every permission, and
	// the only role that grants or revokes single permissions and assigns this role.
	RoleToffstechSupport Role = "Toffstech Support"
	// RoleOwner is a customer's owner, the first user of every customer.
	RoleOwner Role = "Owner (All Access)"
	// RoleTechnicalAdministrator runs a customer's domains.
	RoleTechnicalAdministrator Role = "Technical Administrator"
	// RoleTechnicalView looks at a customer's technical settings without changing them.
	RoleTechnicalView Role = "Technical View"
	// RoleBusinessUser is a customer's non-technical staff, reading reports.
	RoleBusinessUser Role = "Business User"
)

// allRoles lists the roles from most to least powerful.
var allRoles = [...]Role{
	RoleToffstechSupport, RoleOwner, RoleTechnicalAdministrator, RoleTechnicalView, RoleBusinessUser,
}

// defaultPermissions is the default permission matrix: what each role may do before per-user
// overrides. The guide names the roles and permissions but not the matrix; these are our choices.
//
//	permission            Support  Owner  TechAdmin  TechView  Business
//	Customer View            x       x        x          x         x
//	Customer Add             x       x
//	Customer Edit            x       x
//	Customer Delete          x       x
//	User View                x       x        x          x         x
//	User Add                 x       x
//	User Edit                x       x
//	User Delete              x       x
//	Domain View              x       x        x          x         x
//	Domain Add               x       x        x
//	Domain Edit              x       x        x
//	Domain Delete            x       x        x
//	Audit Log View           x       x        x
//	Download Report View     x       x        x          x         x
//
// Why:
//   - Toffstech Support and Owner (All Access) have every permission. What sets support apart is not
//     a permission but its reach (every customer, see Reaches) and the rules that only support
//     grants single permissions and assigns the support role (see CanGrant and CanAssignRole).
//   - Technical Administrator manages domains (view, add, edit, delete) and reads the audit log to
//     see who changed a setting. It sees customers and users, so it knows whom it works for and
//     with, but does not manage either: adding customers (resellers) and people is the owner's call.
//   - Technical View is read-only: customers, users, domains, and the domain report (the CSV shows
//     the same domain settings it may already view). The audit log stays with those who change
//     things.
//   - Business User gets the same read-only set as Technical View. Business staff read reports;
//     hiding the domain pages while allowing the domain CSV would protect nothing. The two roles
//     are kept apart because the guide names both and support can tune either per user.
var defaultPermissions = map[Role]PermissionSet{
	RoleToffstechSupport: FullPermissionSet(),
	RoleOwner:            FullPermissionSet(),
	RoleTechnicalAdministrator: NewPermissionSet(
		CustomerView, UserView,
		DomainView, DomainAdd, DomainEdit, DomainDelete,
		AuditLogView, DownloadReportView,
	),
	RoleTechnicalView: NewPermissionSet(CustomerView, UserView, DomainView, DownloadReportView),
	RoleBusinessUser:  NewPermissionSet(CustomerView, UserView, DomainView, DownloadReportView),
}

// AllRoles returns every role from most to least powerful: Toffstech Support, Owner (All Access),
// Technical Administrator, Technical View, Business User. The slice is a fresh copy.
func AllRoles() []Role { return slices.Clone(allRoles[:]) }

// Valid reports whether r is one of AllRoles.
func (r Role) Valid() bool {
	_, ok := defaultPermissions[r]
	return ok
}

// ParseRole returns the role named exactly s (case, spaces and parentheses included), or an error
// wrapping ErrUnknownRole.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownRole, s)
}

// DefaultPermissions returns the permissions a role gives before per-user overrides; an unknown
// role gives none.
func DefaultPermissions(r Role) PermissionSet { return defaultPermissions[r] }

// Matrix returns the default permission matrix: for each role, its permissions in canonical order.
// It is what GET /v1/roles serves and the README documents; iterate AllRoles for a stable order.
// The map and slices are fresh copies.
func Matrix() map[Role][]Permission {
	m := make(map[Role][]Permission, len(allRoles))
	for _, r := range allRoles {
		m[r] = defaultPermissions[r].Sorted()
	}
	return m
}

package auth

import (
	"fmt"
	"slices"
)

// Permission is the name of one thing a user may do, e.g. "Customer Edit". The names are the
// user guide's and are stored in events and shown in the API: never rename one.
type Permission string

// The permissions, grouped by what they act on.
const (
	CustomerView   Permission = "Customer View"
	CustomerAdd    Permission = "Customer Add"
	CustomerEdit   Permission = "Customer Edit"
	CustomerDelete Permission = "Customer Delete"

	UserView   Permission = "User View"
	UserAdd    Permission = "User Add"
	UserEdit   Permission = "User Edit"
	UserDelete Permission = "User Delete"

	DomainView   Permission = "Domain View"
	DomainAdd    Permission = "Domain Add"
	DomainEdit   Permission = "Domain Edit"
	DomainDelete Permission = "Domain Delete"

	AuditLogView       Permission = "Audit Log View"
	DownloadReportView Permission = "Download Report View"
)

// allPermissions is the canonical order: by resource, then View, Add, Edit, Delete. Its indexes are
// the bits of PermissionSet, so only append to it.
var allPermissions = [...]Permission{
	CustomerView, CustomerAdd, CustomerEdit, CustomerDelete,
	UserView, UserAdd, UserEdit, UserDelete,
	DomainView, DomainAdd, DomainEdit, DomainDelete,
	AuditLogView, DownloadReportView,
}

// permissionBit maps each known permission to its bit in a PermissionSet.
var permissionBit = func() map[Permission]uint32 {
	m := make(map[Permission]uint32, len(allPermissions))
	for i, p := range allPermissions {
		m[p] = 1 << i
	}
	return m
}()

// AllPermissions returns every permission in the canonical order: Customer, User, Domain (each
// View, Add, Edit, Delete), then Audit Log View and Download Report View. The slice is a fresh
// copy the caller may change.
func AllPermissions() []Permission { return slices.Clone(allPermissions[:]) }

// Valid reports whether p is one of AllPermissions.
func (p Permission) Valid() bool {
	_, ok := permissionBit[p]
	return ok
}

// ParsePermission returns the permission named exactly s (case and spaces included), or an error
// wrapping ErrUnknownPermission.
func ParsePermission(s string) (Permission, error) {
	if p := Permission(s); p.Valid() {
		return p, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownPermission, s)
}

// ParsePermissions parses every name with ParsePermission and returns the first error. It is meant
// for names read from a request or an event, such as user.permissions_changed's lists.
func ParsePermissions(names []string) ([]Permission, error) {
	ps := make([]Permission, 0, len(names))
	for _, n := range names {
		p, err := ParsePermission(n)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

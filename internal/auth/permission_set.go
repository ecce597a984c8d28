package auth

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
)

// PermissionSet is an immutable set of permissions. The zero value is the empty set; sets are
// comparable with ==. Unknown permissions are never members: adding one does nothing, so a typo
// can only ever take a right away, never give one.
//
// In JSON a set is an array of permission names in the canonical order of AllPermissions, e.g.
// ["Customer View","Domain View"], and decoding refuses unknown names.
type PermissionSet struct {
	bits uint32
}

// NewPermissionSet returns the set of the given permissions.
func NewPermissionSet(ps ...Permission) PermissionSet { return PermissionSet{}.With(ps...) }

// FullPermissionSet returns the set of every permission.
func FullPermissionSet() PermissionSet { return NewPermissionSet(allPermissions[:]...) }

// Has reports whether p is in the set.
func (s PermissionSet) Has(p Permission) bool {
	b, ok := permissionBit[p]
	return ok && s.bits&b != 0
}

// With returns the set plus ps.
func (s PermissionSet) With(ps ...Permission) PermissionSet {
	for _, p := range ps {
		s.bits |= permissionBit[p]
	}
	return s
}

// Without returns the set minus ps.
func (s PermissionSet) Without(ps ...Permission) PermissionSet {
	for _, p := range ps {
		s.bits &^= permissionBit[p]
	}
	return s
}

// Contains reports whether every permission of o is also in s (o is a subset of s).
func (s PermissionSet) Contains(o PermissionSet) bool { return o.bits&^s.bits == 0 }

// Len returns the number of permissions in the set.
func (s PermissionSet) Len() int { return bits.OnesCount32(s.bits) }

// Sorted returns the permissions of the set in the canonical order of AllPermissions (by resource,
// then View, Add, Edit, Delete), never nil.
func (s PermissionSet) Sorted() []Permission {
	ps := make([]Permission, 0, s.Len())
	for i, p := range allPermissions {
		if s.bits&(1<<i) != 0 {
			ps = append(ps, p)
		}
	}
	return ps
}

// String returns the sorted names joined by ", ", e.g. "Customer View, Domain View".
func (s PermissionSet) String() string {
	names := make([]string, 0, s.Len())
	for _, p := range s.Sorted() {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// MarshalJSON encodes the set as an array of names in canonical order; the empty set is [].
func (s PermissionSet) MarshalJSON() ([]byte, error) { return json.Marshal(s.Sorted()) }

// UnmarshalJSON decodes an array of permission names; null is the empty set. An unknown name is
// an error wrapping ErrUnknownPermission.
func (s *PermissionSet) UnmarshalJSON(data []byte) error {
	var names []string
	if err := json.Unmarshal(data, &names); err != nil {
		return fmt.Errorf("auth: permission set: %w", err)
	}
	ps, err := ParsePermissions(names)
	if err != nil {
		return err
	}
	*s = NewPermissionSet(ps...)
	return nil
}

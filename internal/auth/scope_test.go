package auth_test

import (
	"testing"

	"github.com/toffstech/customer-management/internal/auth"
)

// The customer tree of the scope tests:
//
//	R (root)
//	├── A
//	│   └── A1
//	└── B
var (
	pathR  = []string{"R"}
	pathA  = []string{"A", "R"}
	pathA1 = []string{"A1", "A", "R"}
	pathB  = []string{"B", "R"}
	pathZ  = []string{"Z"} // another root, unrelated to R
)

// The actors of the scope tests: a support user (whose own customer, if any, is outside the tree),
// the owners of A, A1 and B, and a business user of A.
type scopeActor struct {
	name       string
	role       auth.Role
	customerID string
}

var (
	support   = scopeActor{"support", auth.RoleToffstechSupport, "T"}
	supportNC = scopeActor{"support without customer", auth.RoleToffstechSupport, ""}
	ownerA    = scopeActor{"owner of A", auth.RoleOwner, "A"}
	ownerA1   = scopeActor{"owner of A1", auth.RoleOwner, "A1"}
	ownerB    = scopeActor{"owner of sibling B", auth.RoleOwner, "B"}
	businessA = scopeActor{"business user of A", auth.RoleBusinessUser, "A"}
	noCust    = scopeActor{"owner without customer", auth.RoleOwner, ""}
)

func TestReaches(t *testing.T) {
	tests := []struct {
		actor scopeActor
		// reach over R, A, A1, B, Z
		r, a, a1, b, z bool
	}{
		{support, true, true, true, true, true},
		{supportNC, true, true, true, true, true},
		{ownerA, false, true, true, false, false},
		{businessA, false, true, true, false, false},
		{ownerA1, false, false, true, false, false},
		{ownerB, false, false, false, true, false},
		{noCust, false, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.actor.name, func(t *testing.T) {
			for _, target := range []struct {
				name string
				path []string
				want bool
			}{{"R", pathR, tt.r}, {"A", pathA, tt.a}, {"A1", pathA1, tt.a1}, {"B", pathB, tt.b}, {"Z", pathZ, tt.z}} {
				if got := auth.Reaches(tt.actor.role, tt.actor.customerID, target.path); got != target.want {
					t.Errorf("Reaches(%s) = %v, want %v", target.name, got, target.want)
				}
			}
		})
	}
	if auth.Reaches(auth.RoleOwner, "", []string{""}) {
		t.Error("an empty customer id reaches a path holding an empty id")
	}
	if auth.Reaches(auth.RoleOwner, "A", nil) {
		t.Error("a non-support actor reaches an empty path")
	}
}

func TestMayDeleteOrMove(t *testing.T) {
	tests := []struct {
		actor  scopeActor
		target string
		want   bool
	}{
		{support, "R", true},
		{support, "A", true},
		{support, "T", true}, // support is the operator; its own record is not a managed customer
		{supportNC, "A1", true},
		{ownerA, "A", false},
		{ownerA, "A1", true},
		{businessA, "A", false},
		{ownerA1, "A1", false},
		{ownerB, "B", false},
		{ownerB, "A", true}, // the rule alone; Reaches refuses it
		{noCust, "A", false},
	}
	for _, tt := range tests {
		if got := auth.MayDeleteOrMove(tt.actor.role, tt.actor.customerID, tt.target); got != tt.want {
			t.Errorf("MayDeleteOrMove(%s, %s) = %v, want %v", tt.actor.name, tt.target, got, tt.want)
		}
	}
}

func TestMayReparent(t *testing.T) {
	pathA2 := []string{"A2", "A", "R"}
	tests := []struct {
		name      string
		actor     scopeActor
		target    []string
		newParent []string // nil: make it a root
		want      bool
	}{
		{"support moves A under B", support, pathA, pathB, true},
		{"support makes A1 a root", support, pathA1, nil, true},
		{"owner of A moves A1 under A2", ownerA, pathA1, pathA2, true},
		{"owner of A moves A2 under A", ownerA, pathA2, pathA, true},
		{"owner of A cannot move A itself", ownerA, pathA, pathB, false},
		{"owner of A cannot move A1 under sibling B", ownerA, pathA1, pathB, false},
		{"owner of A cannot move A1 under the root R", ownerA, pathA1, pathR, false},
		{"owner of A cannot make A1 a root", ownerA, pathA1, nil, false},
		{"owner of A1 cannot move A1", ownerA1, pathA1, pathA1, false},
		{"owner of B cannot move A1 out of reach", ownerB, pathA1, pathB, false},
		{"owner of B cannot move A1 at all", ownerB, pathA1, pathA, false},
		{"empty target path", support, nil, pathB, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.MayReparent(tt.actor.role, tt.actor.customerID, tt.target, tt.newParent); got != tt.want {
				t.Errorf("MayReparent() = %v, want %v", got, tt.want)
			}
		})
	}
}

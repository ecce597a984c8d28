package auth_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/toffstech/customer-management/internal/auth"
)

func TestAllPermissions(t *testing.T) {
	want := []auth.Permission{
		"Customer View", "Customer Add", "Customer Edit", "Customer Delete",
		"User View", "User Add", "User Edit", "User Delete",
		"Domain View", "Domain Add", "Domain Edit", "Domain Delete",
		"Audit Log View", "Download Report View",
	}
	got := auth.AllPermissions()
	if !slices.Equal(got, want) {
		t.Fatalf("AllPermissions() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if auth.AllPermissions()[0] != auth.CustomerView {
		t.Error("AllPermissions returns shared storage")
	}
}

func TestParsePermission(t *testing.T) {
	for _, p := range auth.AllPermissions() {
		got, err := auth.ParsePermission(string(p))
		if err != nil || got != p {
			t.Errorf("ParsePermission(%q) = %q, %v", p, got, err)
		}
	}
	for _, s := range []string{"", "customer view", "Customer  View", " Customer View", "Customer View ", "Customer", "Report Download"} {
		if _, err := auth.ParsePermission(s); !errors.Is(err, auth.ErrUnknownPermission) {
			t.Errorf("ParsePermission(%q) error = %v, want ErrUnknownPermission", s, err)
		}
	}
	if _, err := auth.ParsePermissions([]string{"Domain View", "Domain Vieww"}); !errors.Is(err, auth.ErrUnknownPermission) {
		t.Errorf("ParsePermissions with an unknown name: error = %v", err)
	}
	ps, err := auth.ParsePermissions([]string{"Domain View", "Audit Log View"})
	if err != nil || !slices.Equal(ps, []auth.Permission{auth.DomainView, auth.AuditLogView}) {
		t.Errorf("ParsePermissions() = %q, %v", ps, err)
	}
}

func TestPermissionSet(t *testing.T) {
	var empty auth.PermissionSet
	if empty.Len() != 0 || empty.Has(auth.CustomerView) || len(empty.Sorted()) != 0 || empty.Sorted() == nil {
		t.Error("the zero PermissionSet is not an empty set with a non-nil Sorted()")
	}

	s := auth.NewPermissionSet(auth.DomainEdit, auth.CustomerView, auth.DomainEdit, "Not A Permission")
	if s.Len() != 2 || !s.Has(auth.CustomerView) || !s.Has(auth.DomainEdit) || s.Has("Not A Permission") {
		t.Errorf("NewPermissionSet = %v, want Customer View and Domain Edit only", s)
	}
	if got := s.Sorted(); !slices.Equal(got, []auth.Permission{auth.CustomerView, auth.DomainEdit}) {
		t.Errorf("Sorted() = %q, want canonical order", got)
	}
	if got := s.String(); got != "Customer View, Domain Edit" {
		t.Errorf("String() = %q", got)
	}

	if w := s.With(auth.AuditLogView); !w.Has(auth.AuditLogView) || s.Has(auth.AuditLogView) {
		t.Error("With must return a new set and leave the receiver unchanged")
	}
	if w := s.Without(auth.CustomerView); w.Has(auth.CustomerView) || !s.Has(auth.CustomerView) {
		t.Error("Without must return a new set and leave the receiver unchanged")
	}

	full := auth.FullPermissionSet()
	if full.Len() != len(auth.AllPermissions()) || !full.Contains(s) || s.Contains(full) || !s.Contains(s) || !s.Contains(empty) {
		t.Error("Contains is not the superset relation")
	}
	if auth.NewPermissionSet(auth.UserView, auth.CustomerView) != auth.NewPermissionSet(auth.CustomerView, auth.UserView) {
		t.Error("equal sets are not ==")
	}
}

func TestPermissionSetJSON(t *testing.T) {
	tests := []struct {
		set  auth.PermissionSet
		json string
	}{
		{auth.PermissionSet{}, `[]`},
		{auth.NewPermissionSet(auth.DownloadReportView, auth.CustomerView), `["Customer View","Download Report View"]`},
		{auth.FullPermissionSet(), `["Customer View","Customer Add","Customer Edit","Customer Delete","User View","User Add","User Edit","User Delete","Domain View","Domain Add","Domain Edit","Domain Delete","Audit Log View","Download Report View"]`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.set)
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.set, b, err, tt.json)
		}
		var back auth.PermissionSet
		if err := json.Unmarshal([]byte(tt.json), &back); err != nil || back != tt.set {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", tt.json, back, err, tt.set)
		}
	}

	var s auth.PermissionSet
	if err := json.Unmarshal([]byte(`["Customer View","Root Access"]`), &s); !errors.Is(err, auth.ErrUnknownPermission) {
		t.Errorf("Unmarshal with an unknown name: error = %v, want ErrUnknownPermission", err)
	}
	if err := json.Unmarshal([]byte(`"Customer View"`), &s); err == nil {
		t.Error("Unmarshal of a string, not an array, succeeded")
	}
	s = auth.FullPermissionSet()
	if err := json.Unmarshal([]byte(`null`), &s); err != nil || s.Len() != 0 {
		t.Errorf("Unmarshal(null) = %v, %v; want the empty set", s, err)
	}

	// Inside a struct, as GET /v1/me would send it.
	b, err := json.Marshal(struct {
		Permissions auth.PermissionSet `json:"permissions"`
	}{auth.NewPermissionSet(auth.UserView)})
	if err != nil || string(b) != `{"permissions":["User View"]}` {
		t.Errorf("Marshal in a struct = %s, %v", b, err)
	}
}

package auth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/toffstech/customer-management/internal/auth"
)

func TestCheckNew(t *testing.T) {
	const good = "correct horse battery"
	tests := []struct {
		name     string
		password string
		confirm  string
		field    string // "" when the password is accepted
		sentinel error
	}{
		{"good password", good, good, "", nil},
		{"exactly 12 characters", "abcdefghijk!", "abcdefghijk!", "", nil},
		{"12 characters of several bytes each", "ééééééééééé!", "ééééééééééé!", "", nil},
		{"emoji count as one character each", strings.Repeat("🔑", 12), strings.Repeat("🔑", 12), "", nil},
		{"spaces count and are not trimmed", "  correct horse  ", "  correct horse  ", "", nil},
		{"exactly the byte limit", strings.Repeat("a", auth.MaxPasswordBytes), strings.Repeat("a", auth.MaxPasswordBytes), "", nil},

		{"11 characters", "abcdefghij!", "abcdefghij!", auth.FieldPassword, auth.ErrWeakPassword},
		{"11 characters padded by spaces would be 12 only if trimmed", " abcdefghi ", " abcdefghi ", auth.FieldPassword, auth.ErrWeakPassword},
		{"11 multi-byte characters (22 bytes)", "ééééééééééé", "ééééééééééé", auth.FieldPassword, auth.ErrWeakPassword},
		{"empty", "", "", auth.FieldPassword, auth.ErrWeakPassword},
		{"one byte over the limit", strings.Repeat("a", auth.MaxPasswordBytes+1), strings.Repeat("a", auth.MaxPasswordBytes+1), auth.FieldPassword, auth.ErrWeakPassword},
		{"invalid UTF-8", "abcdefghijkl\xff", "abcdefghijkl\xff", auth.FieldPassword, auth.ErrWeakPassword},
		{"common password", "qwerty123456", "qwerty123456", auth.FieldPassword, auth.ErrWeakPassword},
		{"common password in other case", "QWERTY123456", "QWERTY123456", auth.FieldPassword, auth.ErrWeakPassword},
		{"common password in mixed case", "LeaveMeAlone", "LeaveMeAlone", auth.FieldPassword, auth.ErrWeakPassword},

		{"confirmation differs", good, good + "!", auth.FieldPasswordConfirm, auth.ErrPasswordMismatch},
		{"confirmation differs in case", good, strings.ToUpper(good), auth.FieldPasswordConfirm, auth.ErrPasswordMismatch},
		{"confirmation differs by a trailing space", good, good + " ", auth.FieldPasswordConfirm, auth.ErrPasswordMismatch},
		{"empty confirmation", good, "", auth.FieldPasswordConfirm, auth.ErrPasswordMismatch},
		{"a weak password is reported before a mismatch", "short", "other", auth.FieldPassword, auth.ErrWeakPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.CheckNew(tt.password, tt.confirm)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("CheckNew() = %v, want nil", err)
				}
				return
			}
			var pe *auth.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("CheckNew() = %v, want a *PolicyError", err)
			}
			if pe.Field != tt.field {
				t.Errorf("Field = %q, want %q", pe.Field, tt.field)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			if pe.Detail == "" || err.Error() != pe.Field+": "+pe.Detail {
				t.Errorf("Error() = %q, want field and detail", err.Error())
			}
			if tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("Error() = %q repeats the password", err.Error())
			}
		})
	}
}

func TestPolicyErrorSentinelsAreDistinct(t *testing.T) {
	err := auth.CheckNew("correct horse battery", "something else")
	if errors.Is(err, auth.ErrWeakPassword) {
		t.Errorf("a mismatch must not be ErrWeakPassword: %v", err)
	}
	err = auth.CheckNew("short", "short")
	if errors.Is(err, auth.ErrPasswordMismatch) {
		t.Errorf("a weak password must not be ErrPasswordMismatch: %v", err)
	}
}

package domain

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/toffstech/customer-management/internal/events"
)

// Field limits of users.
const (
	MaxEmailLength  = 254
	MaxRemarkLength = 500
)

// User is the user aggregate: a person who logs in, belonging to exactly one customer.
type User struct {
	ID         string
	CustomerID string
	Role       string
	Name       string
	// Email is trimmed and lower-cased: emails are unique case-insensitively.
	Email     string
	Remark    string
	Disabled  bool
	Deleted   bool
	Granted   []string
	Revoked   []string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   uint64
	LastSeq   uint64
}

// Exists reports whether the user was created and not deleted.
func (u *User) Exists() bool { return u != nil && u.Version > 0 && !u.Deleted }

// Apply folds one of the user's events into its state.
func (u *User) Apply(r Recorded) {
	switch p := r.Payload.(type) {
	case events.UserCreatedV1:
		u.CustomerID, u.Role, u.Name, u.Email, u.Remark = p.CustomerID, p.Role, p.Name, p.Email, p.Remark
		u.CreatedAt = r.Time
	case events.UserUpdatedV1:
		setIf(&u.CustomerID, p.CustomerID)
		setIf(&u.Role, p.Role)
		setIf(&u.Name, p.Name)
		setIf(&u.Email, p.Email)
		setIf(&u.Remark, p.Remark)
		if p.Personal != nil {
			u.Name, u.Email, u.Remark = p.Personal.Name, p.Personal.Email, p.Personal.Remark
		}
	case events.UserDisabledV1:
		u.Disabled = true
	case events.UserEnabledV1:
		u.Disabled = false
	case events.UserDeletedV1:
		u.Deleted = true
	case events.UserPermissionsChangedV1:
		u.Granted, u.Revoked = p.Granted, p.Revoked
	}
	u.UpdatedAt = r.Time
	u.Version++
	if r.Version != 0 {
		u.Version = r.Version
	}
	u.LastSeq = r.Seq
}

func setIf(dst *string, o events.Opt[string]) {
	if o.Set {
		*dst = o.Value
	}
}

// CreateUser is the input of a user create (the password goes to the credential store, never here).
type CreateUser struct {
	CustomerID string
	Role       string
	Name       string
	Email      string
	Remark     string
}

// PrepareCreateUser validates and normalizes a user's own fields; the role is checked by the caller
// against the role list, the customer by DecideCreateUser.
func PrepareCreateUser(in CreateUser) (CreateUser, error) {
	var errs []FieldError
	name, fe := normalizeName("name", in.Name)
	if fe != nil {
		errs = append(errs, *fe)
	}
	email, fe := normalizeEmail("email", in.Email)
	if fe != nil {
		errs = append(errs, *fe)
	}
	remark, fe := normalizeRemark("remark", in.Remark)
	if fe != nil {
		errs = append(errs, *fe)
	}
	if in.CustomerID == "" {
		errs = append(errs, FieldError{"customer_id", "is required"})
	} else if fe := checkID("customer_id", in.CustomerID); fe != nil {
		errs = append(errs, *fe)
	}
	if strings.TrimSpace(in.Role) == "" {
		errs = append(errs, FieldError{"role", "is required"})
	}
	if err := InvalidFields(errs...); err != nil {
		return CreateUser{}, err
	}
	return CreateUser{CustomerID: in.CustomerID, Role: in.Role, Name: name, Email: email, Remark: remark}, nil
}

// UserFacts are what a user decision needs beyond its input.
type UserFacts struct {
	// Customer is the user's (new) customer; it must exist.
	Customer *Customer
	// EmailHolder is the id of the user holding the (new) email, or "".
	EmailHolder string
}

// DecideCreateUser decides the creation of user id.
func DecideCreateUser(id string, in CreateUser, f UserFacts) ([]events.Payload, error) {
	if !f.Customer.Exists() {
		return nil, InvalidFields(FieldError{"customer_id", "no such customer"})
	}
	if f.EmailHolder != "" && f.EmailHolder != id {
		return nil, duplicateEmail()
	}
	return []events.Payload{events.UserCreatedV1{CustomerID: in.CustomerID, Role: in.Role, Name: in.Name, Email: in.Email, Remark: in.Remark}}, nil
}

// UpdateUser is the input of a user update: only the fields given change. Passwords are never
// part of it.
type UpdateUser struct {
	CustomerID events.Opt[string]
	Role       events.Opt[string]
	Name       events.Opt[string]
	Email      events.Opt[string]
	Remark     events.Opt[string]
}

// Empty reports whether a prepared update changes nothing.
func (in UpdateUser) Empty() bool {
	return !in.CustomerID.Set && !in.Role.Set && !in.Name.Set && !in.Email.Set && !in.Remark.Set
}

// PrepareUpdate validates an update against the user and keeps only the fields that change.
func (u *User) PrepareUpdate(in UpdateUser) (UpdateUser, error) {
	if !u.Exists() {
		return UpdateUser{}, userNotFound(u.ID)
	}
	var errs []FieldError
	var out UpdateUser
	change := func(field string, o events.Opt[string], cur string, norm func(string, string) (string, *FieldError)) events.Opt[string] {
		if !o.Set {
			return events.Opt[string]{}
		}
		if o.Null && field != "remark" {
			errs = append(errs, FieldError{field, "must not be null"})
			return events.Opt[string]{}
		}
		v, fe := norm(field, o.Value)
		if fe != nil {
			errs = append(errs, *fe)
			return events.Opt[string]{}
		}
		if v == cur {
			return events.Opt[string]{}
		}
		return events.Some(v)
	}
	out.Name = change("name", in.Name, u.Name, normalizeName)
	out.Email = change("email", in.Email, u.Email, normalizeEmail)
	out.Remark = change("remark", in.Remark, u.Remark, normalizeRemark)
	out.Role = change("role", in.Role, u.Role, func(f, s string) (string, *FieldError) {
		if strings.TrimSpace(s) == "" {
			return "", &FieldError{f, "is required"}
		}
		return s, nil
	})
	out.CustomerID = change("customer_id", in.CustomerID, u.CustomerID, func(f, s string) (string, *FieldError) {
		if s == "" {
			return "", &FieldError{f, "is required"}
		}
		return s, checkID(f, s)
	})
	if err := InvalidFields(errs...); err != nil {
		return UpdateUser{}, err
	}
	return out, nil
}

// DecideUpdate decides a prepared update; facts.Customer is needed when the customer changes.
func (u *User) DecideUpdate(in UpdateUser, f UserFacts) ([]events.Payload, error) {
	if !u.Exists() {
		return nil, userNotFound(u.ID)
	}
	if in.Empty() {
		return nil, nil
	}
	if in.CustomerID.Set && !f.Customer.Exists() {
		return nil, InvalidFields(FieldError{"customer_id", "no such customer"})
	}
	if in.Email.Set && f.EmailHolder != "" && f.EmailHolder != u.ID {
		return nil, duplicateEmail()
	}
	return []events.Payload{events.UserUpdatedV1{CustomerID: in.CustomerID, Role: in.Role, Name: in.Name, Email: in.Email, Remark: in.Remark}}, nil
}

// DecideDisable disables the user; disabling a disabled user changes nothing.
func (u *User) DecideDisable() ([]events.Payload, error) {
	if !u.Exists() {
		return nil, userNotFound(u.ID)
	}
	if u.Disabled {
		return nil, nil
	}
	return []events.Payload{events.UserDisabledV1{}}, nil
}

// DecideEnable enables the user; enabling an enabled user changes nothing.
func (u *User) DecideEnable() ([]events.Payload, error) {
	if !u.Exists() {
		return nil, userNotFound(u.ID)
	}
	if !u.Disabled {
		return nil, nil
	}
	return []events.Payload{events.UserEnabledV1{}}, nil
}

// DecideDelete deletes the user; reason is "customer_deleted" when its customer goes.
func (u *User) DecideDelete(reason string) ([]events.Payload, error) {
	if !u.Exists() {
		return nil, userNotFound(u.ID)
	}
	return []events.Payload{events.UserDeletedV1{Reason: reason}}, nil
}

// DecidePasswordChanged records that the user's password changed (the new hash is stored by the
// caller in the credential store, never in the log).
func (u *User) DecidePasswordChanged(byUser bool) ([]events.Payload, error) {
	if !u.Exists() {
		return nil, userNotFound(u.ID)
	}
	return []events.Payload{events.UserPasswordChangedV1{ByUser: byUser}}, nil
}

// DecidePermissions sets the user's granted and revoked single permissions; the same sets as now
// change nothing. Names are checked by the caller.
func (u *User) DecidePermissions(granted, revoked []string) ([]events.Payload, error) {
	if !u.Exists() {
		return nil, userNotFound(u.ID)
	}
	g, r := sortedSet(granted), sortedSet(revoked)
	for _, p := range g {
		if slices.Contains(r, p) {
			return nil, InvalidFields(FieldError{"granted", fmt.Sprintf("%q is both granted and revoked", p)})
		}
	}
	if slices.Equal(g, sortedSet(u.Granted)) && slices.Equal(r, sortedSet(u.Revoked)) {
		return nil, nil
	}
	return []events.Payload{events.UserPermissionsChangedV1{Granted: g, Revoked: r}}, nil
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// normalizeEmail trims and lower-cases an email and checks it is one plain address.
func normalizeEmail(field, s string) (string, *FieldError) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", &FieldError{field, "is required"}
	}
	if len(s) > MaxEmailLength || !utf8.ValidString(s) {
		return "", &FieldError{field, fmt.Sprintf("must be a valid email address of at most %d characters", MaxEmailLength)}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", &FieldError{field, "must be a valid email address like name@example.com"}
	}
	return s, nil
}

// normalizeRemark trims a remark and checks it: at most 500 characters, line breaks allowed.
func normalizeRemark(field, s string) (string, *FieldError) {
	return normalizeMultiline(field, s, MaxRemarkLength)
}

func duplicateEmail() error {
	return &Error{Code: Conflict, Message: "A user with this email already exists.", Details: map[string]any{"field": "email"}}
}

func userNotFound(id string) error {
	return &Error{Code: NotFound, Message: "User not found.", Details: map[string]any{"id": id}}
}

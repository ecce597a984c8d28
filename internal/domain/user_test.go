package domain

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/events"
)

const idU = "0193a1b2-0000-7000-8000-0000000000b1"

func givenUser(past ...events.Payload) *User {
	u := &User{ID: idU}
	for i, p := range past {
		u.Apply(Recorded{Seq: uint64(100 + i), Time: time.Unix(int64(i), 0), Payload: p})
	}
	return u
}

func userCreated() events.UserCreatedV1 {
	return events.UserCreatedV1{CustomerID: idA, Role: "Owner (All Access)", Name: "Ada", Email: "ada@example.com"}
}

func TestPrepareCreateUser(t *testing.T) {
	in, err := PrepareCreateUser(CreateUser{CustomerID: idA, Role: "Business User", Name: " Ada ", Email: "  Ada@Example.COM ", Remark: "a\r\nb"})
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "Ada" || in.Email != "ada@example.com" || in.Remark != "a\nb" {
		t.Errorf("not normalized: %+v", in)
	}
	cases := []struct {
		name   string
		in     CreateUser
		fields []string
	}{
		{"everything missing", CreateUser{}, []string{"customer_id", "role", "name", "email"}},
		{"display name in email", CreateUser{CustomerID: idA, Role: "x", Name: "A", Email: "Ada <ada@example.com>"}, []string{"email"}},
		{"no domain dot", CreateUser{CustomerID: idA, Role: "x", Name: "A", Email: "ada@localhost"}, []string{"email"}},
		{"two ats", CreateUser{CustomerID: idA, Role: "x", Name: "A", Email: "a@b@example.com"}, []string{"email"}},
		{"long email", CreateUser{CustomerID: idA, Role: "x", Name: "A", Email: strings.Repeat("a", 250) + "@x.io"}, []string{"email"}},
		{"bad customer", CreateUser{CustomerID: "x", Role: "x", Name: "A", Email: "a@b.io"}, []string{"customer_id"}},
		{"long remark", CreateUser{CustomerID: idA, Role: "x", Name: "A", Email: "a@b.io", Remark: strings.Repeat("r", 501)}, []string{"remark"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PrepareCreateUser(tc.in)
			for _, f := range tc.fields {
				wantCode(t, err, Invalid, f)
			}
			if n := len(err.(*Error).Fields); n != len(tc.fields) {
				t.Errorf("%d field errors, want %d: %v", n, len(tc.fields), err)
			}
		})
	}
}

func TestDecideCreateUser(t *testing.T) {
	cust := given(idA, created("Acme", ""))
	in, _ := PrepareCreateUser(CreateUser{CustomerID: idA, Role: "Owner (All Access)", Name: "Ada", Email: "ada@example.com"})
	evs, err := DecideCreateUser(idU, in, UserFacts{Customer: cust})
	if err != nil || !reflect.DeepEqual(evs, []events.Payload{userCreated()}) {
		t.Fatalf("got %#v %v", evs, err)
	}
	_, err = DecideCreateUser(idU, in, UserFacts{Customer: cust, EmailHolder: idB})
	wantCode(t, err, Conflict, "")
	_, err = DecideCreateUser(idU, in, UserFacts{Customer: given(idA, created("Acme", ""), events.CustomerDeletedV1{})})
	wantCode(t, err, Invalid, "customer_id")
}

func TestUserUpdate(t *testing.T) {
	u := givenUser(userCreated())
	upd, err := u.PrepareUpdate(UpdateUser{Name: events.Some("Ada"), Email: events.Some("ADA@example.com"), Remark: events.Some("vip"), Role: events.Some("Technical View")})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := u.DecideUpdate(upd, UserFacts{})
	want := []events.Payload{events.UserUpdatedV1{Remark: events.Some("vip"), Role: events.Some("Technical View")}}
	if err != nil || !reflect.DeepEqual(evs, want) {
		t.Fatalf("only changed fields: got %#v %v", evs, err)
	}
	same, _ := u.PrepareUpdate(UpdateUser{Name: events.Some(" Ada ")})
	if evs, err := u.DecideUpdate(same, UserFacts{}); err != nil || len(evs) != 0 {
		t.Fatalf("no-op: %v %v", evs, err)
	}
	_, err = u.PrepareUpdate(UpdateUser{Email: events.Null[string]()})
	wantCode(t, err, Invalid, "email")
	move, _ := u.PrepareUpdate(UpdateUser{CustomerID: events.Some(idB)})
	_, err = u.DecideUpdate(move, UserFacts{Customer: given(idB)})
	wantCode(t, err, Invalid, "customer_id")
	mail, _ := u.PrepareUpdate(UpdateUser{Email: events.Some("grace@example.com")})
	_, err = u.DecideUpdate(mail, UserFacts{EmailHolder: idB})
	wantCode(t, err, Conflict, "")
	// Clearing the remark with null is allowed.
	u.Apply(Recorded{Seq: 200, Payload: events.UserUpdatedV1{Remark: events.Some("x")}})
	clr, err := u.PrepareUpdate(UpdateUser{Remark: events.Null[string]()})
	if err != nil || !clr.Remark.Set || clr.Remark.Value != "" {
		t.Fatalf("clear remark: %+v %v", clr, err)
	}
}

func TestUserLifecycle(t *testing.T) {
	u := givenUser(userCreated())
	if evs, _ := u.DecideEnable(); len(evs) != 0 {
		t.Error("enabling an enabled user appended an event")
	}
	evs, err := u.DecideDisable()
	if err != nil || !reflect.DeepEqual(evs, []events.Payload{events.UserDisabledV1{}}) {
		t.Fatalf("disable: %v %v", evs, err)
	}
	u.Apply(Recorded{Seq: 300, Payload: evs[0]})
	if !u.Disabled {
		t.Fatal("not disabled after the event")
	}
	if evs, _ := u.DecideDisable(); len(evs) != 0 {
		t.Error("disabling a disabled user appended an event")
	}
	if evs, _ := u.DecidePermissions([]string{"Audit Log View", "Audit Log View"}, nil); !reflect.DeepEqual(evs, []events.Payload{events.UserPermissionsChangedV1{Granted: []string{"Audit Log View"}, Revoked: []string{}}}) {
		t.Errorf("permissions: %#v", evs)
	}
	_, err = u.DecidePermissions([]string{"Domain Edit"}, []string{"Domain Edit"})
	wantCode(t, err, Invalid, "granted")
	u.Apply(Recorded{Seq: 301, Payload: events.UserPermissionsChangedV1{Granted: []string{"Audit Log View"}, Revoked: []string{}}})
	if evs, _ := u.DecidePermissions([]string{"Audit Log View"}, nil); len(evs) != 0 {
		t.Error("the same permissions appended an event")
	}
	if evs, _ := u.DecidePasswordChanged(true); !reflect.DeepEqual(evs, []events.Payload{events.UserPasswordChangedV1{ByUser: true}}) {
		t.Errorf("password changed: %#v", evs)
	}
	evs, _ = u.DecideDelete("customer_deleted")
	u.Apply(Recorded{Seq: 302, Payload: evs[0]})
	for name, f := range map[string]func() ([]events.Payload, error){
		"disable": u.DecideDisable, "enable": u.DecideEnable,
		"delete":   func() ([]events.Payload, error) { return u.DecideDelete("") },
		"password": func() ([]events.Payload, error) { return u.DecidePasswordChanged(false) },
	} {
		if _, err := f(); ErrorCode(err) != NotFound {
			t.Errorf("%s on a deleted user: %v", name, err)
		}
	}
	if u.Version != 4 || u.LastSeq != 302 {
		t.Errorf("version %d seq %d", u.Version, u.LastSeq)
	}
}

func TestMembersFold(t *testing.T) {
	var m Members
	m.Apply(Recorded{Seq: 1, Payload: events.MembersUserAddedV1{UserID: idA}})
	m.Apply(Recorded{Seq: 2, Payload: events.MembersUserAddedV1{UserID: idB}})
	m.Apply(Recorded{Seq: 3, Payload: events.MembersUserRemovedV1{UserID: idA}})
	if !reflect.DeepEqual(m.Users, []string{idB}) || m.Closed || m.LastSeq != 3 {
		t.Fatalf("%+v", m)
	}
	m.Apply(Recorded{Seq: 4, Payload: events.MembersClosedV1{}})
	if !m.Closed {
		t.Fatal("not closed")
	}
}

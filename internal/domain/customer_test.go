package domain

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/events"
)

const (
	idA = "0193a1b2-0000-7000-8000-00000000000a"
	idB = "0193a1b2-0000-7000-8000-00000000000b"
	idC = "0193a1b2-0000-7000-8000-00000000000c"
)

// given folds past events into a customer, as the command layer does after loading.
func given(id string, past ...events.Payload) *Customer {
	c := &Customer{ID: id}
	for i, p := range past {
		c.Apply(Recorded{Seq: uint64(10 * (i + 1)), Time: time.Unix(int64(i), 0), Payload: p})
	}
	return c
}

func created(name, parent string) events.CustomerCreatedV1 {
	return events.CustomerCreatedV1{Name: name, Address: "addr", ParentID: parent}
}

func wantCode(t *testing.T, err error, code Code, field string) {
	t.Helper()
	if got := ErrorCode(err); got != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	if field == "" {
		return
	}
	e := err.(*Error)
	for _, f := range e.Fields {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("err %v does not name field %q", err, field)
}

func TestPrepareCreateValidatesEveryField(t *testing.T) {
	long := strings.Repeat("é", 201)
	cases := []struct {
		name   string
		in     CreateCustomer
		fields []string
	}{
		{"empty name", CreateCustomer{Name: "   "}, []string{"name"}},
		{"too long name", CreateCustomer{Name: long}, []string{"name"}},
		{"control char", CreateCustomer{Name: "Acme\x07"}, []string{"name"}},
		{"newline in name", CreateCustomer{Name: "Ac\nme"}, []string{"name"}},
		{"invalid utf8", CreateCustomer{Name: "Ac\xffme"}, []string{"name"}},
		{"long address", CreateCustomer{Name: "A", Address: strings.Repeat("x", 501)}, []string{"address"}},
		{"bad parent", CreateCustomer{Name: "A", ParentID: "nope"}, []string{"parent_id"}},
		{"all at once", CreateCustomer{Name: "", Address: strings.Repeat("x", 501), ParentID: "x"}, []string{"name", "address", "parent_id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PrepareCreate(tc.in)
			for _, f := range tc.fields {
				wantCode(t, err, Invalid, f)
			}
			if n := len(err.(*Error).Fields); n != len(tc.fields) {
				t.Errorf("got %d field errors, want %d: %v", n, len(tc.fields), err)
			}
		})
	}
	in, err := PrepareCreate(CreateCustomer{Name: "  Acme  ", Address: " a\r\nb ", ParentID: idA})
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "Acme" || in.Address != "a\nb" {
		t.Errorf("not normalized: %+v", in)
	}
	if _, err := PrepareCreate(CreateCustomer{Name: strings.Repeat("é", 200), Address: strings.Repeat("x", 500)}); err != nil {
		t.Errorf("limits are inclusive: %v", err)
	}
}

func TestDecideCreate(t *testing.T) {
	parent := given(idA, created("Parent", ""))
	t.Run("root", func(t *testing.T) {
		evs, err := DecideCreate(idB, CreateCustomer{Name: "Acme"}, CreateFacts{})
		if err != nil {
			t.Fatal(err)
		}
		want := []events.Payload{events.CustomerCreatedV1{Name: "Acme"}}
		if !reflect.DeepEqual(evs, want) {
			t.Errorf("got %#v", evs)
		}
	})
	t.Run("under parent", func(t *testing.T) {
		evs, err := DecideCreate(idB, CreateCustomer{Name: "Acme", ParentID: idA}, CreateFacts{Parent: Placement{Parent: parent}})
		if err != nil || evs[0].(events.CustomerCreatedV1).ParentID != idA {
			t.Fatalf("got %v %v", evs, err)
		}
	})
	t.Run("missing parent", func(t *testing.T) {
		_, err := DecideCreate(idB, CreateCustomer{Name: "Acme", ParentID: idC}, CreateFacts{Parent: Placement{Parent: given(idC)}})
		wantCode(t, err, Invalid, "parent_id")
	})
	t.Run("deleted parent", func(t *testing.T) {
		dead := given(idA, created("P", ""), events.CustomerDeletedV1{})
		_, err := DecideCreate(idB, CreateCustomer{Name: "Acme", ParentID: idA}, CreateFacts{Parent: Placement{Parent: dead}})
		wantCode(t, err, Invalid, "parent_id")
	})
	t.Run("duplicate name", func(t *testing.T) {
		_, err := DecideCreate(idB, CreateCustomer{Name: "Acme"}, CreateFacts{NameHolder: idC})
		wantCode(t, err, Conflict, "")
	})
	t.Run("depth 16 allowed, 17 refused", func(t *testing.T) {
		anc := make([]string, 14) // parent at depth 15
		_, err := DecideCreate(idB, CreateCustomer{Name: "A", ParentID: idA}, CreateFacts{Parent: Placement{Parent: parent, Ancestors: anc}})
		if err != nil {
			t.Fatalf("depth 16: %v", err)
		}
		anc = make([]string, 15)
		_, err = DecideCreate(idB, CreateCustomer{Name: "A", ParentID: idA}, CreateFacts{Parent: Placement{Parent: parent, Ancestors: anc}})
		wantCode(t, err, Invalid, "parent_id")
	})
}

func TestUpdate(t *testing.T) {
	c := given(idA, created("Acme", ""))
	t.Run("only changed fields", func(t *testing.T) {
		u, err := c.PrepareUpdate(UpdateCustomer{Name: events.Some(" Acme "), Address: events.Some("new")})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := c.DecideUpdate(u, UpdateFacts{})
		if err != nil {
			t.Fatal(err)
		}
		want := []events.Payload{events.CustomerUpdatedV1{Address: events.Some("new")}}
		if !reflect.DeepEqual(evs, want) {
			t.Errorf("got %#v, want %#v", evs, want)
		}
	})
	t.Run("no change appends nothing", func(t *testing.T) {
		u, err := c.PrepareUpdate(UpdateCustomer{Name: events.Some("Acme"), Address: events.Some("addr"), ParentID: events.Null[string]()})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := c.DecideUpdate(u, UpdateFacts{})
		if err != nil || len(evs) != 0 {
			t.Fatalf("got %v %v, want nothing", evs, err)
		}
	})
	t.Run("null name refused", func(t *testing.T) {
		_, err := c.PrepareUpdate(UpdateCustomer{Name: events.Null[string]()})
		wantCode(t, err, Invalid, "name")
	})
	t.Run("itself as parent", func(t *testing.T) {
		u, _ := c.PrepareUpdate(UpdateCustomer{ParentID: events.Some(idA)})
		_, err := c.DecideUpdate(u, UpdateFacts{Parent: Placement{Parent: c}})
		wantCode(t, err, Invalid, "parent_id")
	})
	t.Run("under a descendant", func(t *testing.T) {
		grandchild := given(idC, created("GC", idB))
		u, _ := c.PrepareUpdate(UpdateCustomer{ParentID: events.Some(idC)})
		_, err := c.DecideUpdate(u, UpdateFacts{Parent: Placement{Parent: grandchild, Ancestors: []string{idB, idA}}})
		wantCode(t, err, Invalid, "parent_id")
	})
	t.Run("move too deep for the subtree", func(t *testing.T) {
		p := given(idB, created("P", ""))
		u, _ := c.PrepareUpdate(UpdateCustomer{ParentID: events.Some(idB)})
		_, err := c.DecideUpdate(u, UpdateFacts{Parent: Placement{Parent: p, Ancestors: make([]string, 10)}, SubtreeHeight: 5})
		if err != nil {
			t.Fatalf("11+5 = 16 levels is allowed: %v", err)
		}
		_, err = c.DecideUpdate(u, UpdateFacts{Parent: Placement{Parent: p, Ancestors: make([]string, 10)}, SubtreeHeight: 6})
		wantCode(t, err, Invalid, "parent_id")
	})
	t.Run("move to root", func(t *testing.T) {
		child := given(idB, created("Child", idA))
		u, _ := child.PrepareUpdate(UpdateCustomer{ParentID: events.Null[string]()})
		evs, err := child.DecideUpdate(u, UpdateFacts{})
		if err != nil || !evs[0].(events.CustomerUpdatedV1).ParentID.Null {
			t.Fatalf("got %v %v", evs, err)
		}
		child.Apply(Recorded{Seq: 99, Payload: evs[0]})
		if child.ParentID != "" || child.Version != 2 || child.LastSeq != 99 {
			t.Errorf("state after move to root: %+v", child)
		}
	})
	t.Run("rename onto a sibling's name", func(t *testing.T) {
		u, _ := c.PrepareUpdate(UpdateCustomer{Name: events.Some("Other")})
		_, err := c.DecideUpdate(u, UpdateFacts{NameHolder: idB})
		wantCode(t, err, Conflict, "")
	})
	t.Run("deleted customer is not found", func(t *testing.T) {
		dead := given(idA, created("Acme", ""), events.CustomerDeletedV1{})
		_, err := dead.PrepareUpdate(UpdateCustomer{Address: events.Some("x")})
		wantCode(t, err, NotFound, "")
	})
}

func TestDelete(t *testing.T) {
	c := given(idA, created("Acme", idB))
	_, err := c.DecideDelete([]string{idC})
	wantCode(t, err, Conflict, "")
	if got := err.(*Error).Details["children"]; !reflect.DeepEqual(got, []string{idC}) {
		t.Errorf("children not named: %v", got)
	}
	evs, err := c.DecideDelete(nil)
	if err != nil || !reflect.DeepEqual(evs, []events.Payload{events.CustomerDeletedV1{ParentID: idB}}) {
		t.Fatalf("got %v %v", evs, err)
	}
	c.Apply(Recorded{Seq: 50, Payload: evs[0]})
	_, err = c.DecideDelete(nil)
	wantCode(t, err, NotFound, "")
	if _, err := given(idC).DecideDelete(nil); ErrorCode(err) != NotFound {
		t.Errorf("never created: %v", err)
	}
}

func TestReservationAndHierarchyFold(t *testing.T) {
	var r Reservation
	r.Apply(Recorded{Seq: 3, Payload: events.ReservationClaimedV1{OwnerID: idA}})
	if r.Holder != idA || r.LastSeq != 3 {
		t.Errorf("%+v", r)
	}
	r.Apply(Recorded{Seq: 9, Payload: events.ReservationReleasedV1{OwnerID: idA}})
	if r.Holder != "" || r.LastSeq != 9 {
		t.Errorf("%+v", r)
	}
	var h Hierarchy
	h.Apply(Recorded{Seq: 1, Payload: events.HierarchyChildAttachedV1{ChildID: idA}})
	h.Apply(Recorded{Seq: 2, Payload: events.HierarchyChildAttachedV1{ChildID: idB}})
	h.Apply(Recorded{Seq: 3, Payload: events.HierarchyChildDetachedV1{ChildID: idA}})
	if !reflect.DeepEqual(h.Children, []string{idB}) || h.LastSeq != 3 {
		t.Errorf("%+v", h)
	}
}

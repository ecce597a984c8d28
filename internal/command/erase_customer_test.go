package command_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/credentials"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/keyring"
)

// TestPersonalFieldsAreSealedInTheLog: a user's name, email and remark never enter the log in
// clear, and the commands still read them back.
func TestPersonalFieldsAreSealedInTheLog(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	res := f.withOwner(t, "Sealed Corp", "", "owner.sealed@example.com")
	u, err := f.u.CreateUser(ctx, meta, domain.CreateUser{CustomerID: res.Customer.ID, Role: "Business User",
		Name: "Zelda Quartermain", Email: "zelda.q@example.com", Remark: "likes tea at 4"}, pw("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.u.UpdateUser(ctx, meta, u.User.ID, domain.UpdateUser{Name: events.Some("Zelda Q. Quartermain")}); err != nil {
		t.Fatal(err)
	}
	raw := rawStream(t, f.js)
	for _, s := range []string{"owner.sealed@example.com", "Owner of Sealed Corp", "Zelda", "zelda.q@example.com", "likes tea"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the log holds %q in clear", s)
		}
	}
	if !bytes.Contains(raw, []byte("enc:v1:"+res.Customer.ID+":")) {
		t.Error("no field sealed with the customer's key in the log")
	}
	// A fresh handler reads the user from the log alone.
	fresh := command.NewUsers(command.NewCustomers(f.store, nil), credentials.ForCommands{P: f.creds}, testPasswords{}, f.keys)
	got, err := fresh.GetUser(ctx, meta, u.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Zelda Q. Quartermain" || got.Email != "zelda.q@example.com" || got.Remark != "likes tea at 4" {
		t.Fatalf("read back %+v", got)
	}
}

// TestDeleteErasesTheCustomersPersonalData: deleting a customer destroys its key and records
// customer.erased; the events stay (the chains are verified by the fixture) but their personal
// fields read as erased; a user who moved away before keeps its data; erasing again appends
// nothing; only Toffstech Support may ask, and only for a deleted customer.
func TestDeleteErasesTheCustomersPersonalData(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	a := f.withOwner(t, "Erased Corp", "", "owner.erased@example.com")
	b := f.withOwner(t, "Kept Corp", "", "owner.kept@example.com")
	mover, err := f.u.CreateUser(ctx, meta, domain.CreateUser{CustomerID: a.Customer.ID, Role: "Business User",
		Name: "Mo Ver", Email: "mo.ver@example.com", Remark: "moves on"}, pw("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	stayer, err := f.u.CreateUser(ctx, meta, domain.CreateUser{CustomerID: a.Customer.ID, Role: "Business User",
		Name: "Stay Er", Email: "stay.er@example.com"}, pw("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.u.UpdateUser(ctx, meta, mover.User.ID, domain.UpdateUser{CustomerID: events.Some(b.Customer.ID), Name: events.Some("Mo Moved")}); err != nil {
		t.Fatal(err)
	}
	key, err := f.keys.Key(ctx, a.Customer.ID)
	if err != nil || len(key) == 0 {
		t.Fatalf("key of %s: %v", a.Customer.ID, err)
	}

	support := command.Meta{Actor: events.Actor{Type: events.ActorUser, ID: "0193a1b2-0000-7000-8000-00000000000f", Role: "Toffstech Support"}, RequestID: "t"}
	owner := command.Meta{Actor: events.Actor{Type: events.ActorUser, ID: a.Owner.ID, CustomerID: a.Customer.ID, Role: "Owner (All Access)"}, RequestID: "t"}
	if _, err := f.h.EraseCustomer(ctx, support, a.Customer.ID); code(err) != domain.Conflict {
		t.Fatalf("erase a live customer: %v, want Conflict", err)
	}

	del, err := f.h.DeleteCustomer(ctx, meta, a.Customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !del.Customer.Deleted || !del.Customer.Erased {
		t.Fatalf("after delete: %+v", del.Customer)
	}
	if _, err := f.keys.Key(ctx, a.Customer.ID); !errors.Is(err, keyring.ErrErased) {
		t.Fatalf("key after delete: %v, want ErrErased", err)
	}
	stored, err := f.store.Load(ctx, events.CustomerSubject(a.Customer.ID), 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := stored[len(stored)-1].Envelope; last.Type != events.CustomerErased || last.AggregateVersion != del.Customer.Version {
		t.Fatalf("last customer event %s v%d, want customer.erased v%d", last.Type, last.AggregateVersion, del.Customer.Version)
	}

	// A handler without caches reads the log: the stayer's personal data is erased, the mover's not.
	fresh := command.NewUsers(command.NewCustomers(f.store, nil), credentials.ForCommands{P: f.creds}, testPasswords{}, f.keys)
	freshSupport := command.Meta{Actor: events.Actor{Type: events.ActorSystem}}
	m, err := fresh.GetUser(ctx, freshSupport, mover.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Mo Moved" || m.Email != "mo.ver@example.com" || m.Remark != "moves on" || m.CustomerID != b.Customer.ID {
		t.Fatalf("the user who moved away lost its data: %+v", m)
	}
	if _, err := fresh.GetUser(ctx, freshSupport, stayer.User.ID); code(err) != domain.NotFound {
		t.Fatalf("deleted user: %v, want NotFound", err)
	}
	folded, err := fresh.LoadForTest(ctx, stayer.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if folded.Name != events.Erased || folded.Email != events.Erased {
		t.Fatalf("the deleted customer's user reads %q <%s>, want erased", folded.Name, folded.Email)
	}

	// Again: nothing appended; not for the owner of the customer; not for an unknown id.
	again, err := f.h.EraseCustomer(ctx, support, a.Customer.ID)
	if err != nil || again.Seq != del.Seq {
		t.Fatalf("erase again: seq %d (was %d), %v", again.Seq, del.Seq, err)
	}
	if _, err := f.h.EraseCustomer(ctx, owner, a.Customer.ID); code(err) != domain.Forbidden {
		t.Fatalf("erase by the customer's owner: %v, want Forbidden", err)
	}
	if _, err := f.h.EraseCustomer(ctx, support, "0193a1b2-0000-7000-8000-0000000000ee"); code(err) != domain.NotFound {
		t.Fatalf("erase an unknown customer: %v, want NotFound", err)
	}
}

// TestEraseFinishesAnInterruptedErasure: when the key store fails during the delete, the customer
// is deleted, the error says the erasure is incomplete, and EraseCustomer finishes it.
func TestEraseFinishesAnInterruptedErasure(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	failing := &failingKeys{Keyring: f.keys, fail: true}
	h := command.NewCustomers(f.store, nil)
	u := command.NewUsers(h, credentials.ForCommands{P: f.creds}, testPasswords{}, failing)
	res, err := u.CreateCustomerWithOwner(ctx, meta, domain.CreateCustomer{Name: "Flaky Corp"},
		command.Owner{Name: "Flaky Owner", Email: "flaky@example.com", Password: pw("correct horse battery")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.DeleteCustomer(ctx, meta, res.Customer.ID)
	var ei *command.ErasureIncompleteError
	if !errors.As(err, &ei) || ei.CustomerID != res.Customer.ID {
		t.Fatalf("delete with the key store down: %v, want ErasureIncompleteError", err)
	}
	c, err := h.LoadForTest(ctx, res.Customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Deleted || c.Erased {
		t.Fatalf("after the failed erasure: %+v", c)
	}
	failing.fail = false
	done, err := h.EraseCustomer(ctx, command.Meta{Actor: events.Actor{Type: events.ActorSystem}}, res.Customer.ID)
	if err != nil || !done.Customer.Erased {
		t.Fatalf("erase: %+v, %v", done.Customer, err)
	}
	if _, err := f.keys.Key(ctx, res.Customer.ID); !errors.Is(err, keyring.ErrErased) {
		t.Fatalf("key after the erasure: %v", err)
	}
}

// failingKeys is the key store with Destroy failing while fail is set.
type failingKeys struct {
	*keyring.Keyring
	fail bool
}

func (k *failingKeys) Destroy(ctx context.Context, customerID string) error {
	if k.fail {
		return errors.New("key store unreachable")
	}
	return k.Keyring.Destroy(ctx, customerID)
}

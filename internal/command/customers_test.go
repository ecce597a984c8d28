package command_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/chain"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/testenv"
)

type fixture struct {
	store *eventstore.Store
	h     *command.Customers
}

func setup(t *testing.T) fixture {
	t.Helper()
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	if _, err := eventstore.EnsureStream(context.Background(), js, 1); err != nil {
		t.Fatal(err)
	}
	st := eventstore.New(js, nil)
	// Whatever a test did, concurrently or not, every aggregate's hash chain must hold.
	t.Cleanup(func() {
		rep, err := chain.VerifyStream(context.Background(), js, events.StreamName, 0)
		if err != nil {
			t.Errorf("verify the log: %v", err)
		} else if !rep.OK {
			t.Errorf("the commands broke a hash chain: %v", rep.FirstBreak)
		}
	})
	return fixture{store: st, h: command.NewCustomers(st, nil)}
}

var meta = command.Meta{Actor: events.Actor{Type: events.ActorAnonymous}, RequestID: "test"}

func (f fixture) create(t *testing.T, name, parent string) domain.Customer {
	t.Helper()
	res, err := f.h.CreateCustomer(context.Background(), meta, domain.CreateCustomer{Name: name, ParentID: parent})
	if err != nil {
		t.Fatalf("create %q: %v", name, err)
	}
	return res.Customer
}

func code(err error) domain.Code { return domain.ErrorCode(err) }

func TestConcurrentCreatesOfOneNameUnderOneParent(t *testing.T) {
	f := setup(t)
	p := f.create(t, "Reseller", "")
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "Acme"
			if i%2 == 1 {
				name = " aCME " // same name, other case and spacing
			}
			_, errs[i] = f.h.CreateCustomer(context.Background(), meta, domain.CreateCustomer{Name: name, ParentID: p.ID})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case code(err) != domain.Conflict:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates succeeded, want exactly 1", ok)
	}
	// The same name is fine elsewhere: as a root and under another parent.
	f.create(t, "Acme", "")
	f.create(t, "Acme", f.create(t, "Other", "").ID)
}

func TestDeleteRefusedWhileChildrenThenAllowed(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := f.create(t, "Parent", "")
	c := f.create(t, "Child", p.ID)
	_, err := f.h.DeleteCustomer(ctx, meta, p.ID)
	if code(err) != domain.Conflict {
		t.Fatalf("delete with child: %v", err)
	}
	var de *domain.Error
	errors.As(err, &de)
	if got := fmt.Sprint(de.Details["children"]); !strings.Contains(got, "Child") || !strings.Contains(de.Message, "Child") {
		t.Errorf("the refusal does not name the child: %v / %s", got, de.Message)
	}
	if _, err := f.h.DeleteCustomer(ctx, meta, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.DeleteCustomer(ctx, meta, p.ID); err != nil {
		t.Fatalf("delete after the child is gone: %v", err)
	}
	if _, _, err := f.h.GetCustomer(ctx, meta, p.ID); code(err) != domain.NotFound {
		t.Errorf("deleted customer read: %v", err)
	}
	if _, err := f.h.UpdateCustomer(ctx, meta, p.ID, domain.UpdateCustomer{Address: events.Some("x")}); code(err) != domain.NotFound {
		t.Errorf("deleted customer updated: %v", err)
	}
	if _, err := f.h.DeleteCustomer(ctx, meta, p.ID); code(err) != domain.NotFound {
		t.Errorf("deleted twice: %v", err)
	}
	// The name is free again.
	f.create(t, "Parent", "")
}

// TestDeleteRacesChildCreate runs deletes of a parent against creates under it: whatever the
// interleaving, no child may survive under a deleted parent.
func TestDeleteRacesChildCreate(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for round := range 15 {
		p := f.create(t, fmt.Sprintf("P%d", round), "")
		var wg sync.WaitGroup
		var childErr, delErr error
		var child command.Result
		wg.Add(2)
		go func() {
			defer wg.Done()
			child, childErr = f.h.CreateCustomer(ctx, meta, domain.CreateCustomer{Name: "C", ParentID: p.ID})
		}()
		go func() { defer wg.Done(); _, delErr = f.h.DeleteCustomer(ctx, meta, p.ID) }()
		wg.Wait()
		if childErr == nil && delErr == nil {
			t.Fatalf("round %d: both the child create and the parent delete succeeded", round)
		}
		if childErr == nil {
			if code(delErr) != domain.Conflict {
				t.Fatalf("round %d: delete error %v", round, delErr)
			}
			if _, _, err := f.h.GetCustomer(ctx, meta, child.Customer.ID); err != nil {
				t.Fatal(err)
			}
		} else if code(childErr) != domain.Invalid {
			t.Fatalf("round %d: child error %v", round, childErr)
		}
	}
}

func TestMovesKeepTheTreeSound(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a := f.create(t, "A", "")
	b := f.create(t, "B", a.ID)
	c := f.create(t, "C", b.ID)
	move := func(id, parent string) error {
		_, err := f.h.UpdateCustomer(ctx, meta, id, domain.UpdateCustomer{ParentID: events.Some(parent)})
		return err
	}
	if err := move(a.ID, c.ID); code(err) != domain.Invalid {
		t.Errorf("A under its grandchild: %v", err)
	}
	if err := move(a.ID, a.ID); code(err) != domain.Invalid {
		t.Errorf("A under itself: %v", err)
	}
	x := f.create(t, "X", "")
	if err := move(c.ID, x.ID); err != nil {
		t.Fatal(err)
	}
	got, parent, err := f.h.GetCustomer(ctx, meta, c.ID)
	if err != nil || got.ParentID != x.ID || parent.Name != "X" {
		t.Fatalf("after move: %+v %v %v", got, parent, err)
	}
	// B lost its only child: it can be deleted now; X gained one: it cannot.
	if _, err := f.h.DeleteCustomer(ctx, meta, b.ID); err != nil {
		t.Errorf("delete B: %v", err)
	}
	if _, err := f.h.DeleteCustomer(ctx, meta, x.ID); code(err) != domain.Conflict {
		t.Errorf("delete X: %v", err)
	}
	// Concurrent opposite moves can never both succeed (that would be a cycle).
	for round := range 10 {
		p := f.create(t, fmt.Sprintf("p%d", round), "")
		q := f.create(t, fmt.Sprintf("q%d", round), "")
		var wg sync.WaitGroup
		var e1, e2 error
		wg.Add(2)
		go func() { defer wg.Done(); e1 = move(p.ID, q.ID) }()
		go func() { defer wg.Done(); e2 = move(q.ID, p.ID) }()
		wg.Wait()
		if e1 == nil && e2 == nil {
			t.Fatalf("round %d: both opposite moves succeeded", round)
		}
	}
	// Depth: a chain of 16 is allowed, the 17th level is not.
	last := ""
	for i := range 16 {
		last = f.create(t, fmt.Sprintf("L%d", i), last).ID
	}
	if _, err := f.h.CreateCustomer(ctx, meta, domain.CreateCustomer{Name: "too deep", ParentID: last}); code(err) != domain.Invalid {
		t.Errorf("17th level: %v", err)
	}
}

func TestIfMatchAndNoOpUpdate(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := f.create(t, "Acme", "")
	stale := c.Version
	res, err := f.h.UpdateCustomer(ctx, meta, c.ID, domain.UpdateCustomer{Name: events.Some("Acme 2")})
	if err != nil || !res.Changed || res.Customer.Version != stale+1 {
		t.Fatalf("update: %+v %v", res, err)
	}
	m := meta
	m.IfMatch = &stale
	if _, err := f.h.UpdateCustomer(ctx, m, c.ID, domain.UpdateCustomer{Address: events.Some("x")}); code(err) != domain.PreconditionFailed {
		t.Fatalf("stale If-Match: %v", err)
	}
	before, _ := f.store.LastSeq(ctx, events.CustomerSubject(c.ID))
	res, err = f.h.UpdateCustomer(ctx, meta, c.ID, domain.UpdateCustomer{Name: events.Some(" Acme 2 ")})
	if err != nil || res.Changed || res.Seq != before {
		t.Fatalf("no-op update: %+v %v", res, err)
	}
	if after, _ := f.store.LastSeq(ctx, events.CustomerSubject(c.ID)); after != before {
		t.Error("a no-op update appended an event")
	}
	// Renaming frees the old name.
	f.create(t, "Acme", "")
}

// TestStaleCacheAcrossProcesses: two handler instances (two api processes) share the log; each
// must see the other's writes before deciding.
func TestStaleCacheAcrossProcesses(t *testing.T) {
	f := setup(t)
	other := command.NewCustomers(f.store, nil)
	ctx := context.Background()
	c := f.create(t, "Acme", "")
	if _, err := other.UpdateCustomer(ctx, meta, c.ID, domain.UpdateCustomer{Address: events.Some("from other")}); err != nil {
		t.Fatal(err)
	}
	got, _, err := f.h.GetCustomer(ctx, meta, c.ID)
	if err != nil || got.Address != "from other" {
		t.Fatalf("read after the other's write: %+v %v", got, err)
	}
	m := meta
	v := c.Version // what f's cache believed before the read refreshed it
	m.IfMatch = &v
	if _, err := other.UpdateCustomer(ctx, m, c.ID, domain.UpdateCustomer{Address: events.Some("y")}); code(err) != domain.PreconditionFailed {
		t.Fatalf("If-Match of the old version: %v", err)
	}
	if _, err := other.DeleteCustomer(ctx, meta, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.UpdateCustomer(ctx, meta, c.ID, domain.UpdateCustomer{Address: events.Some("z")}); code(err) != domain.NotFound {
		t.Fatalf("update of a customer deleted elsewhere: %v", err)
	}
}

func TestIdempotentCreateRetry(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	m := meta
	m.Idempotent = true
	m.CommandID = uuid.NewString()
	m.Now = m.Now.AddDate(2026, 0, 0)
	first, err := f.h.CreateCustomer(ctx, m, domain.CreateCustomer{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	// A fresh process (empty cache) retries the same command.
	again, err := command.NewCustomers(f.store, nil).CreateCustomer(ctx, m, domain.CreateCustomer{Name: "Acme"})
	if err != nil || again.Customer.ID != first.Customer.ID || again.Customer.Version != 1 {
		t.Fatalf("retry: %+v %v, first %+v", again, err, first)
	}
	if last, _ := f.store.LastSeq(ctx, events.CustomerSubject(first.Customer.ID)); last != again.Customer.LastSeq {
		t.Errorf("the retry appended again: last seq %d", last)
	}
}

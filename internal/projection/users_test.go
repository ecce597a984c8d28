package projection

import (
	"github.com/toffstech/customer-management/internal/testenv"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/projection/projectiontest"
)

// userRow reads one user from the users view; ok is false when it is absent.
func (h *harness) userRow(id string) (projectiontest.UserRow, bool) {
	h.t.Helper()
	rows, err := projectiontest.ActualUsers(h.ctx, h.pool)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, r := range rows {
		if r.ID == id {
			return r, true
		}
	}
	return projectiontest.UserRow{}, false
}

// mustUser is userRow that fails the test when the user is absent.
func (h *harness) mustUser(id string) projectiontest.UserRow {
	h.t.Helper()
	r, ok := h.userRow(id)
	if !ok {
		h.t.Fatalf("user %s is not in the users view", id)
	}
	return r
}

func TestProjectorFollowsUserLifecycle(t *testing.T) {
	h := newHarness(t)
	run := h.start()
	ctx, w := h.ctx, h.w

	// A with child A1 (with child A2), sibling root B, and D to move A1 under.
	a, ownerA, _, err := w.CreateWithOwner(ctx, "Acme", "1 Main St", "", "Ada Owner", "ada@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	a1, _ := must2(t)(w.Create(ctx, "Acme One", "", a))
	a2, _ := must2(t)(w.Create(ctx, "Acme Two", "", a1))
	b, _ := must2(t)(w.Create(ctx, "Beta", "", ""))
	d, _ := must2(t)(w.Create(ctx, "Delta", "", ""))
	u1, _ := must2(t)(w.CreateUser(ctx, a1, "Technical View", "Grace", "grace@acme.example", "night shift"))
	u2, _ := must2(t)(w.CreateUser(ctx, a2, "Business User", "Linus", "linus@acme.example", ""))
	h.caughtUp()

	if r := h.mustUser(ownerA); r.CustomerID != a || r.CustomerName != "Acme" || len(r.CustomerAncestors) != 0 ||
		r.Role != "Owner (All Access)" || r.Status != "ON" || r.Version != 1 || r.Email != "ada@acme.example" {
		t.Fatalf("owner of a = %s", r)
	}
	created := h.mustUser(u1)
	if created.CustomerName != "Acme One" || !slices.Equal(created.CustomerAncestors, []string{a}) || created.Remark != "night shift" ||
		created.Name != "Grace" || created.Role != "Technical View" || !created.CreatedAt.Equal(created.UpdatedAt) {
		t.Fatalf("u1 = %s", created)
	}
	if r := h.mustUser(u2); !slices.Equal(r.CustomerAncestors, []string{a1, a}) || r.Remark != "" {
		t.Fatalf("u2 = %s", r)
	}

	// An update changes only the fields it carries.
	check(t)(w.UpdateUser(ctx, u1, events.UserUpdatedV1{Name: events.Some("Grace H."), Remark: events.Null[string]()}))
	h.caughtUp()
	r := h.mustUser(u1)
	if r.Name != "Grace H." || r.Remark != "" || r.Email != created.Email || r.Role != created.Role || r.CustomerID != a1 ||
		r.Version != 2 || !r.CreatedAt.Equal(created.CreatedAt) || !r.UpdatedAt.After(created.UpdatedAt) {
		t.Fatalf("u1 after a name update = %s", r)
	}

	// Moving a user to another customer takes that customer's name and ancestors.
	check(t)(w.UpdateUser(ctx, u1, events.UserUpdatedV1{CustomerID: events.Some(b), Role: events.Some("Business User"), Email: events.Some("grace@beta.example")}))
	h.caughtUp()
	if r := h.mustUser(u1); r.CustomerID != b || r.CustomerName != "Beta" || len(r.CustomerAncestors) != 0 ||
		r.Role != "Business User" || r.Email != "grace@beta.example" || r.Name != "Grace H." || r.Version != 3 {
		t.Fatalf("u1 moved to b = %s", r)
	}
	check(t)(w.UpdateUser(ctx, u1, events.UserUpdatedV1{CustomerID: events.Some(a2)}))
	h.caughtUp()
	if r := h.mustUser(u1); r.CustomerID != a2 || r.CustomerName != "Acme Two" || !slices.Equal(r.CustomerAncestors, []string{a1, a}) {
		t.Fatalf("u1 moved to a2 = %s", r)
	}

	// Disable and enable.
	check(t)(w.SetUserDisabled(ctx, u2, true))
	h.caughtUp()
	if r := h.mustUser(u2); r.Status != "OFF" || r.Version != 2 {
		t.Fatalf("u2 disabled = %s", r)
	}
	check(t)(w.SetUserDisabled(ctx, u2, false))
	h.caughtUp()
	if r := h.mustUser(u2); r.Status != "ON" || r.Version != 3 {
		t.Fatalf("u2 enabled = %s", r)
	}

	// A password or permission change changes only updated_at, version and last_seq.
	for i, change := range []func() (uint64, error){
		func() (uint64, error) { return w.ChangePassword(ctx, u2) },
		func() (uint64, error) { return w.SetPermissions(ctx, u2, []string{"Audit Log View"}, nil) },
	} {
		before := h.mustUser(u2)
		seq := check(t)(change())
		h.caughtUp()
		after := h.mustUser(u2)
		if after.LastSeq != seq || after.Version != before.Version+1 || !after.UpdatedAt.After(before.UpdatedAt) {
			t.Fatalf("change %d: %s", i, after)
		}
		after.UpdatedAt, after.Version, after.LastSeq = before.UpdatedAt, before.Version, before.LastSeq
		if d := projectiontest.DiffUsers([]projectiontest.UserRow{before}, []projectiontest.UserRow{after}); d != "" {
			t.Fatalf("change %d changed more than updated_at, version and last_seq:\n%s", i, d)
		}
	}

	// Renaming a customer renames it in its users' rows, and only there.
	check(t)(w.Rename(ctx, a2, "Acme Two Ltd"))
	h.caughtUp()
	for _, u := range []string{u1, u2} {
		if r := h.mustUser(u); r.CustomerName != "Acme Two Ltd" {
			t.Fatalf("user %s of a2 after the rename = %s", u, r)
		}
	}
	if r := h.mustUser(ownerA); r.CustomerName != "Acme" {
		t.Fatalf("owner of a after renaming a2 = %s", r)
	}

	// Moving a1 under d moves the users of a1's whole subtree; a's own users stay.
	u3, _ := must2(t)(w.CreateUser(ctx, a1, "Technical Administrator", "Ken", "ken@acme.example", ""))
	check(t)(w.Move(ctx, a1, d, "Acme One Moved"))
	h.caughtUp()
	if r := h.mustUser(u3); r.CustomerName != "Acme One Moved" || !slices.Equal(r.CustomerAncestors, []string{d}) {
		t.Fatalf("user of a1 after the move = %s", r)
	}
	for _, u := range []string{u1, u2} {
		if r := h.mustUser(u); !slices.Equal(r.CustomerAncestors, []string{a1, d}) || r.CustomerName != "Acme Two Ltd" {
			t.Fatalf("user %s of a2 after moving a1 = %s", u, r)
		}
	}
	if r := h.mustUser(ownerA); len(r.CustomerAncestors) != 0 {
		t.Fatalf("owner of a after moving a1 = %s", r)
	}
	// And to the root.
	check(t)(w.Move(ctx, a1, "", ""))
	h.caughtUp()
	if r := h.mustUser(u2); !slices.Equal(r.CustomerAncestors, []string{a1}) {
		t.Fatalf("user of a2 after a1 went to the root = %s", r)
	}
	h.usersMatchLog()

	// Deleting a user, and deleting a customer with its users in one batch.
	check(t)(w.DeleteUser(ctx, u3))
	check(t)(w.Delete(ctx, a2))
	h.caughtUp()
	for _, u := range []string{u1, u2, u3} {
		if _, ok := h.userRow(u); ok {
			t.Errorf("deleted user %s is still listed", u)
		}
	}
	if _, ok := h.userRow(ownerA); !ok {
		t.Error("the owner of a was deleted too")
	}
	h.matchesLog(h.allCustomers())
	h.usersMatchLog()
	if p := h.parked(); len(p) != 0 {
		t.Errorf("parked %+v", p)
	}
	if n := testutil.ToFloat64(run.p.metrics.parked); n != 0 {
		t.Errorf("parked counter = %v", n)
	}
}

func TestUsersFollowRandomCommandsAndRedeliveryChangesNothing(t *testing.T) {
	h := newHarness(t)
	// Two projectors with small batches, so that transactions and the fast path's checkpoint
	// race cut through the users' commands everywhere.
	h.start(func(c *Config) { c.MaxBatch = 5 })
	two := h.start(func(c *Config) { c.MaxBatch = 40 })
	rng := rand.New(rand.NewPCG(11, 12))
	for range 150 {
		check(t)(h.w.Step(h.ctx, rng))
		check(t)(h.w.UserStep(h.ctx, rng))
	}
	h.caughtUp()
	h.matchesLog(h.allCustomers())
	h.usersMatchLog()
	if p := h.parked(); len(p) != 0 {
		t.Fatalf("parked %+v", p)
	}
	var users int
	if err := h.pool.QueryRow(h.ctx, "SELECT count(*) FROM users").Scan(&users); err != nil || users < 10 {
		t.Fatalf("only %d users after the random commands (%v): the test exercises too little", users, err)
	}
	two.stop()

	// The same events again, through an applier that believes the checkpoint is 0.
	before, cp := h.snapshot(), h.checkpoint()
	evs := h.raw(1, h.lastSeq())
	ap := h.newApplier()
	if err := ap.commit(h.ctx, evs); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(evs); i += 7 {
		if err := ap.commit(h.ctx, evs[i:min(i+7, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
	if n := testutil.ToFloat64(ap.metrics.applied); n != 0 {
		t.Errorf("applied %v events again", n)
	}
	if got := h.snapshot(); got != before || h.checkpoint() != cp {
		t.Errorf("tables or checkpoint changed:\nbefore %s\nafter  %s", before, got)
	}
}

func TestPoisonUserEventsAreParked(t *testing.T) {
	h := newHarness(t)
	ctx := h.ctx
	a, _ := must2(t)(h.w.Create(ctx, "Acme", "", ""))
	u, _ := must2(t)(h.w.CreateUser(ctx, a, "Business User", "Ada", "ada@acme.example", ""))
	nobody := uuid.NewString()
	userEnv := func(typ string, data any) []byte { return envelope(t, typ, data) }

	// Written before the projector starts, so that they reach it in one transaction with the
	// valid events around them.
	want := map[uint64]string{
		h.publishRaw(events.UserSubject(nobody), userEnv(events.UserUpdated, map[string]string{"name": "Nobody"})):                          events.UserUpdated,
		h.publishRaw(events.UserSubject(nobody), userEnv(events.UserDisabled, map[string]string{})):                                         events.UserDisabled,
		h.publishRaw(events.UserSubject(nobody), userEnv(events.UserPasswordChanged, map[string]bool{"by_user": true})):                     events.UserPasswordChanged,
		h.publishRaw(events.UserSubject(uuid.NewString()), userEnv(events.UserCreated, map[string]string{"customer_id": uuid.NewString()})): events.UserCreated,
		h.publishRaw(events.UserSubject(uuid.NewString()), userEnv(events.UserCreated, map[string]string{"customer_id": "not-a-uuid"})):     events.UserCreated,
		h.publishRaw(events.UserSubject(u), userEnv(events.UserCreated, map[string]string{"customer_id": a, "name": "Twice"})):              events.UserCreated,
		h.publishRaw(events.UserSubject(u), userEnv(events.UserUpdated, map[string]string{"customer_id": uuid.NewString()})):                events.UserUpdated,
		h.publishRaw(events.UserSubject(u), userEnv(events.UserUpdated, map[string]any{"customer_id": nil})):                                events.UserUpdated,
		h.publishRaw(events.UserSubject(u), userEnv(events.CustomerCreated, map[string]string{"name": "x"})):                                events.CustomerCreated,
		h.publishRaw(events.UserSubject(u), userEnv("user.renamed", map[string]string{"name": "x"})):                                        "user.renamed",
		h.publishRaw(events.UserSubject(u), []byte("\x00not json{")):                                                                        "",
		h.publishRaw(events.UserSubject("not-a-uuid"), userEnv(events.UserDeleted, map[string]string{})):                                    events.UserDeleted,
		h.publishRaw(events.UserSubject(u), userEnv(events.UserUpdated, map[string]string{"name": "bad\x00name"})):                          events.UserUpdated,
	}
	// Deleting a user the read model does not hold is not poison: the result is as it should be.
	h.publishRaw(events.UserSubject(nobody), userEnv(events.UserDeleted, map[string]string{}))
	check(t)(h.w.UpdateUser(ctx, u, events.UserUpdatedV1{Name: events.Some("Ada L.")}))
	check(t)(h.w.Rename(ctx, a, "Acme Ltd"))

	run := h.start()
	h.caughtUp()
	got := h.parked()
	if len(got) != len(want) {
		t.Fatalf("parked %d events, want %d: %+v", len(got), len(want), got)
	}
	for _, p := range got {
		typ, ok := want[p.Seq]
		if !ok || p.EventType != typ || p.Error == "" || !strings.HasPrefix(p.Subject, "cm.user.") {
			t.Errorf("parked %+v, want a seq in %v with type %q", p, want, typ)
		}
	}
	// The counter moves just after the commit that the checkpoint shows: poll it.
	testenv.WaitFor(t, 5*time.Second, func() bool { return testutil.ToFloat64(run.p.metrics.parked) == float64(len(want)) },
		"parked counter = %v, want %d", testutil.ToFloat64(run.p.metrics.parked), len(want))
	if r := h.mustUser(u); r.Name != "Ada L." || r.CustomerName != "Acme Ltd" || r.CustomerID != a || r.Version != 2 {
		t.Fatalf("u = %s: the events after the poison ones did not apply, or a poison one did", r)
	}
}

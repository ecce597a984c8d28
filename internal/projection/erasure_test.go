package projection

import (
	"strings"
	"testing"

	"github.com/toffstech/customer-management/internal/events"
)

// TestErasureScrubsTheReadModel: after a customer's deletion, the destruction of its key and
// customer.erased, no table of the read model holds its users' names, emails or remarks — not
// the audit rows about them, not the rows of their actions, not audit_actors — while the users of
// other customers keep theirs; and a rebuild from the log (where the fields can no longer be
// opened) gives the same tables.
func TestErasureScrubsTheReadModel(t *testing.T) {
	h := newHarness(t)
	h.start()
	ctx := h.ctx
	gone, owner, _ := check3(t)(h.w.CreateWithOwner(ctx, "Gone Corp", "", "", "Gwendolyn Gone", "gwen.gone@example.com"))
	kept, _, _ := check3(t)(h.w.CreateWithOwner(ctx, "Kept Corp", "", "", "Kenneth Kept", "ken.kept@example.com"))
	u, _ := must2(t)(h.w.CreateUser(ctx, gone, "Business User", "Ursula Unique", "ursula.unique@example.com", "remark-rosebud"))
	check(t)(h.w.UpdateUser(ctx, u, events.UserUpdatedV1{Email: events.Some("ursula.new@example.com"), Remark: events.Some("remark-tulip")}))
	// A cleared remark held nothing: after the erasure it still reads empty, not erased.
	check(t)(h.w.UpdateUser(ctx, u, events.UserUpdatedV1{Remark: events.Some("")}))
	must2(t)(h.w.CreateUser(ctx, kept, "Business User", "Olga Other", "olga.other@example.com", ""))
	// A user of Gone Corp moves to Kept Corp and is renamed in the same update, restating its
	// personal fields under Kept Corp's key, as the commands do: it keeps them after the erasure.
	mover, _ := must2(t)(h.w.CreateUser(ctx, gone, "Business User", "Mona Mover", "mona.mover@example.com", "moves"))
	check(t)(h.w.UpdateUser(ctx, mover, events.UserUpdatedV1{CustomerID: events.Some(kept), Name: events.Some("Mona Moved"),
		Personal: &events.UserPersonalV1{Name: "Mona Moved", Email: "mona.mover@example.com", Remark: "moves"}}))
	// One action of the owner of Gone Corp, on the other customer: its row names the actor.
	h.w.ActorID = owner
	check(t)(h.w.Rename(ctx, kept, "Kept Corp Renamed"))
	h.w.ActorID = ""
	h.caughtUp()

	secrets := []string{"Gwendolyn", "gwen.gone@example.com", "Ursula", "ursula.unique@example.com", "ursula.new@example.com", "rosebud", "tulip"}
	if found := h.scanReadModel(secrets); len(found) == 0 {
		t.Fatal("the read model holds none of the personal data before the erasure: the scan proves nothing")
	}

	check(t)(h.w.Delete(ctx, gone))
	if err := h.keys.Destroy(ctx, gone); err != nil {
		t.Fatal(err)
	}
	check(t)(h.w.Erase(ctx, gone))
	h.caughtUp()
	if found := h.scanReadModel(secrets); len(found) > 0 {
		t.Fatalf("after the erasure the read model still holds %v", found)
	}
	var moverName, moverEmail string
	if err := h.pool.QueryRow(ctx, `SELECT name, email FROM users WHERE id = $1`, mover).Scan(&moverName, &moverEmail); err != nil {
		t.Fatal(err)
	}
	if moverName != "Mona Moved" || moverEmail != "mona.mover@example.com" {
		t.Fatalf("the user who moved away reads %q <%s>", moverName, moverEmail)
	}
	h.usersMatchLog()
	if found := h.scanReadModel([]string{"Olga Other", "olga.other@example.com", "Kenneth Kept"}); len(found) != 3 {
		t.Fatalf("the other customer's users lost their data: only %v left", found)
	}
	var clearedRemark string
	if err := h.pool.QueryRow(ctx, `SELECT change->>'remark' FROM audit WHERE resource_id = $1 AND change::jsonb ? 'remark' ORDER BY seq DESC LIMIT 1`, u).
		Scan(&clearedRemark); err != nil || clearedRemark != "" {
		t.Fatalf("the cleared remark reads %q after the erasure (%v), want \"\"", clearedRemark, err)
	}
	var erasedRows int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM audit WHERE resource_name = $1 OR actor_email = $1`, events.Erased).Scan(&erasedRows); err != nil {
		t.Fatal(err)
	}
	if erasedRows < 4 {
		t.Fatalf("%d audit rows read as erased, want at least 4", erasedRows)
	}
	h.auditMatchesLog()
	if p := h.parked(); len(p) != 0 {
		t.Fatalf("parked %+v", p)
	}

	before := h.dumpTables()
	if _, err := Rebuild(ctx, RebuildConfig{Pool: h.pool, Store: h.store, Keys: h.keys, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	if after := h.dumpTables(); after != before {
		t.Fatalf("the rebuild after the erasure differs from the scrubbed tables:\nbefore %s\nafter  %s", before, after)
	}
}

// scanReadModel returns the secrets found in the text of any row of the read model's tables.
func (h *harness) scanReadModel(secrets []string) []string {
	h.t.Helper()
	text := h.dumpTables()
	var found []string
	for _, s := range secrets {
		if strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	return found
}

// dumpTables returns every row of the projection's tables as text, in a stable order; as jsonb, so
// that json columns compare by value, not by their spacing.
func (h *harness) dumpTables() string {
	h.t.Helper()
	rows := h.tableRows("public", "to_jsonb(t)::text")
	var b strings.Builder
	for _, r := range rebuildRelations {
		for _, s := range rows[r.name] {
			b.WriteString(r.name + " " + s + "\n")
		}
	}
	return b.String()
}

// check3 fails the test when a writer call failed, and returns its results.
func check3(t *testing.T) func(string, string, uint64, error) (string, string, uint64) {
	return func(a, b string, seq uint64, err error) (string, string, uint64) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b, seq
	}
}

package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/chain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/export/worker"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/testenv"
)

// TestDeletingACustomerErasesItsPersonalDataEverywhere goes through the API: a customer with an
// owner and a user (name, email, remark, a changed email), a domain, actions of the owner, an
// export. Before the delete, the personal data is readable where it belongs (Postgres, the API);
// after it, a scan of every message of every JetStream stream (the event log, the key-value
// buckets, the object store holding the exports), of every row of every table of the database and
// of the export file finds none of it in clear text, while the history keeps every event, shows the
// fields as erased, and its chains still verify.
func TestDeletingACustomerErasesItsPersonalDataEverywhere(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	secrets := []string{"Philippa Privacy", "philippa.private@example.com", "Rupert Remarkable", "rupert.remarkable@example.com",
		"rupert.renamed@example.com", "remark-marigold-7731"}

	c := s.create(t, map[string]any{"name": "Erasable Corp", "address": "1 Shred Street", "owner": map[string]any{
		"name": "Philippa Privacy", "email": "philippa.private@example.com", "password": ownerPassword, "password_confirm": ownerPassword}})
	cid := c.json(t)["id"].(string)
	r := s.do(t, "POST", "/v1/users", map[string]any{"customer_id": cid, "role": "Business User", "name": "Rupert Remarkable",
		"email": "rupert.remarkable@example.com", "remark": "remark-marigold-7731", "password": ownerPassword, "password_confirm": ownerPassword})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.StatusCode, r.body)
	}
	uid := r.json(t)["id"].(string)
	if r := s.do(t, "PATCH", "/v1/users/"+uid, map[string]any{"email": "rupert.renamed@example.com"}); r.StatusCode != http.StatusOK {
		t.Fatalf("rename email: %d %s", r.StatusCode, r.body)
	}
	// Another customer; a third user of Erasable Corp moves there, renamed in the same request:
	// it keeps its personal data when Erasable Corp is erased.
	k := s.create(t, map[string]any{"name": "Keeper Corp", "address": "3 Keep Street"})
	kid := k.json(t)["id"].(string)
	r = s.do(t, "POST", "/v1/users", map[string]any{"customer_id": cid, "role": "Business User", "name": "Mover Before",
		"email": "mover.kept@example.com", "password": ownerPassword, "password_confirm": ownerPassword})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create mover: %d %s", r.StatusCode, r.body)
	}
	mid := r.json(t)["id"].(string)
	if r := s.do(t, "PATCH", "/v1/users/"+mid, map[string]any{"customer_id": kid, "name": "Mover After"}); r.StatusCode != http.StatusOK {
		t.Fatalf("move and rename: %d %s", r.StatusCode, r.body)
	}
	// The owner acts: its email is the actor's on these audit rows.
	owner := s.login(t, "philippa.private@example.com", ownerPassword)
	if r := s.doAs(t, owner, "PATCH", "/v1/customers/"+cid, map[string]any{"address": "2 Shred Street"}); r.StatusCode != http.StatusOK {
		t.Fatalf("owner edits: %d %s", r.StatusCode, r.body)
	}
	if r := s.doAs(t, owner, "POST", "/v1/customers/"+cid+"/domains", map[string]any{"host": "erasable.example.com",
		"origins": []any{map[string]any{"type": "IPv4", "address": "203.0.113.7", "port": 443}}}); r.StatusCode != http.StatusCreated {
		t.Fatalf("add domain: %d %s", r.StatusCode, r.body)
	}
	csv := s.runExport(t, owner, cid)
	if !strings.Contains(csv, "erasable.example.com") {
		t.Fatalf("the export lacks the domain: %q", csv)
	}

	// Before: the read model holds the personal data (so the scans below can see it).
	waitAudit(t, s, cid, "export.succeeded")
	if found := scanDatabase(t, s, secrets); len(found) < 4 {
		t.Fatalf("before the delete the database holds only %v: the scan would prove nothing", found)
	}

	if r := s.do(t, "DELETE", "/v1/customers/"+cid, nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.StatusCode, r.body)
	}
	waitAudit(t, s, cid, events.CustomerErased)

	if found := scanStreams(t, s.js, secrets); len(found) > 0 {
		t.Errorf("JetStream holds %v in clear text", found)
	}
	if found := scanDatabase(t, s, secrets); len(found) > 0 {
		t.Errorf("Postgres holds %v in clear text", found)
	}
	for _, sec := range secrets {
		if strings.Contains(csv, sec) {
			t.Errorf("the export file holds %q", sec)
		}
	}

	// The user who moved away keeps its data, in the read model (projected past the move: the
	// consistency token of the read) and for the commands.
	mv := s.do(t, "GET", "/v1/users/"+mid, nil)
	if mv.StatusCode != http.StatusOK || mv.json(t)["name"] != "Mover After" || mv.json(t)["email"] != "mover.kept@example.com" {
		t.Fatalf("the user who moved away: %d %s", mv.StatusCode, mv.body)
	}
	if r := s.do(t, "PATCH", "/v1/users/"+mid, map[string]any{"remark": "still here"}); r.StatusCode != http.StatusOK ||
		r.json(t)["name"] != "Mover After" {
		t.Fatalf("edit the user who moved away: %d %s", r.StatusCode, r.body)
	}

	// The history keeps every event, reads the fields as erased, and verifies.
	h := s.do(t, "GET", "/v1/customers/"+cid+"/history?limit=100", nil)
	if h.StatusCode != http.StatusOK {
		t.Fatalf("history: %d %s", h.StatusCode, h.body)
	}
	for _, sec := range secrets {
		if bytes.Contains(h.body, []byte(sec)) {
			t.Errorf("the history shows %q", sec)
		}
	}
	if !bytes.Contains(h.body, []byte(events.Erased)) || !bytes.Contains(h.body, []byte(events.CustomerErased)) {
		t.Errorf("the history shows no erased field or no customer.erased: %s", h.body)
	}
	v := s.do(t, "GET", "/v1/customers/"+cid+"/history/verify", nil)
	if v.StatusCode != http.StatusOK || v.json(t)["ok"] != true {
		t.Fatalf("verify after the erasure: %d %s", v.StatusCode, v.body)
	}
	if rep, err := chain.VerifyStream(ctx, s.js, events.StreamName, 0); err != nil || !rep.OK {
		t.Fatalf("the whole log after the erasure: %+v %v", rep, err)
	}
	// Replay: the raw events still carry the sealed fields, and none in clear.
	ev := s.do(t, "GET", "/v1/events?limit=1000", nil)
	if !bytes.Contains(ev.body, []byte(`"enc:v1:`+cid+`:`)) {
		t.Errorf("the replayed events hold no field sealed with the customer's key")
	}
	// The owner's session ended with the delete; erasing again is harmless, and not the owner's to ask.
	if r := s.do(t, "POST", "/v1/customers/"+cid+":erase", nil); r.StatusCode != http.StatusOK || r.json(t)["erased"] != true {
		t.Fatalf("erase again: %d %s", r.StatusCode, r.body)
	}
}

// TestEraseEndpoint: only Toffstech Support, only a deleted customer, a valid id.
func TestEraseEndpoint(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.create(t, map[string]any{"name": "Live Corp", "address": "1 Live Street", "owner": map[string]any{
		"name": "Liv Owner", "email": "liv.owner@example.com", "password": ownerPassword, "password_confirm": ownerPassword}})
	cid := c.json(t)["id"].(string)
	if r := s.do(t, "POST", "/v1/customers/"+cid+":erase", nil); r.StatusCode != http.StatusConflict {
		t.Fatalf("erase a live customer: %d %s", r.StatusCode, r.body)
	}
	owner := s.login(t, "liv.owner@example.com", ownerPassword)
	if r := s.doAs(t, owner, "POST", "/v1/customers/"+cid+":erase", nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("erase by the owner: %d %s", r.StatusCode, r.body)
	}
	if r := s.do(t, "POST", "/v1/customers/not-a-uuid:erase", nil); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("erase a bad id: %d %s", r.StatusCode, r.body)
	}
	if r := s.do(t, "POST", "/v1/customers/"+cid+":shred", nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown action: %d %s", r.StatusCode, r.body)
	}
	if r := s.do(t, "POST", "/v1/customers/0193a1b2-0000-7000-8000-0000000000ee:erase", nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("erase an unknown customer: %d %s", r.StatusCode, r.body)
	}
}

// runExport requests an export as token, runs it with the real worker, and returns the file.
func (s *stack) runExport(t *testing.T, token, customerID string) string {
	t.Helper()
	ctx := context.Background()
	r := s.doAs(t, token, "POST", "/v1/customers/"+customerID+"/exports", nil)
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("request export: %d %s", r.StatusCode, r.body)
	}
	x := r.json(t)
	id := x["id"].(string)
	waiter, err := projection.NewWaiter(ctx, s.pool, projection.CustomersProjection)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	p, err := worker.New(worker.Config{Exports: s.exports, Pool: s.pool, Waiter: waiter, Store: s.exportStore,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Process(ctx, id, info.State.LastSeq); err != nil {
		t.Fatal(err)
	}
	d := s.doAs(t, token, "GET", "/v1/exports/"+id+"/download", nil)
	if d.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %s", d.StatusCode, d.body)
	}
	return string(d.body)
}

// waitAudit waits until the audit log holds an event of type typ about customer id.
func waitAudit(t *testing.T, s *stack, id, typ string) {
	t.Helper()
	testenv.WaitFor(t, 10*time.Second, func() bool {
		var n int
		err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit WHERE customer_id = $1 AND type = $2`, id, typ).Scan(&n)
		return err == nil && n > 0
	}, "audit row %s of %s", typ, id)
}

// scanStreams returns the secrets found in any message (subject, headers, data) of any stream.
func scanStreams(t *testing.T, js jetstream.JetStream, secrets []string) []string {
	t.Helper()
	ctx := context.Background()
	var all bytes.Buffer
	names := js.StreamNames(ctx)
	n := 0
	for name := range names.Name() {
		n++
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
			m, err := st.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue
			}
			if err != nil {
				t.Fatalf("stream %s seq %d: %v", name, seq, err)
			}
			fmt.Fprintf(&all, "%s %s %v ", name, m.Subject, m.Header)
			all.Write(m.Data)
		}
	}
	if names.Err() != nil {
		t.Fatal(names.Err())
	}
	if n < 4 || !bytes.Contains(all.Bytes(), []byte("erasable.example.com")) {
		t.Fatalf("scanned %d streams (%d bytes) without the export's domain: the scan proves nothing", n, all.Len())
	}
	return found(all.Bytes(), secrets)
}

// scanDatabase returns the secrets found in any row of any table of the test database.
func scanDatabase(t *testing.T, s *stack, secrets []string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, `SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	var all bytes.Buffer
	for _, tb := range tables {
		rows, err := s.pool.Query(ctx, `SELECT t::text FROM `+tb+` t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			all.WriteString(tb + " " + line + "\n")
		}
		rows.Close()
	}
	return found(all.Bytes(), secrets)
}

func found(b []byte, secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			out = append(out, s)
		}
	}
	return out
}

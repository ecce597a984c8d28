package idempotency

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/testenv"
)

func TestRecordLifecycle(t *testing.T) {
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	s, err := Ensure(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(ctx, js, 1); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	clock := time.Now()
	s.now = func() time.Time { return clock }

	key := Key("user-1", "abc")
	if key == Key("user-2", "abc") {
		t.Fatal("keys of different actors collide")
	}
	fp := Fingerprint("POST", "/v1/customers", []byte(`{"name":"a"}`))
	out, rec, rev, err := s.Begin(ctx, key, fp)
	if err != nil || out != Proceed {
		t.Fatalf("first Begin = %v %v", out, err)
	}
	if out, _, _, _ := s.Begin(ctx, key, fp); out != InFlight {
		t.Errorf("second Begin while in flight = %v", out)
	}
	if out, _, _, _ := s.Begin(ctx, key, Fingerprint("POST", "/v1/customers", []byte(`{"name":"b"}`))); out != Mismatch {
		t.Errorf("other body = %v", out)
	}
	h := http.Header{}
	h.Set("Location", "/v1/customers/x")
	h.Set("Set-Cookie", "never=kept")
	if err := s.Complete(ctx, key, rev, rec, 201, h, []byte(`{"id":"x"}`)); err != nil {
		t.Fatal(err)
	}
	out, got, _, err := s.Begin(ctx, key, fp)
	if err != nil || out != Replay || got.Status != 201 || string(got.Body) != `{"id":"x"}` || got.Header["Location"] != "/v1/customers/x" {
		t.Fatalf("replay = %v %+v %v", out, got, err)
	}
	if _, ok := got.Header["Set-Cookie"]; ok {
		t.Error("a Set-Cookie header was stored")
	}

	// A released attempt (a 5xx) lets the next attempt run at once, as the same command; while
	// that one runs, a third waits.
	k2 := Key("user-1", "def")
	_, failed, rev2, _ := s.Begin(ctx, k2, fp)
	if err := s.Release(ctx, k2, rev2, failed); err != nil {
		t.Fatal(err)
	}
	out, retry, _, _ := s.Begin(ctx, k2, fp)
	if out != Proceed || retry.CommandID != failed.CommandID || !retry.StartedAt.Equal(failed.StartedAt) {
		t.Errorf("after release = %v %+v (failed %+v)", out, retry, failed)
	}
	if out, _, _, _ := s.Begin(ctx, k2, fp); out != InFlight {
		t.Errorf("while the retry runs = %v", out)
	}

	// A request that died in flight is taken over after the lease, with the same command id.
	k3 := Key("user-1", "ghi")
	_, first, _, _ := s.Begin(ctx, k3, fp)
	clock = clock.Add(DefaultLease + time.Second)
	out, again, _, err := s.Begin(ctx, k3, fp)
	if err != nil || out != Proceed || again.CommandID != first.CommandID || !again.StartedAt.Equal(first.StartedAt) {
		t.Fatalf("takeover = %v %+v (first %+v) %v", out, again, first, err)
	}
}

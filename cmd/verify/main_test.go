package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/chain"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/projection/projectiontest"
	"github.com/toffstech/customer-management/internal/testenv"
)

func TestVerifyReportsCleanAndBrokenLogs(t *testing.T) {
	js, url := testenv.JetStream(t)
	ctx := context.Background()
	if _, err := eventstore.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	w := projectiontest.NewWriter(eventstore.New(js, nil))
	rng := rand.New(rand.NewPCG(7, 8))
	for range 40 {
		if _, err := w.Step(ctx, rng); err != nil {
			t.Fatal(err)
		}
		if _, err := w.DomainStep(ctx, rng); err != nil {
			t.Fatal(err)
		}
	}
	env := func(k string) string {
		if k == "NATS_URL" {
			return url
		}
		return ""
	}
	var out, errOut bytes.Buffer
	if code := run(ctx, nil, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), "every chain holds") {
		t.Fatalf("clean log: exit %d\n%s%s", code, out.String(), errOut.String())
	}

	// A copy of the log with one event's data changed, in a stream of its own.
	var evs []chain.Event
	if err := chain.Walk(ctx, js, events.StreamName, 0, func(e chain.Event) error { evs = append(evs, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "FORGED", Subjects: []string{"forged.>"}}); err != nil {
		t.Fatal(err)
	}
	changed := -1
	for i, e := range evs {
		data := e.Data
		if changed < 0 && strings.HasPrefix(e.Subject, "cm.customer.") && i > 0 {
			for _, later := range evs[i+1:] {
				if later.Subject == e.Subject {
					data = bytes.Replace(data, []byte(`"time":"2026`), []byte(`"time":"2024`), 1)
					changed = i
					break
				}
			}
		}
		if _, err := js.Publish(ctx, "forged."+e.Subject, data); err != nil {
			t.Fatal(err)
		}
	}
	if changed < 0 {
		t.Fatal("no customer event with a later one")
	}
	out.Reset()
	if code := run(ctx, []string{"-stream", "FORGED", "-json"}, env, &out, &errOut); code != 1 {
		t.Fatalf("forged log: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	var rep chain.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.OK || rep.FirstBreak == nil || rep.FirstBreak.Seq <= uint64(changed+1) {
		t.Fatalf("forged log report %s: %v", out.String(), err)
	}

	// No NATS: exit 2 with a message.
	errOut.Reset()
	dead := func(string) string { return "nats://" + testenv.FreeAddr(t) }
	if code := run(ctx, nil, dead, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "connect to NATS") {
		t.Fatalf("no NATS: exit %d, %s", code, errOut.String())
	}
}

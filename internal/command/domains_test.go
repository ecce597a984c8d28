package command_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/domain"
	"github.com/toffstech/customer-management/internal/events"
)

func settings(host string) events.DomainSettings {
	s := domain.DefaultDomainSettings()
	s.Host = host
	s.Origins = []events.Origin{{Type: "IPv4", Address: "203.0.113.10", Port: 443, Enabled: true}}
	return s
}

func TestDomainLifecycle(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	d := command.NewDomains(f.h)
	a := f.withOwner(t, "A", "", "a@example.com").Customer
	b := f.withOwner(t, "B", "", "b@example.com").Customer
	res, err := d.AddDomain(ctx, meta, a.ID, settings("WWW.Bücher.example"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Domain.Settings.Host != "www.xn--bcher-kva.example" || res.Domain.CustomerID != a.ID {
		t.Fatalf("added: %+v", res.Domain)
	}
	if _, err := d.AddDomain(ctx, meta, b.ID, settings("www.bücher.example")); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("same host for another customer: %v", err)
	}
	// Change a section and the host, then move it.
	upd, err := d.UpdateDomain(ctx, meta, res.Domain.ID, command.DomainChange{Settings: func(cur events.DomainSettings) (events.DomainSettings, error) {
		cur.Host = "shop.example.com"
		cur.HTTPPorts = []int{80, 8080}
		return cur, nil
	}, CustomerID: b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Domain.Settings.Host != "shop.example.com" || upd.Domain.CustomerID != b.ID || upd.Domain.Version != 3 {
		t.Fatalf("after update and move: %+v", upd.Domain)
	}
	// The old host is free again.
	if _, err := d.AddDomain(ctx, meta, a.ID, settings("www.bücher.example")); err != nil {
		t.Fatalf("old host not released: %v", err)
	}
	// Nothing changes → nothing appended.
	if r, err := d.UpdateDomain(ctx, meta, res.Domain.ID, command.DomainChange{Settings: func(cur events.DomainSettings) (events.DomainSettings, error) { return cur, nil }}); err != nil || r.Changed {
		t.Fatalf("no-op: %+v %v", r, err)
	}
	// Deleting B removes its domain atomically and frees the host.
	if _, err := f.h.DeleteCustomer(ctx, meta, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetDomain(ctx, meta, res.Domain.ID); domain.ErrorCode(err) != domain.NotFound {
		t.Fatalf("domain of a deleted customer: %v", err)
	}
	if _, err := d.AddDomain(ctx, meta, a.ID, settings("shop.example.com")); err != nil {
		t.Fatalf("host of the deleted customer's domain not released: %v", err)
	}
	if _, err := d.AddDomain(ctx, meta, b.ID, settings("late.example.com")); domain.ErrorCode(err) == "" {
		t.Fatal("a domain was added to a deleted customer")
	}
}

func TestConcurrentHostUniqueness(t *testing.T) {
	f := setupUsers(t)
	ctx := context.Background()
	d := command.NewDomains(f.h)
	var custs []string
	for i := range 5 {
		custs = append(custs, f.withOwner(t, fmt.Sprint("C", i), "", fmt.Sprintf("c%d@example.com", i)).Customer.ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = d.AddDomain(ctx, meta, custs[i%len(custs)], settings("same.example.com"))
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if domain.ErrorCode(err) != domain.Conflict {
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 30 concurrent adds of one host succeeded", ok)
	}
}

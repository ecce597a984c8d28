package command_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/credentials"
	"github.com/toffstech/customer-management/internal/domain"
)

// slowPasswords hashes as slowly as argon2id and records how many hashes ran at once.
type slowPasswords struct {
	testPasswords
	running, most, calls atomic.Int64
}

func (p *slowPasswords) Hash(pw string) (string, error) {
	p.calls.Add(1)
	n := p.running.Add(1)
	defer p.running.Add(-1)
	for {
		m := p.most.Load()
		if n <= m || p.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(30 * time.Millisecond) // the cost of a hash, not a synchronization
	return p.testPasswords.Hash(pw)
}

// TestBurstOfCreatesHashesInTurn: 20 concurrent creates of one name hash at most one password per
// core at a time, one of them creates the customer, and the others are refused as duplicates —
// those that waited for a slot after the name was taken without hashing at all.
func TestBurstOfCreatesHashesInTurn(t *testing.T) {
	f := setupUsers(t)
	slow := &slowPasswords{}
	p, err := credentials.EnsurePasswords(context.Background(), f.js, 1)
	if err != nil {
		t.Fatal(err)
	}
	u := command.NewUsers(f.h, credentials.ForCommands{P: p}, slow, f.keys)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = u.CreateCustomerWithOwner(context.Background(), meta, domain.CreateCustomer{Name: "Burst Corp"},
				command.Owner{Name: "Owner", Email: "owner" + string(rune('a'+i)) + "@burst.example", Password: pw("correct horse battery")})
		})
	}
	wg.Wait()
	created, dup := 0, 0
	for _, err := range errs {
		var de *domain.Error
		switch {
		case err == nil:
			created++
		case errors.As(err, &de) && de.Code == domain.Conflict:
			dup++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if created != 1 || dup != n-1 {
		t.Fatalf("%d created, %d refused as duplicates; want 1 and %d", created, dup, n-1)
	}
	if most, slots := slow.most.Load(), int64(runtime.GOMAXPROCS(0)); most > slots {
		t.Errorf("%d hashes ran at once, more than the %d slots", most, slots)
	}
	if calls := slow.calls.Load(); calls >= n {
		t.Errorf("%d hashes for %d creates of one name: the duplicates were not refused before hashing", calls, n)
	}
	t.Logf("%d hashes for %d creates", slow.calls.Load(), n)
}

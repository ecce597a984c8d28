package projection

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/toffstech/customer-management/internal/testenv"
)

func TestWaiterReturnsOnceTheProjectionCatchesUp(t *testing.T) {
	h := newHarness(t)
	h.start()
	w, err := NewWaiter(h.ctx, h.pool, CustomersProjection)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	// A write is visible promptly: LISTEN/NOTIFY, not the 250 ms safety poll.
	const writes = 20
	var total time.Duration
	for i := range writes {
		_, seq := must2(t)(h.w.Create(h.ctx, "Customer", "", ""))
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		start := time.Now()
		err := w.Wait(ctx, seq)
		total += time.Since(start)
		cancel()
		if err != nil {
			t.Fatalf("write %d: Wait(%d): %v", i, seq, err)
		}
		if w.Checkpoint() < seq || h.checkpoint() < seq {
			t.Fatalf("Wait returned before the checkpoint reached %d", seq)
		}
	}
	if avg := total / writes; avg > 60*time.Millisecond {
		t.Errorf("average wait after a write = %s; notifications do not seem to arrive", avg)
	} else {
		t.Logf("average wait after a write: %s", avg)
	}

	// A sequence already reached costs next to nothing.
	reached := w.Checkpoint()
	start := time.Now()
	const calls = 10000
	for range calls {
		if err := w.Wait(h.ctx, reached); err != nil {
			t.Fatal(err)
		}
	}
	if per := time.Since(start) / calls; per > 20*time.Microsecond {
		t.Errorf("Wait on a reached sequence takes %s", per)
	}

	// A sequence never reached ends with the context.
	ctx, cancel := context.WithTimeout(h.ctx, 100*time.Millisecond)
	start = time.Now()
	err = w.Wait(ctx, reached+1000)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait beyond the stream = %v, want DeadlineExceeded", err)
	}
	if took := time.Since(start); took < 100*time.Millisecond || took > time.Second {
		t.Errorf("timed out after %s, want about 100ms", took)
	}

	// The LISTEN connection is killed: the waiter reconnects and keeps working.
	var pid int
	if err := h.pool.QueryRow(h.ctx, `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, WaiterApplicationName).Scan(&pid); err != nil {
		t.Fatalf("find the LISTEN connection: %v", err)
	}
	if _, err := h.pool.Exec(h.ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 10*time.Second, func() bool {
		var n int
		err := h.pool.QueryRow(h.ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND application_name = $1 AND pid <> $2`, WaiterApplicationName, pid).Scan(&n)
		return err == nil && n == 1
	}, "a new LISTEN connection")
	_, seq := must2(t)(h.w.Create(h.ctx, "After reconnect", "", ""))
	ctx, cancel = context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	if err := w.Wait(ctx, seq); err != nil {
		t.Fatalf("Wait after reconnect: %v", err)
	}

	// Several waiters on one sequence are all released by one notification.
	_, seq = must2(t)(h.w.Create(h.ctx, "Many", "", ""))
	errs := make(chan error, 50)
	for range 50 {
		go func() { errs <- w.Wait(ctx, seq) }()
	}
	for range 50 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	w.Close()
	if err := w.Wait(h.ctx, seq+1000); !errors.Is(err, ErrWaiterClosed) {
		t.Errorf("Wait after Close = %v", err)
	}
}

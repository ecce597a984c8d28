package projection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Waiter intervals.
const (
	// waiterPoll is how often a Waiter reads the checkpoint in case a notification was missed.
	waiterPoll = 250 * time.Millisecond
	// waiterReconnectMax bounds the backoff of a Waiter reconnecting its LISTEN connection.
	waiterReconnectMax = 2 * time.Second
)

// WaiterApplicationName is the application_name of a Waiter's LISTEN connection, as
// pg_stat_activity shows it.
const WaiterApplicationName = "cm-projection-waiter"

// ErrWaiterClosed is returned by Wait after Close.
var ErrWaiterClosed = errors.New("projection: waiter closed")

// Waiter waits until a projection has reached a stream sequence, for read-your-writes: a write
// returns the sequence it produced, and a read that sends it back waits for the projection first.
//
// One dedicated connection LISTENs on NotifyChannel; every notification of the projection raises
// an in-memory high-water mark and wakes all waiters at once. A slow poll of the checkpoint covers
// notifications missed while the connection was down. Wait costs an atomic load when the sequence
// is already reached.
type Waiter struct {
	pool       *pgxpool.Pool
	projection string
	log        *slog.Logger

	hwm     atomic.Uint64
	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever hwm rises

	cancel context.CancelFunc
	closed chan struct{}
	wg     sync.WaitGroup
}

// NewWaiter connects a LISTEN connection with pool's settings (it is not taken from the pool) and
// reads the projection's checkpoint. It fails when Postgres cannot be reached within ctx. The
// Waiter keeps working, reconnecting as needed, until Close.
func NewWaiter(ctx context.Context, pool *pgxpool.Pool, projection string) (*Waiter, error) {
	w := &Waiter{
		pool:       pool,
		projection: projection,
		log:        slog.Default().With("projection", projection),
		changed:    make(chan struct{}),
		closed:     make(chan struct{}),
	}
	conn, err := w.listen(ctx)
	if err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.cancel = cancel
	w.wg.Add(2)
	go w.listenLoop(bg, conn)
	go w.pollLoop(bg)
	return w, nil
}

// Checkpoint returns the highest checkpoint of the projection the Waiter has seen.
func (w *Waiter) Checkpoint() uint64 { return w.hwm.Load() }

// Wait returns nil once the projection's checkpoint is at least seq, ctx's error if ctx is done
// first, or ErrWaiterClosed if the Waiter is closed first.
func (w *Waiter) Wait(ctx context.Context, seq uint64) error {
	for {
		if w.hwm.Load() >= seq {
			return nil
		}
		w.mu.Lock()
		ch := w.changed
		w.mu.Unlock()
		// hwm is raised before changed is replaced: check again now that ch is known.
		if w.hwm.Load() >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-w.closed:
			return ErrWaiterClosed
		}
	}
}

// Close stops the Waiter and closes its connection. Waits in progress return ErrWaiterClosed.
func (w *Waiter) Close() {
	w.mu.Lock()
	select {
	case <-w.closed:
		w.mu.Unlock()
		return
	default:
		close(w.closed)
	}
	w.mu.Unlock()
	w.cancel()
	w.wg.Wait()
}

// advance raises the high-water mark to cp and wakes the waiters.
func (w *Waiter) advance(cp uint64) {
	for {
		old := w.hwm.Load()
		if cp <= old {
			return
		}
		if w.hwm.CompareAndSwap(old, cp) {
			break
		}
	}
	w.mu.Lock()
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
}

// listen opens the LISTEN connection and then reads the checkpoint, in that order, so no
// checkpoint committed in between is missed.
func (w *Waiter) listen(ctx context.Context) (*pgx.Conn, error) {
	cfg := w.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = WaiterApplicationName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("projection: waiter: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("projection: waiter: listen: %w", err)
	}
	cp, err := ReadCheckpoint(ctx, conn, w.projection)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("projection: waiter: %w", err)
	}
	w.advance(cp)
	return conn, nil
}

// listenLoop receives notifications until ctx is done, reconnecting when the connection drops.
func (w *Waiter) listenLoop(ctx context.Context, conn *pgx.Conn) {
	defer w.wg.Done()
	backoff := 50 * time.Millisecond
	for {
		if conn == nil {
			var err error
			if conn, err = w.listen(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				w.log.Warn("projection: waiter cannot listen; retrying", "error", err, "retry_in", backoff)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, waiterReconnectMax)
				continue
			}
			backoff = 50 * time.Millisecond
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			conn.Close(context.WithoutCancel(ctx))
			conn = nil
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("projection: waiter lost its LISTEN connection", "error", err)
			continue
		}
		name, seq, ok := strings.Cut(n.Payload, ":")
		if !ok || name != w.projection {
			continue
		}
		if cp, err := strconv.ParseUint(seq, 10, 64); err == nil {
			w.advance(cp)
		}
	}
}

// pollLoop reads the checkpoint every waiterPoll, in case a notification was missed.
func (w *Waiter) pollLoop(ctx context.Context) {
	defer w.wg.Done()
	tick := time.NewTicker(waiterPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if cp, err := ReadCheckpoint(ctx, w.pool, w.projection); err == nil {
			w.advance(cp)
		}
	}
}

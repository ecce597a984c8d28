package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/credentials"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/httpapi"
	"github.com/toffstech/customer-management/internal/idempotency"
	"github.com/toffstech/customer-management/internal/keyring"
	"github.com/toffstech/customer-management/internal/natsembed"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/query"
	"github.com/toffstech/customer-management/internal/session"
)

// stack is one complete deployment, in this process: an embedded NATS server in a temporary
// directory on a random port, a fresh Postgres database, the projector running in a goroutine, and
// the real HTTP api served by net/http on a loopback listener. The api and the projector each get
// their own NATS connection and Postgres pool, as the separate binaries would.
type stack struct {
	// syncAlways is the server's fsync setting, read back from the running server.
	syncAlways  bool
	natsVersion string

	// js and stream are the api's JetStream context and the event stream.
	js     jetstream.JetStream
	stream jetstream.Stream
	store  *eventstore.Store
	// keys is the api's key store of personal data.
	keys *keyring.Keyring
	// pool is the api's Postgres pool.
	pool *pgxpool.Pool
	// waiter is the api's read-your-writes waiter.
	waiter *projection.Waiter
	// api talks to the HTTP api over loopback.
	api *apiClient
	// natsURL and dbURL let programs run beside the stack (the exporter benchmark).
	natsURL, dbURL string

	// cleanups undo the start, in reverse order.
	cleanups []func(context.Context) error
}

// startStack starts every service of a stack, or undoes what it started and fails.
func startStack(ctx context.Context, adminURL string, syncAlways bool, log *slog.Logger) (_ *stack, err error) {
	s := &stack{}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.close(context.WithoutCancel(ctx)))
		}
	}()

	dir, err := os.MkdirTemp("", "cmbench-nats-")
	if err != nil {
		return nil, err
	}
	s.onClose(func(context.Context) error { return os.RemoveAll(dir) })
	srv, err := natsembed.Start(ctx, natsembed.Options{Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncAlways: syncAlways})
	if err != nil {
		return nil, err
	}
	s.onClose(func(context.Context) error { srv.Shutdown(); return nil })
	s.syncAlways = srv.JetStreamConfig().SyncAlways
	if s.syncAlways != syncAlways {
		return nil, fmt.Errorf("nats-server runs with SyncAlways=%t, want %t", s.syncAlways, syncAlways)
	}
	if v, err := srv.Varz(nil); err == nil {
		s.natsVersion = v.Version
	}

	s.natsURL = srv.ClientURL()
	apiNC, err := s.connectNATS(srv.ClientURL(), "cmbench-api")
	if err != nil {
		return nil, err
	}
	projNC, err := s.connectNATS(srv.ClientURL(), "cmbench-projector")
	if err != nil {
		return nil, err
	}
	if s.js, err = jetstream.New(apiNC); err != nil {
		return nil, err
	}
	if s.stream, err = eventstore.EnsureStream(ctx, s.js, 1); err != nil {
		return nil, err
	}
	idem, err := idempotency.Ensure(ctx, s.js, 1)
	if err != nil {
		return nil, err
	}
	if s.keys, err = keyring.Ensure(ctx, s.js); err != nil {
		return nil, err
	}
	s.onClose(func(context.Context) error { s.keys.Close(); return nil })

	db, err := createDatabase(ctx, adminURL)
	if err != nil {
		return nil, err
	}
	s.onClose(db.drop)
	s.dbURL = db.url
	apiPool, err := s.openPool(ctx, db.url)
	if err != nil {
		return nil, err
	}
	s.pool = apiPool
	projPool, err := s.openPool(ctx, db.url)
	if err != nil {
		return nil, err
	}
	if err := projection.Migrate(ctx, projPool); err != nil {
		return nil, err
	}
	if err := s.startProjector(ctx, projPool, projNC, log); err != nil {
		return nil, err
	}
	if s.waiter, err = projection.NewWaiter(ctx, apiPool, projection.CustomersProjection); err != nil {
		return nil, err
	}
	s.onClose(func(context.Context) error { s.waiter.Close(); return nil })

	metrics := httpapi.NewMetrics(func() float64 {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		info, err := s.stream.Info(ctx)
		if err != nil {
			return -1
		}
		return float64(info.State.LastSeq) - float64(s.waiter.Checkpoint())
	})
	s.store = eventstore.New(s.js, metrics)
	passwords, err := credentials.EnsurePasswords(ctx, s.js, 1)
	if err != nil {
		return nil, err
	}
	sessions, err := credentials.EnsureSessions(ctx, s.js, 1, 0, 0)
	if err != nil {
		return nil, err
	}
	throttle, err := credentials.EnsureThrottle(ctx, s.js, 1)
	if err != nil {
		return nil, err
	}
	customers := command.NewCustomers(s.store, command.RoleAuthorizer{})
	creds := &credentials.ForCommands{P: passwords}
	users := command.NewUsers(customers, creds, command.AuthPasswords{}, s.keys)
	sessionSvc := session.New(users, passwords, sessions, throttle, 0)
	creds.Changed = sessionSvc.UserChanged
	if err := sessionSvc.StartCache(ctx); err != nil {
		return nil, err
	}
	if _, err := users.EnsureFirstOperator(ctx, command.FirstOperator{Name: "Bench operator", Email: benchOperator, Password: benchPassword}); err != nil {
		return nil, err
	}
	handler := httpapi.NewServer(httpapi.Deps{
		Customers:    customers,
		Users:        users,
		Domains:      command.NewDomains(customers),
		Exports:      command.NewExports(customers),
		Sessions:     sessionSvc,
		List:         query.NewCustomers(apiPool),
		UserList:     query.NewUsers(apiPool),
		DomainList:   query.NewDomains(apiPool),
		ExportList:   query.NewExports(apiPool),
		Audit:        query.NewAudit(apiPool),
		VerifyChains: httpapi.ChainsOf(s.store),
		EventLog:     s.store,
		Waiter:       s.waiter,
		Idempotency:  idem,
		Metrics:      metrics,
		Logger:       log,
		Ready:        map[string]httpapi.Checker{"nats": httpapi.NATSReady(apiNC, s.js), "postgres": httpapi.PostgresReady(apiPool)},
	})
	if err := s.serve(ctx, handler); err != nil {
		return nil, err
	}
	if err := s.api.login(ctx, benchOperator, benchPassword); err != nil {
		return nil, err
	}
	return s, nil
}

// onClose registers an undo step of the start.
func (s *stack) onClose(f func(context.Context) error) { s.cleanups = append(s.cleanups, f) }

// close stops everything the stack started, newest first, and drops its database.
func (s *stack) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var errs []error
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		errs = append(errs, s.cleanups[i](ctx))
	}
	s.cleanups = nil
	return errors.Join(errs...)
}

// connectNATS opens a NATS connection that the stack closes.
func (s *stack) connectNATS(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name(name))
	if err != nil {
		return nil, fmt.Errorf("connect to nats at %s: %w", url, err)
	}
	s.onClose(func(context.Context) error { nc.Close(); return nil })
	return nc, nil
}

// openPool opens a Postgres pool with the default settings, as the binaries do, that the stack closes.
func (s *stack) openPool(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	s.onClose(func(context.Context) error { pool.Close(); return nil })
	return pool, pool.Ping(ctx)
}

// startProjector runs the projector with its default settings until the stack closes.
func (s *stack) startProjector(ctx context.Context, pool *pgxpool.Pool, nc *nats.Conn, log *slog.Logger) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	keys, err := keyring.Ensure(ctx, js)
	if err != nil {
		return err
	}
	s.onClose(func(context.Context) error { keys.Close(); return nil })
	p, err := projection.NewProjector(projection.Config{Pool: pool, NATS: nc, Keys: keys, Logger: log})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	s.onClose(func(ctx context.Context) error {
		stop()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			return errors.New("projector did not stop")
		}
	})
	return nil
}

// serve serves handler on a random loopback port, configured like cmd/api, and points the client
// at it.
func (s *stack) serve(ctx context.Context, handler http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	s.api = newAPIClient("http://" + ln.Addr().String())
	s.onClose(func(ctx context.Context) error {
		s.api.close()
		err := srv.Shutdown(ctx)
		if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	})
	return s.api.waitHealthy(ctx, 10*time.Second)
}

// lastSeq returns the stream's last sequence.
func (s *stack) lastSeq(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

// waitProjected waits until the projection's checkpoint has reached seq, polling with a deadline.
func (s *stack) waitProjected(ctx context.Context, seq uint64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.waiter.Wait(ctx, seq); err != nil {
		return fmt.Errorf("projection did not reach sequence %d within %s (at %d): %w", seq, timeout, s.waiter.Checkpoint(), err)
	}
	return nil
}

// eventSize returns the size of the last event stored on subject.
func (s *stack) eventSize(ctx context.Context, subject string) (int, error) {
	m, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		return 0, fmt.Errorf("last event of %s: %w", subject, err)
	}
	return len(m.Data), nil
}

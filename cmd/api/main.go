// Command api serves the Customer Management HTTP API. Without NATS_URL it embeds a NATS server
// with JetStream (data under NATS_DATA_DIR) so that `make run` needs nothing else.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/toffstech/customer-management/internal/auth"
	"github.com/toffstech/customer-management/internal/command"
	"github.com/toffstech/customer-management/internal/config"
	"github.com/toffstech/customer-management/internal/credentials"
	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/export/storage"
	"github.com/toffstech/customer-management/internal/httpapi"
	"github.com/toffstech/customer-management/internal/idempotency"
	"github.com/toffstech/customer-management/internal/keyring"
	"github.com/toffstech/customer-management/internal/natsembed"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/query"
	"github.com/toffstech/customer-management/internal/session"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

// run wires the api and serves until ctx is done.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	env := config.Getenv(getenv)
	log := config.Logger(env, "api")
	slog.SetDefault(log)
	replicas, err := env.Int("NATS_REPLICAS", 1)
	if err != nil {
		return err
	}
	wait, err := env.Duration("CONSISTENCY_WAIT", 5*time.Second)
	if err != nil {
		return err
	}
	addr := env.String("HTTP_ADDR", config.DefaultHTTPAddr)

	natsURL := env.String("NATS_URL", "")
	if natsURL == "" {
		srv, err := embedNATS(ctx, env, log)
		if err != nil {
			return err
		}
		defer srv.Shutdown()
		natsURL = srv.ClientURL()
		fmt.Fprintf(stdout, "Embedded NATS server (JetStream) at %s, data in %s\n", natsURL, env.String("NATS_DATA_DIR", config.DefaultDataDir))
	}
	nc, err := config.ConnectNATS(ctx, natsURL, "cm-api", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if _, err := eventstore.EnsureStream(ctx, js, replicas); err != nil {
		return err
	}
	idem, err := idempotency.Ensure(ctx, js, replicas)
	if err != nil {
		return err
	}

	pool, err := config.ConnectPostgres(ctx, env.String("DATABASE_URL", config.DefaultDatabaseURL), log)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := projection.Migrate(ctx, pool); err != nil {
		return err
	}
	waiter, err := projection.NewWaiter(ctx, pool, projection.CustomersProjection)
	if err != nil {
		return err
	}
	defer waiter.Close()

	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return err
	}
	metrics := httpapi.NewMetrics(func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		info, err := stream.Info(ctx)
		if err != nil {
			return -1
		}
		return float64(info.State.LastSeq) - float64(waiter.Checkpoint())
	})
	store := eventstore.New(js, metrics)
	passwords, err := credentials.EnsurePasswords(ctx, js, replicas)
	if err != nil {
		return err
	}
	idle, err := env.Duration("SESSION_IDLE_TIMEOUT", credentials.DefaultIdleTimeout)
	if err != nil {
		return err
	}
	absolute, err := env.Duration("SESSION_MAX_AGE", credentials.DefaultAbsoluteTimeout)
	if err != nil {
		return err
	}
	sessions, err := credentials.EnsureSessions(ctx, js, replicas, idle, absolute)
	if err != nil {
		return err
	}
	throttle, err := credentials.EnsureThrottle(ctx, js, replicas)
	if err != nil {
		return err
	}
	keys, err := keyring.Ensure(ctx, js, keyring.Replicas(replicas))
	if err != nil {
		return err
	}
	defer keys.Close()
	customers := command.NewCustomers(store, command.RoleAuthorizer{})
	creds := &credentials.ForCommands{P: passwords}
	users := command.NewUsers(customers, creds, command.AuthPasswords{}, keys)
	sessionSvc := session.New(users, passwords, sessions, throttle, 0)
	creds.Changed = sessionSvc.UserChanged
	if err := sessionSvc.StartCache(ctx); err != nil {
		return err
	}
	if err := firstOperator(ctx, env, users, stdout, log); err != nil {
		return err
	}
	storeCfg, err := storage.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	exportStore, err := storage.NewFromConfig(ctx, storeCfg, js)
	if err != nil {
		return err
	}
	handler := httpapi.NewServer(httpapi.Deps{
		Customers:       customers,
		Users:           users,
		Domains:         command.NewDomains(customers),
		Exports:         command.NewExports(customers),
		ExportStore:     exportStore,
		Sessions:        sessionSvc,
		List:            query.NewCustomers(pool),
		UserList:        query.NewUsers(pool),
		DomainList:      query.NewDomains(pool),
		ExportList:      query.NewExports(pool),
		Audit:           query.NewAudit(pool),
		VerifyChains:    httpapi.ChainsOf(store),
		EventLog:        store,
		SecureCookies:   env.String("COOKIE_SECURE", "false") == "true",
		Waiter:          waiter,
		Idempotency:     idem,
		Metrics:         metrics,
		ConsistencyWait: wait,
		Logger:          log,
		Ready:           map[string]httpapi.Checker{"nats": httpapi.NATSReady(nc, js), "postgres": httpapi.PostgresReady(pool)},
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "Customer Management API listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// firstOperator makes sure somebody can log in: when no operator was ever created, it creates the
// provider's customer and a Toffstech Support user from ADMIN_EMAIL and ADMIN_PASSWORD, or, when
// those are not set, with a generated strong password printed once on stdout.
func firstOperator(ctx context.Context, env config.Getenv, users *command.Users, stdout io.Writer, log *slog.Logger) error {
	email := env.String("ADMIN_EMAIL", "admin@toffstech.local")
	password := env.String("ADMIN_PASSWORD", "")
	generated := password == ""
	if generated {
		tok, _, err := auth.NewToken()
		if err != nil {
			return err
		}
		password = tok[:24]
	}
	created, err := users.EnsureFirstOperator(ctx, command.FirstOperator{Name: "Toffstech Support", Email: email, Password: password})
	if err != nil {
		return fmt.Errorf("first operator: %w", err)
	}
	if !created {
		return nil
	}
	log.Info("created the first operator", "email", email)
	if generated {
		fmt.Fprintf(stdout, "First operator created (shown once): email %s password %s\n", email, password)
	} else {
		fmt.Fprintf(stdout, "First operator created: email %s (password from ADMIN_PASSWORD)\n", email)
	}
	return nil
}

// embedNATS starts the in-process NATS server of a single-machine setup.
func embedNATS(ctx context.Context, env config.Getenv, log *slog.Logger) (*natsembed.Server, error) {
	host, portStr, err := net.SplitHostPort(env.String("NATS_EMBED_ADDR", config.DefaultEmbedAddr))
	if err != nil {
		return nil, fmt.Errorf("NATS_EMBED_ADDR: %w", err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("NATS_EMBED_ADDR: %w", err)
	}
	sync := env.String("NATS_SYNC", "always")
	if sync != "always" && sync != "default" {
		return nil, fmt.Errorf("NATS_SYNC=%q: want always or default", sync)
	}
	return natsembed.Start(ctx, natsembed.Options{
		Host: host, Port: port, StoreDir: env.String("NATS_DATA_DIR", config.DefaultDataDir), SyncAlways: sync == "always",
		Logf: func(format string, args ...any) { log.Debug(fmt.Sprintf(format, args...), "component", "nats-server") },
	})
}

package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// healthz answers while the process is up.
func (s *server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 when every backing service answers, 503 naming the ones that do not.
func (s *server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	// Checks run concurrently so that one slow service does not use up the others' time.
	var mu sync.Mutex
	var wg sync.WaitGroup
	checks := map[string]string{}
	ok := true
	for name, check := range s.Ready {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := check(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				checks[name] = "unavailable"
				ok = false
				s.Logger.Warn("readiness check failed", "check", name, "err", err)
				return
			}
			checks[name] = "ok"
		}()
	}
	wg.Wait()
	if !ok {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": checks})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "checks": checks})
}

// NATSReady is the readiness check of a NATS connection with JetStream.
func NATSReady(nc *nats.Conn, js jetstream.JetStream) Checker {
	return func(ctx context.Context) error {
		if !nc.IsConnected() {
			return nats.ErrDisconnected // answer at once rather than wait for a reconnect
		}
		_, err := js.AccountInfo(ctx)
		return err
	}
}

// PostgresReady is the readiness check of a Postgres pool.
func PostgresReady(pool *pgxpool.Pool) Checker {
	return func(ctx context.Context) error { return pool.Ping(ctx) }
}

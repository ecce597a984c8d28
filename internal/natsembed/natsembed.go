// Package natsembed starts an in-process NATS server with JetStream enabled.
//
// It is used by the api binary when no external NATS_URL is configured and by
// tests that need a real JetStream server without any external process.
package natsembed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout is how long Start waits for the server to accept connections.
const readyTimeout = 10 * time.Second

// Batch limits raised above the server defaults. The default of 50 open
// atomic batches per stream is easy to hit under concurrent commands.
const (
	maxBatchInflightPerStream = 500
	maxBatchTimeout           = 10 * time.Second
)

// Options configure an embedded NATS server.
type Options struct {
	// Host is the interface to listen on, for example "127.0.0.1".
	Host string
	// Port is the client port; -1 picks a random free port.
	Port int
	// StoreDir is the directory JetStream stores its data in.
	StoreDir string
	// SyncAlways makes the file store fsync after every write instead of
	// on the server's default 2-minute interval.
	SyncAlways bool
	// Logf receives server log lines; nil keeps the server quiet.
	Logf func(format string, args ...any)
}

// Server is a running embedded NATS server.
type Server struct {
	*server.Server

	once sync.Once
}

// Start starts a NATS server with JetStream as described by o and waits until
// it accepts client connections. It fails if ctx is done first or if the
// server is not ready within ten seconds.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.StoreDir == "" {
		return nil, errors.New("natsembed: StoreDir is required")
	}
	sopts := &server.Options{
		JetStream:  true,
		StoreDir:   o.StoreDir,
		Host:       o.Host,
		Port:       o.Port,
		NoSigs:     true,
		NoLog:      o.Logf == nil,
		SyncAlways: o.SyncAlways,
		JetStreamLimits: server.JSLimitOpts{
			MaxBatchInflightPerStream: maxBatchInflightPerStream,
			MaxBatchTimeout:           maxBatchTimeout,
		},
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("natsembed: new server: %w", err)
	}
	if o.Logf != nil {
		ns.SetLoggerV2(logger{logf: o.Logf}, false, false, false)
	}
	go ns.Start()

	s := &Server{Server: ns}
	ready := make(chan bool, 1)
	go func() { ready <- ns.ReadyForConnections(readyTimeout) }()
	select {
	case ok := <-ready:
		if !ok {
			s.Shutdown()
			return nil, fmt.Errorf("natsembed: server on %s:%d not ready within %s", o.Host, o.Port, readyTimeout)
		}
	case <-ctx.Done():
		s.Shutdown()
		return nil, fmt.Errorf("natsembed: start: %w", ctx.Err())
	}
	if !ns.JetStreamEnabled() {
		s.Shutdown()
		return nil, errors.New("natsembed: JetStream did not start")
	}
	return s, nil
}

// ClientURL returns the URL clients use to connect, for example
// "nats://127.0.0.1:4250".
func (s *Server) ClientURL() string {
	return s.Server.ClientURL()
}

// Shutdown stops the server and waits until it has fully shut down. It is
// safe to call more than once.
func (s *Server) Shutdown() {
	s.once.Do(func() {
		s.Server.Shutdown()
		s.Server.WaitForShutdown()
	})
}

// logger adapts a printf-style function to the server's logger interface.
type logger struct {
	logf func(format string, args ...any)
}

// Noticef logs a notice.
func (l logger) Noticef(format string, v ...any) { l.logf("[INF] "+format, v...) }

// Warnf logs a warning.
func (l logger) Warnf(format string, v ...any) { l.logf("[WRN] "+format, v...) }

// Fatalf logs a fatal error; the server decides what to do afterwards.
func (l logger) Fatalf(format string, v ...any) { l.logf("[FTL] "+format, v...) }

// Errorf logs an error.
func (l logger) Errorf(format string, v ...any) { l.logf("[ERR] "+format, v...) }

// Debugf logs a debug message.
func (l logger) Debugf(format string, v ...any) { l.logf("[DBG] "+format, v...) }

// Tracef logs a trace message.
func (l logger) Tracef(format string, v ...any) { l.logf("[TRC] "+format, v...) }

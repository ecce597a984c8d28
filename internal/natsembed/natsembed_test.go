package natsembed_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/natsembed"
)

func start(t *testing.T, dir string, sync bool) *natsembed.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := natsembed.Start(ctx, natsembed.Options{Host: "127.0.0.1", Port: -1, StoreDir: dir, SyncAlways: sync})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t *testing.T, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	return nc, js
}

func TestStartServesJetStream(t *testing.T) {
	s := start(t, t.TempDir(), false)
	if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") {
		t.Fatalf("ClientURL = %q, want nats://127.0.0.1:<port>", s.ClientURL())
	}
	_, js := connect(t, s.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := js.AccountInfo(ctx)
	if err != nil {
		t.Fatalf("AccountInfo: %v", err)
	}
	if info.Streams != 0 {
		t.Fatalf("fresh server has %d streams, want 0", info.Streams)
	}
	if s.JetStreamConfig() == nil {
		t.Fatal("JetStreamConfig is nil; JetStream is not enabled")
	}
}

func TestSyncAlwaysIsApplied(t *testing.T) {
	for _, want := range []bool{true, false} {
		t.Run(fmt.Sprint(want), func(t *testing.T) {
			s := start(t, t.TempDir(), want)
			if got := s.JetStreamConfig().SyncAlways; got != want {
				t.Fatalf("SyncAlways = %v, want %v", got, want)
			}
		})
	}
}

func TestBatchLimitsAreRaised(t *testing.T) {
	s := start(t, t.TempDir(), false)
	// The effective limits are reported by the server's /jsz monitoring data.
	jsz, err := s.Jsz(nil)
	if err != nil {
		t.Fatalf("Jsz: %v", err)
	}
	if got := jsz.Limits.MaxBatchInflightPerStream; got != 500 {
		t.Fatalf("MaxBatchInflightPerStream = %d, want 500", got)
	}
	if got := jsz.Limits.MaxBatchTimeout; got != 10*time.Second {
		t.Fatalf("MaxBatchTimeout = %s, want 10s", got)
	}
}

func TestRestartKeepsStreamAndMessages(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	s1 := start(t, dir, true)
	nc1, js1 := connect(t, s1.ClientURL())
	if _, err := js1.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	for i := range 3 {
		if _, err := js1.Publish(ctx, "t.a", []byte(fmt.Sprint(i)), jetstream.WithMsgID(fmt.Sprint("id-", i))); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
	nc1.Close()
	s1.Shutdown()
	s1.Shutdown() // Shutdown is idempotent.

	s2 := start(t, dir, true)
	_, js2 := connect(t, s2.ClientURL())
	st, err := js2.Stream(ctx, "T")
	if err != nil {
		t.Fatalf("Stream after restart: %v", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.State.Msgs != 3 || info.State.LastSeq != 3 {
		t.Fatalf("after restart: msgs=%d last=%d, want 3 and 3", info.State.Msgs, info.State.LastSeq)
	}
	msg, err := st.GetMsg(ctx, 2)
	if err != nil {
		t.Fatalf("GetMsg 2: %v", err)
	}
	if string(msg.Data) != "1" {
		t.Fatalf("message 2 = %q, want %q", msg.Data, "1")
	}
}

func TestShutdownConcurrentIsSafe(t *testing.T) {
	s := start(t, t.TempDir(), false)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(s.Shutdown)
	}
	wg.Wait()
	if s.Running() {
		t.Fatal("server still running after Shutdown")
	}
}

func TestStartFailsOnBusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := natsembed.Start(ctx, natsembed.Options{Host: "127.0.0.1", Port: port, StoreDir: t.TempDir()})
	if err == nil {
		s.Shutdown()
		t.Fatalf("Start on busy port %d succeeded, want an error", port)
	}
}

func TestStartRequiresStoreDir(t *testing.T) {
	if _, err := natsembed.Start(context.Background(), natsembed.Options{Host: "127.0.0.1", Port: -1}); err == nil {
		t.Fatal("Start without StoreDir succeeded, want an error")
	}
}

func TestLogfReceivesServerLog(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(format, args...))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	s, err := natsembed.Start(ctx, natsembed.Options{Host: "127.0.0.1", Port: -1, StoreDir: t.TempDir(), Logf: logf})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	s.Shutdown()
	mu.Lock()
	defer mu.Unlock()
	if len(lines) == 0 {
		t.Fatal("Logf received no server log lines")
	}
}

package storage

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/testenv"
)

// natsJS connects to a fresh in-process NATS server with JetStream.
func natsJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	return js
}

func TestNATSObjectStore(t *testing.T) {
	js := natsJS(t)
	runStoreSuite(t, storeFixture{
		newStore: func(t *testing.T) Store {
			s, err := NewNATSObjectStore(testCtx(t), js, NATSConfig{Bucket: "t_" + randHex(t, 6), MaxAge: time.Hour})
			if err != nil {
				t.Fatalf("NewNATSObjectStore: %v", err)
			}
			return s
		},
		// Every message left in the bucket's stream: chunks of an
		// unfinished object, or metadata.
		residue: func(t *testing.T, s Store) int {
			str, err := js.Stream(testCtx(t), "OBJ_"+s.(*NATSObjectStore).bucket)
			if err != nil {
				t.Fatalf("bucket stream: %v", err)
			}
			info, err := str.Info(testCtx(t))
			if err != nil {
				t.Fatalf("bucket stream info: %v", err)
			}
			return int(info.State.Msgs)
		},
	})
}

func TestNATSObjectStoreBucket(t *testing.T) {
	js := natsJS(t)
	ctx := testCtx(t)
	cfg := Config{NATS: NATSConfig{MaxAge: 48 * time.Hour}} // Kind "" is nats; Bucket defaults
	st, err := NewFromConfig(ctx, cfg, js)
	if err != nil {
		t.Fatalf("NewFromConfig: %v", err)
	}
	if _, ok := st.(*NATSObjectStore); !ok {
		t.Fatalf("NewFromConfig gave %T, want *NATSObjectStore", st)
	}
	if _, err := st.Put(ctx, "x.csv", strings.NewReader("a,b\r\n"), Meta{}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// Creating again is idempotent, keeps the objects and applies a new MaxAge.
	cfg.NATS.MaxAge = 72 * time.Hour
	if _, err := NewFromConfig(ctx, cfg, js); err != nil {
		t.Fatalf("NewFromConfig again: %v", err)
	}
	str, err := js.Stream(ctx, "OBJ_"+DefaultNATSBucket)
	if err != nil {
		t.Fatalf("stream of bucket %s: %v", DefaultNATSBucket, err)
	}
	info, err := str.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.MaxAge != 72*time.Hour || info.Config.Storage != jetstream.FileStorage {
		t.Fatalf("bucket stream MaxAge=%s Storage=%s, want 72h and file", info.Config.MaxAge, info.Config.Storage)
	}
	if n, _, _ := readAll(t, st, "x.csv"); n != 5 {
		t.Fatalf("object after re-creating the bucket has %d bytes, want 5", n)
	}
}

// Small reads from the source must still give full 128 KiB chunks.
func TestNATSObjectStoreFullChunks(t *testing.T) {
	js := natsJS(t)
	ctx := testCtx(t)
	s, err := NewNATSObjectStore(ctx, js, NATSConfig{Bucket: "chunks"})
	if err != nil {
		t.Fatal(err)
	}
	src := io.LimitReader(&smallReads{gen: newGen(mib+1, 1)}, mib+1)
	if _, err := s.Put(ctx, "c.csv", src, Meta{ContentType: "text/plain", Filename: "c.csv"}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	oi, err := s.obs.GetInfo(ctx, "c.csv")
	if err != nil {
		t.Fatal(err)
	}
	if oi.Chunks != 9 || oi.Size != mib+1 {
		t.Fatalf("object has %d chunks and %d bytes, want 9 chunks (8 full + 1 byte) and %d bytes", oi.Chunks, oi.Size, mib+1)
	}
	if oi.Headers.Get("Content-Type") != "text/plain" || oi.Metadata["filename"] != "c.csv" {
		t.Fatalf("object headers %v metadata %v, want the content type and filename", oi.Headers, oi.Metadata)
	}
}

func TestNATSObjectStoreNoPresign(t *testing.T) {
	s, err := NewNATSObjectStore(testCtx(t), natsJS(t), NATSConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := s.URL(testCtx(t), "x.csv", time.Minute, "x.csv"); u != "" || !errors.Is(err, ErrNoPresign) {
		t.Fatalf("URL = %q, %v; want ErrNoPresign", u, err)
	}
}

// NATS going away mid-Put fails the Put instead of hanging.
func TestNATSObjectStoreServerGone(t *testing.T) {
	srv := testenv.NATSServer(t, t.TempDir(), false)
	nc, err := nats.Connect(srv.ClientURL(), nats.MaxReconnects(0))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewNATSObjectStore(testCtx(t), js, NATSConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g := newGen(20*mib, 1)
	g.onRead = func(pos int64) {
		if pos >= 2*mib {
			srv.Shutdown() // idempotent
		}
	}
	start := time.Now()
	_, err = s.Put(ctx, "x.csv", g, Meta{})
	if err == nil {
		t.Fatal("Put succeeded although the server shut down mid-way")
	}
	if took := time.Since(start); took > 9*time.Second {
		t.Fatalf("Put took %s to fail", took)
	}
	t.Logf("Put with the server gone: %v (after %s)", err, time.Since(start).Round(time.Millisecond))
}

// smallReads hands out at most 1000 bytes per Read.
type smallReads struct{ gen *gen }

func (s *smallReads) Read(p []byte) (int, error) { return s.gen.Read(p[:min(len(p), 1000)]) }

package natsembed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// TestDeployConfig checks that the production configuration in deploy/
// parses and keeps the durability settings the event log depends on.
func TestDeployConfig(t *testing.T) {
	opts, err := server.ProcessConfigFile("../../deploy/nats-server.conf")
	if err != nil {
		t.Fatalf("ProcessConfigFile: %v", err)
	}
	if !opts.JetStream {
		t.Error("JetStream is not enabled")
	}
	if !opts.SyncAlways {
		t.Error("SyncAlways is false; the config must set sync_interval: always")
	}
	if opts.StoreDir != "/var/lib/cm-nats" {
		t.Errorf("StoreDir = %q, want /var/lib/cm-nats", opts.StoreDir)
	}
	if opts.Host != "0.0.0.0" || opts.Port != 4222 {
		t.Errorf("listen = %s:%d, want 0.0.0.0:4222", opts.Host, opts.Port)
	}
	if got := opts.JetStreamLimits.MaxBatchInflightPerStream; got < 500 {
		t.Errorf("MaxBatchInflightPerStream = %d, want at least 500", got)
	}
	if got := opts.JetStreamLimits.MaxBatchTimeout; got != 10*time.Second {
		t.Errorf("MaxBatchTimeout = %s, want 10s", got)
	}
	if got := opts.JetStreamLimits.Duplicates; got < 2*time.Minute {
		t.Errorf("duplicate window limit = %s, want at least the stream's 2m", got)
	}
}

// TestDeployConfigClusterBlock checks that the commented-out cluster block,
// once uncommented as the README tells operators to, is a valid three-route
// cluster configuration.
func TestDeployConfigClusterBlock(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/nats-server.conf")
	if err != nil {
		t.Fatalf("read config: %v", err)
	}
	var out []string
	inCluster := false
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "# server_name:"):
			line = strings.TrimPrefix(line, "# ")
		case strings.HasPrefix(line, "# cluster {"):
			inCluster = true
			line = strings.TrimPrefix(line, "# ")
		case inCluster && strings.HasPrefix(line, "# "):
			if strings.TrimSpace(line) == "# }" {
				inCluster = false
			}
			line = strings.TrimPrefix(line, "# ")
		}
		out = append(out, line)
	}
	conf := filepath.Join(t.TempDir(), "nats-server.conf")
	if err := os.WriteFile(conf, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("ProcessConfigFile with the cluster block enabled: %v", err)
	}
	if opts.ServerName == "" {
		t.Error("server_name is empty after uncommenting it")
	}
	if opts.Cluster.Name == "" || opts.Cluster.Port != 6222 {
		t.Errorf("cluster = %q on port %d, want a name and port 6222", opts.Cluster.Name, opts.Cluster.Port)
	}
	if len(opts.Routes) != 3 {
		t.Errorf("routes = %v, want 3", opts.Routes)
	}
}

// TestDeployStreamDefinition checks that deploy/stream-CM.json holds exactly
// the stream the design asks for and that a real server accepts it.
func TestDeployStreamDefinition(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/stream-CM.json")
	if err != nil {
		t.Fatalf("read stream definition: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var cfg jetstream.StreamConfig
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode stream definition: %v", err)
	}
	if cfg.Name != "CM" {
		t.Errorf("name = %q, want CM", cfg.Name)
	}
	if len(cfg.Subjects) != 1 || cfg.Subjects[0] != "cm.>" {
		t.Errorf("subjects = %v, want [cm.>]", cfg.Subjects)
	}
	if cfg.Storage != jetstream.FileStorage || cfg.Retention != jetstream.LimitsPolicy {
		t.Errorf("storage/retention = %v/%v, want file/limits", cfg.Storage, cfg.Retention)
	}
	if !cfg.DenyDelete || !cfg.DenyPurge {
		t.Error("the event log must deny delete and purge")
	}
	if !cfg.AllowAtomicPublish || !cfg.AllowDirect {
		t.Error("allow_atomic and allow_direct must be true")
	}
	if cfg.Duplicates != 2*time.Minute {
		t.Errorf("duplicate_window = %s, want 2m", cfg.Duplicates)
	}
	if cfg.Replicas != 3 {
		t.Errorf("num_replicas = %d, want 3 for production", cfg.Replicas)
	}

	// A single embedded node cannot host R3; the binaries use R1 there.
	cfg.Replicas = 1
	s := start(t, t.TempDir(), false)
	_, js := connect(t, s.ClientURL())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.CreateStream(ctx, cfg)
	if err != nil {
		t.Fatalf("CreateStream from deploy/stream-CM.json: %v", err)
	}
	got := st.CachedInfo().Config
	if !got.DenyDelete || !got.DenyPurge || !got.AllowAtomicPublish || got.Duplicates != 2*time.Minute {
		t.Errorf("server stored %+v, want the deploy settings", got)
	}
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
)

// machine holds the facts about where the benchmark ran.
type machine struct {
	cpus, gomaxprocs int
	cpuModel         string
	goVersion        string
	natsVersion      string
	postgres         string
}

// readMachine reads the machine facts; the nats-server version is filled in by the first stack.
func readMachine(ctx context.Context, adminURL string) (machine, error) {
	m := machine{
		cpus:       runtime.NumCPU(),
		gomaxprocs: runtime.GOMAXPROCS(0),
		cpuModel:   cpuModel(),
		goVersion:  runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return m, fmt.Errorf("postgres is not reachable (set BENCH_DATABASE_URL): %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&m.postgres); err != nil {
		return m, fmt.Errorf("postgres version: %w", err)
	}
	return m, nil
}

// cpuModel returns the CPU model name from /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/toffstech/customer-management/internal/projection/projectiontest"
)

// exportResult is one export size measured end to end.
type exportResult struct {
	domains int
	took    time.Duration
	rows    int
	bytes   int64
	// peakRSS is the exporter process's VmHWM.
	peakRSS int64
	// flushed is how many buffers Postgres wrote out (checkpointer, background writer, backends)
	// while the export ran: other work competing for the disk.
	flushed int64
}

// benchExports loads customers with n domains for each size and measures an export of each from
// request to succeeded, with a fresh exporter process per size whose peak RSS is read from /proc.
func benchExports(ctx context.Context, s *stack, sizes []int, checkpoint bool, progress func(string, ...any)) ([]exportResult, error) {
	dir, err := os.MkdirTemp("", "cmbench-exporter-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "exporter")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/exporter").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build exporter: %v\n%s", err, out)
	}
	var res []exportResult
	for _, n := range sizes {
		cust, err := s.api.createCustomer(ctx, fmt.Sprintf("Export bench %d", n), nextAddress())
		if err != nil {
			return nil, err
		}
		progress("exports: loading %d domains", n)
		if err := projectiontest.AppendDomains(ctx, s.store, cust, n); err != nil {
			return nil, err
		}
		last, err := s.lastSeq(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.waitProjected(ctx, last, 40*time.Minute); err != nil {
			return nil, err
		}
		// The load wrote a million rows or so (domains and their audit rows) in a few minutes,
		// which a real database accumulates over months: vacuum and analyze them now, unmeasured,
		// as autovacuum would soon, and write the load's dirty pages out with a checkpoint, so that
		// neither shares the two cores and the disk with the export being measured. The report
		// shows how many buffers Postgres still wrote while the export ran.
		if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE domains_v1, audit_v1"); err != nil {
			return nil, err
		}
		if checkpoint {
			if _, err := s.pool.Exec(ctx, "CHECKPOINT"); err != nil {
				return nil, fmt.Errorf("checkpoint before the export (the benchmark's Postgres role must be a superuser or have pg_checkpoint): %w", err)
			}
		}
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = append(os.Environ(), "NATS_URL="+s.natsURL, "DATABASE_URL="+s.dbURL, "METRICS_ADDR=off", "LOG_LEVEL=error", "EXPORT_SWEEP_INTERVAL=0")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		before, err := buffersWritten(ctx, s)
		if err != nil {
			return nil, err
		}
		r, err := exportOnce(ctx, s, cust, n, cmd.Process.Pid, progress)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if err != nil {
			return nil, err
		}
		after, err := buffersWritten(ctx, s)
		if err != nil {
			return nil, err
		}
		r.flushed = after - before
		res = append(res, r)
	}
	return res, nil
}

// exportOnce requests an export of customer cust and polls it to succeeded, sampling the
// exporter's peak RSS at the end.
func exportOnce(ctx context.Context, s *stack, cust string, n, pid int, progress func(string, ...any)) (exportResult, error) {
	progress("exports: exporting %d domains", n)
	start := time.Now()
	resp, body, err := s.api.do(ctx, http.MethodPost, "/v1/customers/"+cust+"/exports", "", nil, http.StatusAccepted)
	if err != nil {
		return exportResult{}, err
	}
	_ = resp
	var x struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Rows   int    `json:"rows"`
		Bytes  int64  `json:"bytes"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return exportResult{}, err
	}
	err = poll(ctx, 30*time.Minute, 5*time.Millisecond, func() (bool, error) {
		b, err := s.api.get(ctx, "/v1/exports/"+x.ID)
		if err != nil {
			return false, err
		}
		if err := json.Unmarshal(b, &x); err != nil {
			return false, err
		}
		if x.Status == "failed" {
			return false, fmt.Errorf("export of %d domains failed: %s", n, x.Reason)
		}
		return x.Status == "succeeded", nil
	})
	took := time.Since(start)
	if err != nil {
		return exportResult{}, err
	}
	return exportResult{domains: n, took: took, rows: x.Rows, bytes: x.Bytes, peakRSS: peakRSS(pid)}, nil
}

// buffersWritten is the number of buffers Postgres has written out since its statistics reset.
func buffersWritten(ctx context.Context, s *stack) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT buffers_checkpoint + buffers_clean + buffers_backend FROM pg_stat_bgwriter`).Scan(&n)
	return n, err
}

// peakRSS reads a process's VmHWM (peak resident set) in bytes, 0 when unknown.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// writeExports prints the export benchmark.
func (r *report) writeExports(w io.Writer) {
	if len(r.exports) == 0 {
		return
	}
	fmt.Fprintln(w, "\nExports: request → succeeded, fresh exporter process per size, NATS object store, fsync 2m")
	t := newTable(">domains", ">seconds", ">rows/s", ">MiB", ">peak RSS MiB", ">pg buffers written meanwhile")
	for _, e := range r.exports {
		t.add(e.domains, fmt.Sprintf("%.2f", e.took.Seconds()), fmt.Sprintf("%.0f", float64(e.rows)/e.took.Seconds()),
			fmt.Sprintf("%.1f", float64(e.bytes)/(1<<20)), fmt.Sprintf("%.1f", float64(e.peakRSS)/(1<<20)), e.flushed)
	}
	t.write(w, "  ")
	if r.opts.noCheckpoint {
		fmt.Fprintln(w, "  before each export (unmeasured): VACUUM ANALYZE of the loaded tables (-no-checkpoint: no CHECKPOINT)")
	} else {
		fmt.Fprintln(w, "  before each export (unmeasured): VACUUM ANALYZE of the loaded tables and a CHECKPOINT")
	}
}

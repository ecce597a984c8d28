package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/toffstech/customer-management/internal/events"
	"github.com/toffstech/customer-management/internal/eventstore"
	"github.com/toffstech/customer-management/internal/natsembed"
	"github.com/toffstech/customer-management/internal/projection"
	"github.com/toffstech/customer-management/internal/projection/projectiontest"
	"github.com/toffstech/customer-management/internal/testenv"
)

// buildBinary builds this command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "projector")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is one run of the projector binary.
type process struct {
	cmd *exec.Cmd
	// done is closed when the process has exited; err is then its exit error.
	done chan struct{}
	err  error
}

// launcher starts the binary with a fixed environment, its output appended to one log file.
type launcher struct {
	t   *testing.T
	bin string
	env []string
	log *os.File
}

func (l *launcher) start() *process {
	l.t.Helper()
	cmd := exec.Command(l.bin)
	cmd.Env = append(os.Environ(), l.env...)
	cmd.Stdout, cmd.Stderr = l.log, l.log
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	l.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// dumpLog shows the end of the projectors' output when the test fails, and where each run
// started from with -v.
func (l *launcher) dumpLog() {
	b, _ := os.ReadFile(l.log.Name())
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if l.t.Failed() {
		l.t.Logf("projector output (last 40 lines):\n%s", strings.Join(lines[max(0, len(lines)-400):], "\n"))
		return
	}
	if testing.Verbose() {
		for _, line := range lines {
			if strings.Contains(line, "consuming") {
				l.t.Log(line)
			}
		}
	}
}

func TestProjectorBinarySurvivesKillsAndMatchesTheLog(t *testing.T) {
	bin := buildBinary(t)
	ctx := t.Context()

	// NATS comes up after the first projector starts, on an address chosen beforehand.
	natsAddr := testenv.FreeAddr(t)
	host, port, _ := net.SplitHostPort(natsAddr)
	portN, _ := strconv.Atoi(port)
	dsn := testenv.Postgres(t)
	metricsAddr := testenv.FreeAddr(t)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "projector.log"))
	if err != nil {
		t.Fatal(err)
	}
	l := &launcher{t: t, bin: bin, log: logFile, env: []string{
		"NATS_URL=nats://" + natsAddr,
		"DATABASE_URL=" + dsn,
		"METRICS_ADDR=" + metricsAddr,
		"LOG_LEVEL=info",
	}}
	t.Cleanup(l.dumpLog)
	proc := l.start()

	srv, err := natsembed.Start(ctx, natsembed.Options{Host: host, Port: portN, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.EnsureStream(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	store := eventstore.New(js, nil)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	checkpoint := func() uint64 {
		cp, err := projection.ReadCheckpoint(ctx, pool, projection.CustomersProjection)
		if err != nil {
			return 0 // the projector has not migrated yet
		}
		return cp
	}

	// Append a few hundred commands while, from another goroutine's point of view, the projector
	// is killed with SIGKILL at random moments and started again each time.
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d (set it here to replay a failure)", seed)
	killRNG := rand.New(rand.NewPCG(seed, 1))
	w := projectiontest.NewWriter(store)
	stop := make(chan struct{})
	written := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(seed, 2))
		for n := 0; ; n++ {
			select {
			case <-stop:
				if n >= 300 {
					written <- nil
					return
				}
			default:
			}
			step := w.Step
			switch n % 4 {
			case 2:
				step = w.UserStep // a quarter of the commands are about users
			case 3:
				step = w.DomainStep // and a quarter about domains
			}
			if _, err := step(ctx, rng); err != nil {
				written <- err
				return
			}
		}
	}()
	const kills = 6
	for round := range kills {
		// Wait for the log to grow, and often for the projector to get into the new events, so
		// that the kill lands while it is applying them.
		grown := lastSeq(t, js) + 30 + killRNG.Uint64N(120)
		testenv.WaitFor(t, 20*time.Second, func() bool { return lastSeq(t, js) >= grown }, "round %d: log grows to %d", round, grown)
		if cp := checkpoint(); killRNG.IntN(3) > 0 && cp < grown {
			target := cp + 1 + killRNG.Uint64N(grown-cp)
			testenv.WaitFor(t, 20*time.Second, func() bool { return checkpoint() >= target }, "round %d: progress to %d", round, target)
		}
		proc.kill(t)
		proc = l.start()
	}
	close(stop)
	if err := <-written; err != nil {
		t.Fatal(err)
	}

	last := lastSeq(t, js)
	testenv.WaitFor(t, 30*time.Second, func() bool { return checkpoint() >= last }, "checkpoint reaches the stream's last sequence %d", last)

	ids, err := projectiontest.CustomerIDs(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	want, err := projectiontest.Expected(ctx, store, ids)
	if err != nil {
		t.Fatal(err)
	}
	got, err := projectiontest.Actual(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if d := projectiontest.Diff(want, got); d != "" {
		t.Fatalf("customers view differs from the fold of the log (%d rows want, %d got):\n%s", len(want), len(got), d)
	}
	uids, err := projectiontest.UserIDs(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	wantUsers, err := projectiontest.ExpectedUsers(ctx, store, nil, uids, want)
	if err != nil {
		t.Fatal(err)
	}
	gotUsers, err := projectiontest.ActualUsers(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if d := projectiontest.DiffUsers(wantUsers, gotUsers); d != "" {
		t.Fatalf("users view differs from the fold of the log (%d rows want, %d got):\n%s", len(wantUsers), len(gotUsers), d)
	}
	if len(wantUsers) == 0 {
		t.Fatal("the run created no live user to compare")
	}
	dids, err := projectiontest.DomainIDs(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	wantDomains, err := projectiontest.ExpectedDomains(ctx, store, dids, want)
	if err != nil {
		t.Fatal(err)
	}
	gotDomains, err := projectiontest.ActualDomains(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if d := projectiontest.DiffDomains(wantDomains, gotDomains); d != "" {
		t.Fatalf("domains view differs from the fold of the log (%d rows want, %d got):\n%s", len(wantDomains), len(gotDomains), d)
	}
	if len(wantDomains) == 0 {
		t.Fatal("the run created no live domain to compare")
	}
	var parked int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM projection_parked").Scan(&parked); err != nil || parked != 0 {
		t.Errorf("parked events: %d, %v", parked, err)
	}
	t.Logf("%d stream events, %d customers, %d live; %d kills", last, len(ids), len(want), kills)

	// The metrics endpoint reports the checkpoint; SIGTERM stops the projector cleanly and
	// removes its consumer.
	testenv.WaitFor(t, 10*time.Second, func() bool {
		return metric(metricsAddr, `cm_projection_checkpoint{projection="customers"}`) == strconv.FormatUint(last, 10)
	}, "/metrics shows checkpoint %d", last)
	if resp, err := http.Get("http://" + metricsAddr + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	before := consumers(t, js)
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proc.done:
		if proc.err != nil {
			t.Errorf("exit after SIGTERM: %v", proc.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the projector did not stop within 15s of SIGTERM")
	}
	if after := consumers(t, js); len(after) != len(before)-1 {
		t.Errorf("consumers before SIGTERM: %v\nafter: %v\nthe stopped projector's consumer should be gone", before, after)
	}
}

func TestRunFailsOnBadConfiguration(t *testing.T) {
	env := map[string]string{envNATSReplicas: "zero", envLogLevel: "loud"}
	err := run(context.Background(), func(k string) string { return env[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), envNATSReplicas) || !strings.Contains(err.Error(), envLogLevel) {
		t.Fatalf("run = %v, want both problems named", err)
	}
	// Asked to stop while NATS is unreachable: a clean exit.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env = map[string]string{envNATSURL: "nats://" + testenv.FreeAddr(t), envMetricsAddr: metricsOff}
	if err := run(ctx, func(k string) string { return env[k] }, io.Discard); err != nil {
		t.Fatalf("run with a cancelled context = %v", err)
	}
}

func lastSeq(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	s, err := js.Stream(t.Context(), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo().State.LastSeq
}

// consumers lists the names of the stream's consumers.
func consumers(t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	s, err := js.Stream(t.Context(), events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	lister := s.ConsumerNames(t.Context())
	for n := range lister.Name() {
		names = append(names, n)
	}
	if err := lister.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

// metric returns the value of one series on a /metrics page, or "" when it cannot be read.
func metric(addr, series string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return fmt.Sprintf("%.0f", f)
			}
		}
	}
	return ""
}

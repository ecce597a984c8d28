package testenv

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// VersityGW is a running versitygw S3 server with the posix backend.
type VersityGW struct {
	Endpoint  string // 127.0.0.1:port
	AccessKey string
	SecretKey string
	Root      string // posix backend directory; buckets are its subdirectories
}

// versityGWBinary finds the versitygw binary: $VERSITYGW, else
// bin/tools/versitygw in the repository root. It fails the test when the
// binary is missing.
func versityGWBinary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("VERSITYGW")
	if bin == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatalf("versitygw: %v; set VERSITYGW to the versitygw binary", err)
		}
		bin = filepath.Join(root, "bin", "tools", "versitygw")
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("versitygw S3 server not found at %s (%v).\n"+
			"The S3 storage tests run against a real versitygw; build it with:\n"+
			"    bash scripts/ensure-versitygw.sh\n"+
			"(make test does this), or set VERSITYGW to an existing binary.", bin, err)
	}
	return bin
}

// repoRoot walks up from the working directory to the directory holding
// scripts/ensure-versitygw.sh.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "scripts", "ensure-versitygw.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (with scripts/ensure-versitygw.sh) not found above the working directory")
		}
		dir = parent
	}
}

// StartVersityGW starts versitygw on a free 127.0.0.1 port with random
// credentials and the posix backend in a temporary directory, waits until
// it accepts connections and stops it when the test ends.
func StartVersityGW(t testing.TB) *VersityGW {
	t.Helper()
	bin := versityGWBinary(t)
	g := &VersityGW{AccessKey: "access" + randomHex(t, 6), SecretKey: "secret" + randomHex(t, 12), Root: t.TempDir()}
	// Another process can take the free port before versitygw binds it;
	// then versitygw exits and another port is tried.
	for attempt := 1; ; attempt++ {
		g.Endpoint = FreeAddr(t)
		out := &Buffer{}
		cmd := exec.Command(bin, "--port", g.Endpoint, "--access", g.AccessKey, "--secret", g.SecretKey,
			"--quiet", "posix", g.Root)
		cmd.Env = versityGWEnv()
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("versitygw: start %s: %v", bin, err)
		}
		exited := make(chan struct{})
		go func() {
			_ = cmd.Wait()
			close(exited)
		}()
		isDone := func() bool {
			select {
			case <-exited:
				return true
			default:
				return false
			}
		}
		WaitFor(t, 20*time.Second, func() bool {
			if isDone() {
				return true
			}
			c, err := net.DialTimeout("tcp", g.Endpoint, time.Second)
			if err != nil {
				return false
			}
			c.Close()
			return true
		}, "versitygw accepting connections on %s", g.Endpoint)
		if isDone() {
			if attempt < 3 && strings.Contains(out.String(), "address already in use") {
				continue
			}
			t.Fatalf("versitygw exited before accepting connections on %s: %s\noutput:\n%s", g.Endpoint, cmd.ProcessState, out.String())
		}
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
				t.Errorf("versitygw on %s did not stop on SIGTERM within 10s; killed", g.Endpoint)
			}
			if t.Failed() {
				t.Logf("versitygw output:\n%s", out.String())
			}
		})
		return g
	}
}

// versityGWEnv is this process's environment without the variables that
// configure versitygw (VGW_*, ROOT_ACCESS_KEY*, ROOT_SECRET_*), so only the
// flags do.
func versityGWEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "VGW_") || strings.HasPrefix(kv, "ROOT_ACCESS_KEY") || strings.HasPrefix(kv, "ROOT_SECRET_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

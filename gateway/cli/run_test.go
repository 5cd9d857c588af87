package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
)

func freeTCP(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of Run's logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunSIGHUPAndStop runs the gateway, applies a changed file on SIGHUP
// and through "fieldgate reload", shows it in "fieldgate status", and stops
// cleanly (exit status 0, final counters printed) when its context ends, as
// on SIGTERM.
func TestRunSIGHUPAndStop(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gw.yaml")
	admin := fmt.Sprintf("127.0.0.1:%d", freeTCP(t))
	p1, p2 := freeTCP(t), freeTCP(t)
	base := fmt.Sprintf("admin: {listen: %q}\nendpoints:\n  a: {kind: tcp, listen: \"127.0.0.1:%d\"}\n  b: {kind: tcp, listen: \"127.0.0.1:%d\"}\n  l: {kind: log, path: %s/x.log}\nroutes:\n  - {name: one, from: [a], to: [b]}\n", admin, p1, p2, dir)
	os.WriteFile(file, []byte(base), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error)
	go func() { done <- Run(ctx, []string{"-c", file}, &out, &errb) }()
	routes := func() []string {
		resp, err := http.Get("http://" + admin + "/status")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var st gateway.Status
		json.NewDecoder(resp.Body).Decode(&st)
		var names []string
		for _, r := range st.Routes {
			names = append(names, r.Name)
		}
		return names
	}
	waitRoutes := func(want string) {
		t.Helper()
		for range 200 {
			if strings.Join(routes(), ",") == want {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("routes %v, want %s; log:\n%s", routes(), want, errb.String())
	}
	waitRoutes("one")
	os.WriteFile(file, []byte(base+"  - {name: two, from: [a], to: [l]}\n"), 0o644)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitRoutes("one,two")
	os.WriteFile(file, []byte(base+"  - {name: three, from: [b], to: [l]}\n"), 0o644)
	var rout, rerr bytes.Buffer
	if err := Reload(context.Background(), []string{"-a", admin}, &rout, &rerr); err != nil {
		t.Fatalf("reload: %v", err)
	}
	waitRoutes("one,three")
	// A broken file is refused; the running configuration stays.
	os.WriteFile(file, []byte("endpoints: [\n"), 0o644)
	if err := Reload(context.Background(), []string{"-a", admin}, &rout, &rerr); err == nil {
		t.Fatal("broken configuration accepted")
	}
	waitRoutes("one,three")
	var sout bytes.Buffer
	if err := Status(context.Background(), []string{"-a", admin}, &sout, &rerr); err != nil || !strings.Contains(sout.String(), "three") {
		t.Fatalf("status: %v\n%s", err, sout.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	if !strings.Contains(out.String(), "final counters:") {
		t.Fatalf("no final counters in %q", out.String())
	}
}

// TestReloadMovesAdminListener: a reload that changes admin.listen moves the
// listener (the old address stops answering), one whose new address cannot
// be bound is refused as a whole (routes unchanged, listener stays), and the
// same port on another host address is rebound.
func TestReloadMovesAdminListener(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gw.yaml")
	a1 := fmt.Sprintf("127.0.0.1:%d", freeTCP(t))
	a2 := fmt.Sprintf("127.0.0.1:%d", freeTCP(t))
	src := freeTCP(t)
	cfg := func(admin, route string) []byte {
		return []byte(fmt.Sprintf("admin: {listen: %q}\nendpoints:\n  a: {kind: tcp, listen: \"127.0.0.1:%d\"}\n  l: {kind: log, path: %s/x.log}\nroutes:\n  - {name: %s, from: [a], to: [l]}\n", admin, src, dir, route))
	}
	os.WriteFile(file, cfg(a1, "one"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan error)
	go func() { done <- Run(ctx, []string{"-c", file}, &out, &errb) }()
	routeAt := func(admin string) string {
		resp, err := http.Get("http://" + admin + "/status")
		if err != nil {
			return "unreachable"
		}
		defer resp.Body.Close()
		var st gateway.Status
		json.NewDecoder(resp.Body).Decode(&st)
		if len(st.Routes) != 1 {
			return "?"
		}
		return st.Routes[0].Name
	}
	waitAt := func(admin, want string) {
		t.Helper()
		for range 250 {
			if routeAt(admin) == want {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s: %s, want %s; log:\n%s", admin, routeAt(admin), want, errb.String())
	}
	waitAt(a1, "one")
	var rout, rerr bytes.Buffer
	os.WriteFile(file, cfg(a2, "two"), 0o644)
	if err := Reload(context.Background(), []string{"-a", a1}, &rout, &rerr); err != nil {
		t.Fatalf("reload: %v %s", err, rerr.String())
	}
	waitAt(a2, "two")
	waitAt(a1, "unreachable")
	// An address that cannot be bound: refused, nothing applied.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	os.WriteFile(file, cfg(busy.Addr().String(), "three"), 0o644)
	if err := Reload(context.Background(), []string{"-a", a2}, &rout, &rerr); err == nil || !strings.Contains(err.Error(), "admin.listen") {
		t.Fatalf("reload onto a busy port: %v", err)
	}
	waitAt(a2, "two")
	// Same port, other host address (0.0.0.0 conflicts with 127.0.0.1).
	_, port, _ := net.SplitHostPort(a2)
	os.WriteFile(file, cfg("0.0.0.0:"+port, "four"), 0o644)
	if err := Reload(context.Background(), []string{"-a", a2}, &rout, &rerr); err != nil {
		t.Fatalf("reload to 0.0.0.0:%s: %v", port, err)
	}
	waitAt(a2, "four")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
}

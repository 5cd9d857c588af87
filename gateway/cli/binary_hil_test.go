//go:build hil

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/endpoint"
)

// TestHILRunMissingInterface: a can endpoint on an interface that does not
// exist stops run with a typed error that says so in words.
func TestHILRunMissingInterface(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gw.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(`admin: {listen: ""}
endpoints:
  bench: {kind: can, interface: nosuch9}
  l: {kind: log, path: %s/x.log}
routes:
  - {from: [bench], to: [l]}
`, dir)), 0o644)
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"-c", file}, &out, &errb)
	var me *endpoint.MissingInterfaceError
	if !errors.As(err, &me) || me.Interface != "nosuch9" || me.Kind != "can" {
		t.Fatalf("run: %v (%T), want a MissingInterfaceError for nosuch9", err, err)
	}
	want := "endpoint bench (can, " + file + ":3:3): interface nosuch9 does not exist"
	if msg := err.Error(); !strings.HasPrefix(msg, want) || strings.Contains(msg, "ip+net") || strings.Contains(msg, "no such network interface") {
		t.Fatalf("message %q\nwant %q, without Go internals", msg, want)
	}
}

// TestHILStatusOneShotRates: a one-shot status of a gateway that forwards
// cangen's frames shows their rate, not "-".
func TestHILStatusOneShotRates(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "gw.yaml")
	admin := fmt.Sprintf("127.0.0.1:%d", freeTCP(t))
	os.WriteFile(file, []byte(fmt.Sprintf(`admin: {listen: %q}
endpoints:
  bench: {kind: can, interface: vcan0}
  l: {kind: log, path: %s/x.log}
routes:
  - {name: r, from: [bench], to: [l]}
`, admin, dir)), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var rout, rerr syncBuffer
	go func() { done <- Run(ctx, []string{"-c", file}, &rout, &rerr) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(rerr.String(), "gateway running") {
		if time.Now().After(deadline) {
			t.Fatalf("gateway did not start:\n%s", rerr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	gen := exec.Command("cangen", "-g", "2", "-I", "123", "-L", "8", "vcan0")
	if err := gen.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		gen.Process.Kill()
		gen.Wait()
	}()
	time.Sleep(300 * time.Millisecond)
	var out, errb bytes.Buffer
	if err := Status(context.Background(), []string{"-a", admin, "-s", "500ms"}, &out, &errb); err != nil {
		t.Fatalf("status: %v %s", err, errb.String())
	}
	in, err := strconv.Atoi(column(t, out.String(), "bench", "IN/s"))
	if err != nil || in < 50 || in > 1000 {
		t.Fatalf("bench IN/s = %d (%v), want cangen -g 2's rate (up to 500/s)\n%s", in, err, out.String())
	}
	if r, err := strconv.Atoi(column(t, out.String(), "r", "OUT/s")); err != nil || r < 50 {
		t.Fatalf("route OUT/s = %d (%v)\n%s", r, err, out.String())
	}
	t.Logf("one-shot status: %d frames/s in from cangen -g 2", in)
}

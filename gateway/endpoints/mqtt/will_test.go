//go:build !hil

package mqtt_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// TestHelperGateway is not a test: run by TestWillOnKill as a child
// process, it runs a gateway with the configuration in
// MQTT_HELPER_CONFIG until it is killed.
func TestHelperGateway(t *testing.T) {
	y := os.Getenv("MQTT_HELPER_CONFIG")
	if y == "" {
		return
	}
	cfg, err := config.Parse("helper.yaml", []byte(y))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	g := gateway.New(nil)
	if err := g.Start(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	select {}
}

// TestWillOnKill: a gateway process announces itself online (retained)
// on <prefix>/<gateway>/status; killed with SIGKILL, it cannot say
// goodbye, and the broker publishes its will: offline, retained, seen by
// mosquitto_sub and kept for a subscriber that comes later. A gateway
// shut down cleanly publishes offline itself.
func TestWillOnKill(t *testing.T) {
	b := startMosquitto(t)
	s := startSub(t, b, "-v", "-q", "1", "-t", "fieldgate/gwk/status", "-t", "ready/will")
	waitSubReady(t, b, s, "will")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperGateway$")
	cmd.Env = append(os.Environ(), "MQTT_HELPER_CONFIG="+fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  src: {kind: test-source}
  pub: {kind: mqtt, url: %q, gateway: gwk, keepalive: 60s}
routes:
  - {from: [src], to: [pub]}
`, b.url()))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	status := func() []string { return linesUnder(s, "fieldgate/gwk/status") }
	waitFor(t, "online", 30*time.Second, func() bool {
		select {
		case <-done:
			t.Fatal("gateway process ended")
		default:
		}
		return len(status()) >= 1
	})
	if st := status(); len(st) != 1 || st[0] != "fieldgate/gwk/status online" {
		t.Fatalf("status %q, want online", st)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	// The keep-alive is 60 s: the broker learns of the death from the
	// closed connection, not from a timeout.
	waitFor(t, "will", 30*time.Second, func() bool { return len(status()) >= 2 })
	if st := status(); len(st) != 2 || st[1] != "fieldgate/gwk/status offline" {
		t.Fatalf("status %q, want online then offline", st)
	}
	// Retained: a later subscriber gets offline at once.
	out, err := exec.Command("mosquitto_sub", "-h", "127.0.0.1", "-p", fmt.Sprint(b.port), "-t", "fieldgate/gwk/status", "-C", "1", "-W", "20").Output()
	if err != nil || strings.TrimSpace(string(out)) != "offline" {
		t.Fatalf("retained status %q (%v), want offline", out, err)
	}

	// A clean shutdown says offline itself.
	g := gateway.New(nil)
	cfg, err := config.Parse("t.yaml", []byte(fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  src: {kind: test-source}
  pub: {kind: mqtt, url: %q, gateway: gwk}
routes:
  - {from: [src], to: [pub]}
`, b.url())))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := g.Start(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "online again", 30*time.Second, func() bool { return len(status()) >= 3 })
	g.Shutdown()
	waitFor(t, "offline", 30*time.Second, func() bool { return len(status()) >= 4 })
	if st := status(); st[2] != "fieldgate/gwk/status online" || st[3] != "fieldgate/gwk/status offline" || len(st) != 4 {
		t.Fatalf("status %q, want online, offline, online, offline", st)
	}
}

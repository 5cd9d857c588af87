package tipc_test

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"

	"github.com/fieldgate/fieldgate/gateway/config"
	"github.com/fieldgate/fieldgate/gateway/endpoint"
	"github.com/fieldgate/fieldgate/gateway/endpoints/stream"
	"github.com/fieldgate/fieldgate/gateway/endpoints/tipc"
	tp "github.com/fieldgate/fieldgate/tipc"
)

func testEnv() *endpoint.Env {
	return &endpoint.Env{Name: "t", Stats: &endpoint.Stats{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestOpenWithoutTIPC: off Linux, and on a Linux kernel without TIPC (the
// development machines), opening a server or a client fails at once with
// an error that says why. The rig, which has TIPC, opens them in
// tipc_hil_test.go.
func TestOpenWithoutTIPC(t *testing.T) {
	want := "tipc endpoints are not supported on " + runtime.GOOS
	if runtime.GOOS == "linux" {
		if _, err := tp.NodeID(); err == nil {
			t.Skip("this kernel has TIPC")
		}
		want = "tipc endpoints need TIPC in the kernel: tipc: node id: this kernel has no TIPC (CONFIG_TIPC, module tipc)"
	}
	for _, role := range []config.Role{config.Server, config.Client} {
		c := &tipc.Config{Config: stream.Config{Role: role, MaxClients: 1, Reconnect: defaultBackoff},
			Service: tp.ServiceRange{Type: 18888, Lower: 17, Upper: 17}, SocketType: tipc.Stream}
		if role == config.Server {
			c.Scope = tp.ClusterScope
		}
		tr, err := endpoint.Open(context.Background(), &config.Endpoint{Name: "t", Kind: "tipc", Settings: c}, testEnv())
		if err == nil {
			tr.Close()
			t.Fatalf("%s: opened", role)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: open: %v\nwant %s", role, err, want)
		}
	}
}

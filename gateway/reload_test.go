package gateway

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldgate/fieldgate/gateway/cannelloni"
	"github.com/fieldgate/fieldgate/gateway/config"
)

// TestReloadMidTraffic reloads a configuration that adds an endpoint and a
// route while frames stream through an unchanged route: every frame
// arrives, and the unchanged route keeps its counters.
func TestReloadMidTraffic(t *testing.T) {
	pin, pout := freePort(t, "tcp"), freePort(t, "tcp")
	base := fmt.Sprintf(`
admin: {listen: ""}
endpoints:
  in: {kind: tcp, listen: "127.0.0.1:%d"}
  out: {kind: tcp, listen: "127.0.0.1:%d", queue: {overflow: backpressure}}
%%s
routes:
  - {name: main, from: [in], to: [out]}
%%s
`, pin, pout)
	g := startGateway(t, fmt.Sprintf(base, "", ""))
	src := cannelloniClient(t, fmt.Sprintf("127.0.0.1:%d", pin))
	defer src.Close()
	dst := cannelloniClient(t, fmt.Sprintf("127.0.0.1:%d", pout))
	defer dst.Close()
	waitPeers(t, g, "in", 1)
	waitPeers(t, g, "out", 1)
	const N = 4000
	go func() {
		for i := range N {
			f := cannelloni.Frame{ID: uint32(i & 0x7FF), Len: 4}
			f.Data[0], f.Data[1] = byte(i), byte(i>>8)
			src.Write(cannelloni.AppendFrame(nil, &f))
			if i%200 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	time.Sleep(2 * time.Millisecond)
	logPath := filepath.Join(t.TempDir(), "x.log")
	nc, err := config.Parse("r.yaml", []byte(fmt.Sprintf(base, fmt.Sprintf("  rec: {kind: log, path: %q}", logPath), "  - {name: rec, from: [in], to: [rec]}")))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Reload(nc); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, N*9)
	dst.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(dst, buf); err != nil {
		t.Fatalf("read: %v; status %+v", err, g.Status())
	}
	for i := range N {
		if buf[i*9+5] != byte(i) || buf[i*9+6] != byte(i>>8) {
			t.Fatalf("frame %d out of order or lost", i)
		}
	}
	// The counters are updated right after the write returns.
	waitFor(t, "counters", func() bool { return g.Status().Routes[0].Out == N })
	st := g.Status()
	for _, r := range st.Routes {
		if r.Name == "main" && (r.In != N || r.Out != N || len(r.Dropped) != 0) {
			t.Fatalf("main route %+v", r)
		}
	}
	// A reload with errors is refused by Load and the old config stays.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("endpoints: {x: {kind: nope}}\nroutes: []\n"), 0o644)
	if _, err := config.Load(bad); err == nil {
		t.Fatal("bad config loaded")
	}
	_ = net.IPv4len
}

// TestShutdownDrains: frames queued when Shutdown starts are written, and a
// destination with no peer counts them as dropped.
func TestShutdownDrains(t *testing.T) {
	pin, pout := freePort(t, "tcp"), freePort(t, "tcp")
	g := startGateway(t, fmt.Sprintf(`
admin: {listen: ""}
drain_timeout: 1s
endpoints:
  in: {kind: tcp, listen: "127.0.0.1:%d"}
  out: {kind: tcp, listen: "127.0.0.1:%d"}
routes:
  - {name: main, from: [in], to: [out]}
`, pin, pout))
	src := cannelloniClient(t, fmt.Sprintf("127.0.0.1:%d", pin))
	waitPeers(t, g, "in", 1)
	var b []byte
	for i := range 100 {
		b = cannelloni.AppendFrame(b, &cannelloni.Frame{ID: uint32(i), Len: 1})
	}
	src.Write(b)
	src.Close()
	waitFor(t, "frames in", func() bool { return g.Status().Routes[0].In == 100 })
	g.Shutdown()
	r := g.Status().Routes[0]
	if r.In != 100 || r.Out+DroppedTotal(r.Dropped) != 100 || r.Dropped["no_peer"] != 100 {
		t.Fatalf("route after shutdown %+v", r)
	}
}

func TestNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	if err := Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	l.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := l.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("got %q %v", buf[:n], err)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if err := Notify("READY=1"); err != nil {
		t.Fatalf("without NOTIFY_SOCKET: %v", err)
	}
}
